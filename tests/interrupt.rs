//! Ctrl-C and SIGTERM stop a real `probity run` within seconds and keep
//! what was captured: every output is written, marked interrupted, with the
//! unfinished scenarios listed; a second signal quits at once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(out: &std::path::Path) -> std::process::Child {
    // Two slots and the CIBA scenarios (seconds each) keep the run busy.
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["run", "--jobs", "2", "-q", "--out"])
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("probity starts")
}

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
}

fn wait(child: &mut std::process::Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        assert!(
            start.elapsed() < limit,
            "probity did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the run has written its first scenario report, so the
/// signal comes mid-run however loaded the machine is.
fn running(out: &std::path::Path) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let written = std::fs::read_dir(out)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".md"))
            })
            .unwrap_or(false);
        if written {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no scenario finished within 60 s");
}

fn stopped_by(sig: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = start(dir.path());
    running(dir.path());
    let sent = Instant::now();
    signal(&child, sig);
    let code = wait(&mut child, Duration::from_secs(6));
    assert_eq!(code, 130);
    assert!(
        sent.elapsed() < Duration::from_secs(4),
        "{:?}",
        sent.elapsed()
    );
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).expect(n);
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).expect("json");
    assert_eq!(json["summary"]["interrupted"], true);
    let unfinished = json["summary"]["unfinished"].as_array().expect("list");
    assert!(!unfinished.is_empty());
    assert!(read("summary.md").contains("The run was interrupted"));
    assert!(read("junit.xml").contains(r#"<property name="interrupted" value="true"/>"#));
    // What finished before the signal is kept, and the run is signed.
    assert!(!json["scenarios"].as_array().expect("list").is_empty());
    assert!(dir.path().join("manifest.jws").exists());
}

#[test]
fn sigint_stops_a_run_within_seconds_and_writes_every_output() {
    stopped_by(libc::SIGINT);
}

#[test]
fn sigterm_does_the_same() {
    stopped_by(libc::SIGTERM);
}

#[test]
fn a_second_signal_quits_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = start(dir.path());
    running(dir.path());
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    assert_eq!(wait(&mut child, Duration::from_secs(3)), 130);
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
}
