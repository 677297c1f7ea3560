//! Golden tests of what a user reads for a broken suite or target profile:
//! every file in `tests/bad_inputs/` (suites) and `tests/bad_inputs/profiles/`
//! (profiles) must make `probity validate` exit 2 before any request, with
//! the message pinned in `tests/snapshots/`. `tests/bad_inputs/README.md`
//! lists them, and the hostile-target tests, for an assessor.

use std::path::Path;
use std::process::{Command, Output};

/// `probity` with `args`, run from the crate root.
fn probity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs")
}

/// A bad input's path relative to the crate root, with `/` separators.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = path.strip_prefix(root).expect("under the crate");
    rel.to_string_lossy().replace('\\', "/")
}

#[test]
fn every_bad_input_is_a_located_validate_error() {
    insta::glob!("bad_inputs/*.yaml", |path| {
        let root = env!("CARGO_MANIFEST_DIR");
        let relative = path.strip_prefix(root).expect("under the crate");
        let out = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args([
                "validate",
                "--target",
                "tests/bad_inputs/target.profile.yml",
            ])
            .arg(relative)
            .current_dir(root)
            .output()
            .expect("probity runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {stderr}",
            relative.display()
        );
        assert!(
            stderr.contains(&format!("--> {}:", relative.display())),
            "no file:line:col in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        insta::assert_snapshot!(stderr);
    });
}

#[test]
fn the_bad_inputs_target_profile_itself_is_valid() {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["validate", "tests/bad_inputs/target.profile.yml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_client_role_is_checked_only_against_a_named_target() {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["validate", "tests/bad_inputs/unknown-client-role.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[tokio::test]
async fn every_shipped_suite_names_only_roles_the_embedded_bank_has() {
    let bank = probity::bank::RunningBank::start(probity::bank::BankConfig::default())
        .await
        .expect("bank starts");
    let roles = bank.target().roles();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = probity::suite::load_suites(&[root.join("suites")]).expect("suites load");
    assert!(suites.len() >= 9);
    for suite in &suites {
        if let Err(e) = probity::suite::check_roles(suite, &roles) {
            panic!("{}: {e}", suite.name);
        }
    }
    bank.shutdown();
}

#[test]
fn every_bad_profile_is_a_located_validate_error() {
    insta::glob!("bad_inputs/profiles/*.yml", |path| {
        let relative = relative(path);
        let out = probity(&["validate", &relative]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{relative}: {stderr}");
        assert!(
            stderr.contains(&format!("--> {relative}:")),
            "no file:line:col in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        // The same profile named by `--target` is refused with the same words.
        let as_target = probity(&["validate", "--target", &relative, "suites/discovery.yaml"]);
        assert_eq!(as_target.status.code(), Some(2), "{relative}");
        assert_eq!(String::from_utf8_lossy(&as_target.stderr), stderr);
        insta::assert_snapshot!(stderr);
    });
}

#[test]
fn a_yaml_error_snippet_masks_the_secrets_on_its_lines() {
    let out = probity(&[
        "validate",
        "tests/bad_inputs/profiles/error-near-a-secret.yml",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("profiles/error-near-a-secret.yml:8:17"),
        "{stderr}"
    );
    assert!(stderr.contains("secret: [redacted]"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

// ---------------------------------------------------------------------------
// tests/bad_inputs/README.md: the listing for an assessor, checked here so it
// cannot drift. Its two tables are generated from the golden snapshots
// (`PROBITY_BLESS=1 cargo test --test bad_inputs` rewrites them); its list
// of hostile targets is written by hand and checked against tests/hostile.rs.

const README: &str = "tests/bad_inputs/README.md";

/// The longest message shown in the README's tables; the snapshot has it all.
const SHOWN: usize = 150;

/// Reads a file of the crate.
fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The files a glob of `tests/bad_inputs/` matches, by name, sorted.
fn bad_inputs(dir: &str, ext: &str) -> Vec<String> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&full)
        .expect("bad inputs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect();
    names.sort();
    names
}

/// `line:col` and the first line of a golden message, from its snapshot.
fn golden(test: &str, file: &str) -> (String, String) {
    let snap = read(&format!("tests/snapshots/bad_inputs__{test}@{file}.snap"));
    let message = snap.splitn(3, "---\n").nth(2).expect("an insta header");
    let first = message.lines().next().unwrap_or_default();
    let at = message
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .and_then(|l| {
            let mut parts = l.rsplitn(3, ':');
            let col = parts.next()?;
            let line = parts.next()?;
            Some(format!("{line}:{col}"))
        })
        .expect("a --> file:line:col");
    let mut shown: String = first.chars().take(SHOWN).collect();
    if first.chars().count() > SHOWN {
        shown.push_str(" …");
    }
    (at, shown.replace('|', "\\|"))
}

/// What a broken profile's first line, a comment, says is wrong with it.
fn what_is_wrong(path: &str) -> String {
    let text = read(path);
    let first = text.lines().next().unwrap_or_default();
    let Some(what) = first.strip_prefix("# ") else {
        panic!("{path}: the first line should be a `# ` comment saying what is wrong");
    };
    what.replace('|', "\\|")
}

/// The two generated tables of the README, from the files and snapshots.
fn generated_tables() -> [(&'static str, String); 2] {
    let mut suites = String::from("| file | at | message (first line) |\n|---|---|---|\n");
    for f in bad_inputs("tests/bad_inputs", ".yaml") {
        let (at, message) = golden("every_bad_input_is_a_located_validate_error", &f);
        suites.push_str(&format!("| [{f}]({f}) | {at} | {message} |\n"));
    }
    let mut profiles =
        String::from("| file | what is wrong | at | message (first line) |\n|---|---|---|---|\n");
    for f in bad_inputs("tests/bad_inputs/profiles", ".yml") {
        let (at, message) = golden("every_bad_profile_is_a_located_validate_error", &f);
        let what = what_is_wrong(&format!("tests/bad_inputs/profiles/{f}"));
        profiles.push_str(&format!(
            "| [profiles/{f}](profiles/{f}) | {what} | {at} | {message} |\n"
        ));
    }
    [("suites", suites), ("profiles", profiles)]
}

/// `text` with the part between `<!-- generated: NAME -->` and the next
/// `<!-- end -->` replaced by `table`.
fn with_table(text: &str, name: &str, table: &str) -> String {
    let begin = format!("<!-- generated: {name} -->\n");
    let (head, rest) = text
        .split_once(&begin)
        .unwrap_or_else(|| panic!("{README} has no `{}`", begin.trim()));
    let (_, tail) = rest
        .split_once("<!-- end -->")
        .unwrap_or_else(|| panic!("{README}: `{}` is not closed", begin.trim()));
    format!("{head}{begin}{table}<!-- end -->{tail}")
}

#[test]
fn the_readme_lists_every_bad_input_with_its_golden_message() {
    let readme = read(README);
    let mut expected = readme.clone();
    for (name, table) in generated_tables() {
        expected = with_table(&expected, name, &table);
    }
    if std::env::var_os("PROBITY_BLESS").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(README);
        std::fs::write(path, &expected).expect("README written");
        return;
    }
    assert!(
        readme == expected,
        "{README} is out of date: run `PROBITY_BLESS=1 cargo test --test bad_inputs` and read the diff"
    );
    let count = |dir: &str, ext: &str| bad_inputs(dir, ext).len();
    let (suites, profiles) = (
        count("tests/bad_inputs", ".yaml"),
        count("tests/bad_inputs/profiles", ".yml"),
    );
    assert!(
        profiles >= 10 && suites + profiles >= 40,
        "{suites} suites, {profiles} profiles"
    );
}

/// The names of the tests in a test file's source.
fn test_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if matches!(line.trim(), "#[test]" | "#[tokio::test]") {
            let sig = lines.next().unwrap_or_default();
            let name = sig
                .trim_start_matches("async ")
                .trim_start_matches("fn ")
                .split('(')
                .next()
                .unwrap_or_default();
            names.push(name.to_string());
        }
    }
    names.sort();
    names
}

/// The source of the test function `name`: up to the next attribute.
fn test_body<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("fn {name}("))
        .unwrap_or_else(|| panic!("no fn {name}"));
    let body = &source[start..];
    match body.find("\n#[") {
        Some(end) => &body[..end],
        None => body,
    }
}

#[test]
fn the_readme_lists_every_hostile_target_test_with_messages_it_asserts() {
    let readme = read(README);
    let source = read("tests/hostile.rs");
    let (_, section) = readme
        .split_once("## Hostile targets")
        .expect("a `## Hostile targets` section");
    let entries: Vec<(&str, &str)> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .map(|l| l.split_once('`').expect("- `test_name`: …"))
        .collect();
    let mut listed: Vec<String> = entries.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(listed, test_names(&source), "the tests of tests/hostile.rs");
    for (name, text) in entries {
        let quoted: Vec<&str> = text.split('"').skip(1).step_by(2).collect();
        assert!(!quoted.is_empty(), "{name}: quote the message it asserts");
        let body = test_body(&source, name);
        for q in quoted {
            assert!(body.contains(q), "{name}: {q:?} is not in the test");
        }
    }
}
