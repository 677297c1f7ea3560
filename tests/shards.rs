//! Sharding: N `run --shard K/N` jobs cover every scenario once, and
//! `probity report merge` of their reports equals the unsharded run,
//! timings aside.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SUITES: [&str; 3] = [
    "suites/discovery.yaml",
    "suites/client-credentials.yaml",
    "suites/negative.yaml",
];

fn probity(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs")
}

fn run(out: &Path, extra: &[&str]) {
    let mut args: Vec<String> = vec!["run".into(), "-q".into()];
    args.extend(SUITES.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    let o = probity(&args);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// Scenario → its specs' ids and verdicts, in order: a run without timings.
fn verdicts(dir: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("json"))
            .expect("json");
    json["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            let specs = s["specs"]
                .as_array()
                .expect("specs")
                .iter()
                .map(|x| (x["id"].to_string(), x["verdict"].to_string()))
                .collect();
            (format!("{}/{}", s["suite"], s["id"]), specs)
        })
        .collect()
}

fn merged_shards(dir: &Path, extra: &[&str]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut shards = Vec::new();
    let mut seen = 0;
    for k in 1..=3 {
        let d = dir.join(format!("shard{k}"));
        let spec = format!("{k}/3");
        let mut args = vec!["--shard", spec.as_str()];
        args.extend_from_slice(extra);
        run(&d, &args);
        seen += verdicts(&d).len();
        shards.push(d.display().to_string());
    }
    let out = dir.join("merged");
    let mut args: Vec<String> = vec!["report".into(), "merge".into()];
    args.extend(shards);
    args.extend(["--out".to_string(), out.display().to_string()]);
    let o = probity(&args);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let merged = verdicts(&out);
    assert_eq!(seen, merged.len(), "each scenario in exactly one shard");
    let verify = probity(&["verify".to_string(), out.display().to_string()]);
    assert_eq!(verify.status.code(), Some(0), "{verify:?}");
    merged
}

#[test]
fn three_merged_shards_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = dir.path().join("all");
    run(&all, &[]);
    let whole = verdicts(&all);
    assert!(whole.len() >= 15);
    assert_eq!(merged_shards(dir.path(), &[]), whole);
    // Balanced by the earlier run's durations: the same scenarios, once each.
    let durations = all.join("report.json").display().to_string();
    let balanced = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        merged_shards(balanced.path(), &["--shard-durations", &durations]),
        whole
    );
}
