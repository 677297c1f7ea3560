//! The `probity` binary as a user meets it: exit codes and error messages.

use std::path::Path;
use std::process::Command;

fn probity(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

const TYPO: &str = "suite: broken\nscenarios:\n  - id: one\n    name: One\n    steps:\n      - discovery:\n          stge: Discovery\n";
const WRONG_TYPE: &str = "suite: broken\nscenarios:\n  - id: one\n    name: One\n    steps:\n      - request:\n          url: https://x\n          expect:\n            status: two hundred\n";

#[test]
fn a_suite_typo_exits_2_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "typo.yaml", TYPO);
    for cmd in [vec!["validate", f.as_str()], vec!["run", f.as_str()]] {
        let (code, _, err) = probity(&cmd, dir.path());
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(err.contains("typo.yaml:7:11"), "{err}");
        assert!(
            err.contains("unknown field `stge`, expected one of stage, url"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_wrong_type_exits_2_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "type.yaml", WRONG_TYPE);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("type.yaml:9:21"), "{err}");
}

#[test]
fn semantic_errors_are_located_too() {
    let dir = tempfile::tempdir().unwrap();
    let dup = "scenarios:\n  - id: a\n    name: A\n    steps: []\n  - id: a\n    name: B\n    steps: []\n";
    let f = write(dir.path(), "dup.yaml", dup);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("duplicate scenario id `a`") && err.contains("dup.yaml:5:9"),
        "{err}"
    );
    let bad_path = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - request:\n          url: https://x\n          capture:\n            v: \"$.[[[\"\n";
    let f = write(dir.path(), "path.yaml", bad_path);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid JSONPath") && err.contains("path.yaml:8:16"),
        "{err}"
    );
}

#[test]
fn a_target_profile_with_unknown_keys_or_missing_env_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "t.yaml", "issuer: https://as.example\nclient:\n  id: x\n  auth_method: client_secret_basic\n  secrit: y\n");
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("t.yaml:5:3") && err.contains("unknown field `secrit`"),
        "{err}"
    );
    let f = write(dir.path(), "e.yaml", "issuer: https://as.example\nclient:\n  id: x\n  auth_method: client_secret_basic\n  secret: ${env:PROBITY_TEST_UNSET_VAR}\n");
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("`PROBITY_TEST_UNSET_VAR` is not set") && err.contains("e.yaml:5:11"),
        "{err}"
    );
}

#[test]
fn the_main_job_writes_reports_and_latest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("suites")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/discovery.yaml");
    std::fs::copy(src, dir.path().join("suites/discovery.yaml")).unwrap();
    let (code, out, err) = probity(&["run"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let latest = dir.path().join("reports/latest");
    let summary = std::fs::read_to_string(latest.join("summary.md")).expect("summary.md");
    assert!(
        summary.contains("discovery.provider-metadata.md"),
        "{summary}"
    );
    let report = std::fs::read_to_string(latest.join("discovery.provider-metadata.md")).unwrap();
    for part in [
        "[< Return to Summary](summary.md)",
        "# discovery >> provider-metadata",
        "**Feature:**",
        "**Test:**",
        "### Running only this test",
        "probity run suites/discovery.yaml --only discovery/provider-metadata",
        "passed with 0 failures",
        "### Discovery - 1 Request",
        "Response status code: 200.",
        "### Specs",
    ] {
        assert!(report.contains(part), "missing {part:?} in:\n{report}");
    }
    for f in [
        "junit.xml",
        "report.json",
        "summary.html",
        "discovery.provider-metadata.html",
    ] {
        assert!(latest.join(f).exists(), "{f}");
    }
}

#[test]
fn unknown_fault_and_only_filter_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let s = suites.to_str().unwrap();
    let (code, _, err) = probity(&["run", s, "--fault", "discovery.nope"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown fault `discovery.nope`") && err.contains("discovery.issuer_mismatch"),
        "{err}"
    );
    let (code, _, err) = probity(&["run", s, "--only", "nosuch/x"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("no scenario matches") && err.contains("discovery/provider-metadata"),
        "{err}"
    );
}

#[test]
fn serve_lists_faults_name_first() {
    let (code, out, _) = probity(&["serve", "--list-faults"], Path::new("."));
    assert_eq!(code, 0);
    for f in probity::bank::Fault::ALL {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{}\t", f.name())) && l.ends_with(f.sentence())),
            "{}",
            f.name()
        );
    }
}

#[test]
fn serve_prints_a_quick_start_whose_run_command_works() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["serve", "--out", dir.path().to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let printed = lines.join("\n");
    let run_line = lines
        .iter()
        .find(|l| l.contains("-- run --target"))
        .unwrap_or_else(|| panic!("{printed}"));
    let target = run_line
        .split("--target ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/discovery.yaml");
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = probity(
        &[
            "run",
            "--target",
            &target,
            suites.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    let _ = child.kill();
    assert_eq!(code, 0, "{printed}\n{stdout}{stderr}");
    assert!(
        printed.contains("probity-jwt") && printed.contains("private_key_jwt"),
        "{printed}"
    );
}

#[test]
fn a_full_target_profile_validates_and_its_key_must_be_private() {
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    let dir = tempfile::tempdir().unwrap();
    let pair = EcKeyPair::generate(EcCurve::P256).unwrap();
    std::fs::write(dir.path().join("client.pem"), pair.to_pem_private_key()).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("pub");
    std::fs::write(dir.path().join("public.jwk"), public.to_string()).unwrap();
    let profile = "issuer: https://as.example\nclient:\n  id: a\n  auth_method: private_key_jwt\n  signing_key: client.pem\n  kid: k1\nclients:\n  public:\n    id: b\n    auth_method: none\nconsent:\n  driver: form\n  login:\n    url_contains: /login\n    form: \"form#login\"\n    fields:\n      username: alice\n      password: pw\n";
    let f = write(dir.path(), "full.yaml", profile);
    let (code, out, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let t = probity::target::load_target(&dir.path().join("full.yaml")).unwrap();
    let key = t.client.key.as_ref().unwrap();
    assert_eq!((key.kid.as_str(), key.alg.as_str()), ("k1", "ES256"));
    assert!(
        t.secrets().contains(&"pw".to_string()),
        "PSU passwords are redacted"
    );
    assert_eq!(t.client_named(Some("public")).unwrap().id, "b");
    assert!(t
        .client_named(Some("nope"))
        .unwrap_err()
        .contains("has: default, public"));

    let f = write(
        dir.path(),
        "pub.yaml",
        &profile.replace("client.pem", "public.jwk"),
    );
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("no private part") && err.contains("pub.yaml:5:16"),
        "{err}"
    );
}

#[test]
fn payment_capture_sources_are_validated_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - payment:\n          url: https://x\n          capture:\n            id: \"Data.ConsentId\"\n";
    let f = write(dir.path(), "pay.yaml", yaml);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid capture source `Data.ConsentId`") && err.contains("pay.yaml:8:17"),
        "{err}"
    );
}

#[test]
fn a_jwt_bearer_token_step_without_claims_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - discovery: {}\n      - token:\n          grant: jwt_bearer\n";
    let f = write(dir.path(), "bearer.yaml", text);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("`grant: jwt_bearer` needs `assertion:` claims")
            && err.contains("bearer.yaml:6:"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_listings_quietly() {
    use std::process::Stdio;
    for args in [vec!["specs"], vec!["serve", "--list-faults"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the listing is written (like `| head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}
