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

/// The files a report links to: `src="…"` in HTML, `](…)` in markdown.
fn links(text: &str) -> Vec<String> {
    let mut found = vec![];
    for (open, close) in [("src=\"", '"'), ("](", ')')] {
        for part in text.split(open).skip(1) {
            if let Some((link, _)) = part.split_once(close) {
                found.push(link.to_string());
            }
        }
    }
    found
}

/// Screenshots survive a merge: the browser-consent scenarios, run in two
/// shards, are merged into one report whose markdown and HTML show every
/// PNG, copied byte for byte from the shard that took it, and listed in
/// the merged manifest (`probity verify` passes).
#[test]
fn merged_shards_keep_their_screenshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shards = vec![];
    let mut pngs = BTreeMap::new();
    for k in 1..=2 {
        let d = dir.path().join(format!("shard{k}"));
        let spec = format!("{k}/2");
        let o = probity(&[
            "run".into(),
            "-q".into(),
            "suites/browser-consent.yaml".into(),
            "--shard".into(),
            spec,
            "--out".into(),
            d.display().to_string(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        for e in std::fs::read_dir(&d).expect("shard").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".png") {
                pngs.insert(name, std::fs::read(e.path()).expect("png"));
            }
        }
        shards.push(d.display().to_string());
    }
    assert!(pngs.len() >= 4, "the shards took the screenshots: {pngs:?}");
    let out = dir.path().join("merged");
    let mut args: Vec<String> = vec!["report".into(), "merge".into()];
    args.extend(shards);
    args.extend(["--out".to_string(), out.display().to_string()]);
    let o = probity(&args);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let mut shown = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(&out).expect("merged").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("browser-consent.") || name.ends_with(".png") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).expect("report");
        for link in links(&text).into_iter().filter(|l| l.ends_with(".png")) {
            let copied = std::fs::read(out.join(&link))
                .unwrap_or_else(|e| panic!("{name} links {link}, not in the merged report: {e}"));
            assert_eq!(Some(&copied), pngs.get(&link), "{link} is the shard's PNG");
            shown.insert(link);
        }
    }
    let taken: std::collections::BTreeSet<String> = pngs.keys().cloned().collect();
    assert_eq!(
        shown, taken,
        "every screenshot is shown in the merged reports"
    );
    let verify = probity(&["verify".to_string(), out.display().to_string()]);
    assert_eq!(verify.status.code(), Some(0), "{verify:?}");
    // A shard whose report.json names a screenshot outside itself is
    // refused: the merge copies no file a report does not own.
    let shard = args
        .iter()
        .skip(2)
        .map(std::path::PathBuf::from)
        .find(|d| {
            std::fs::read_to_string(d.join("report.json")).is_ok_and(|j| j.contains(".shot-1.png"))
        })
        .expect("a shard with screenshots");
    let path = shard.join("report.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("json")).expect("json");
    let shot = json["scenarios"]
        .as_array_mut()
        .expect("scenarios")
        .iter_mut()
        .flat_map(|s| s["items"].as_array_mut().expect("items").iter_mut())
        .find(|i| i["kind"] == "screenshot")
        .expect("a screenshot item");
    shot["file"] = "../../etc/passwd".into();
    std::fs::write(&path, json.to_string()).expect("write");
    args.push("--force".into());
    let o = probity(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"../../etc/passwd\" that is not its own PNG"),
        "{err}"
    );
}
