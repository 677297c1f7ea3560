//! Golden tests of the evidence a user reads: one full scenario's markdown,
//! JSON and JUnit, run against the embedded bank with a fault so that a
//! failure, its reason and its step location are pinned too. Volatile parts
//! (ports, times, keys, random ids) are masked.

use std::process::Command;

/// Masks what changes from run to run.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"127\.0\.0\.1%3A\d+", "127.0.0.1%3A[port]"),
        (
            r"\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
            "[date]",
        ),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
            "[timestamp]",
        ),
        (r#""elapsed_ms": "?[0-9.]+"?"#, r#""elapsed_ms": "[ms]""#),
        (r"[0-9]+(\.[0-9]+)? ms", "[ms] ms"),
        (r#"time="[0-9.]+""#, r#"time="[s]""#),
        (r"([^#A-Za-z0-9_-])[A-Za-z0-9_-]{40,}", "$1[key]"),
        (r"(ps256|rs256|es256)-[0-9a-f]{12}", "$1-[kid]"),
        (r"/tmp/[^\s\x22]+", "[dir]"),
        (
            r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "[http-date]",
        ),
        (r#"(content-length[^0-9]*)\d+"#, "${1}[n]"),
        (r#""run_id": ?"[^"]*""#, r#""run_id": "[run]""#),
        (r"\.tmp[A-Za-z0-9]{6}", "[run]"),
        (r"[0-9a-f]{64}", "[sha256]"),
        // Claims of tokens issued during the run.
        (
            r#"(iat|exp|nbf|auth_time)(&quot;|")(: )\d+"#,
            "$1$2$3[time]",
        ),
        (
            r#"(at_hash|c_hash|s_hash|rt_hash|jti)(&quot;|")(: )(&quot;|")[A-Za-z0-9_-]*"#,
            "$1$2$3$4[hash]",
        ),
        // Fingerprints of random tokens change from run to run.
        (r"\[redacted:[0-9a-f]{4}\]", "[redacted:fp]"),
    ] {
        s.add_filter(pattern, replacement);
    }
    s
}

#[test]
fn one_full_scenario_markdown_json_and_junit() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().expect("tempdir");
    let status = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args([
            "run",
            "suites/client-credentials.yaml",
            "--only",
            "client-credentials/client-secret-basic",
            "--fault",
            "token.cacheable",
            "--out",
        ])
        .arg(out.path())
        .current_dir(root)
        .output()
        .expect("probity runs");
    assert_eq!(status.status.code(), Some(1), "{status:?}");
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).expect(name);
    let markdown = read("client-credentials.client-secret-basic.md");
    assert!(markdown.contains("token.cache_control_no_store"));
    settings().bind(|| {
        insta::assert_snapshot!("scenario_markdown", markdown);
        let json: serde_json::Value =
            serde_json::from_str(&read("report.json")).expect("report.json parses");
        let pretty = serde_json::to_string_pretty(&json).expect("json");
        insta::assert_snapshot!("report_json", pretty);
        insta::assert_snapshot!("junit_xml", read("junit.xml"));
    });
}

/// The form driver's login and consent pages appear in the scenario report
/// between the exchange that served each page and the one that submitted
/// it, with the submitted fields (the password masked), in markdown and in
/// HTML.
#[test]
fn form_driver_pages_between_their_exchanges() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().expect("tempdir");
    let run = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args([
            "run",
            "suites/auth-code.yaml",
            "--only",
            "auth-code/form-driver",
            "--out",
        ])
        .arg(out.path())
        .current_dir(root)
        .output()
        .expect("probity runs");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).expect(name);
    let markdown = read("auth-code.form-driver.md");
    let html = read("auth-code.form-driver.html");
    // The HTML's exchanges, without the page's head and the spec table.
    let exchanges = html
        .split("<h2>Exchanges</h2>")
        .nth(1)
        .and_then(|rest| rest.split("<h2>Specs</h2>").next())
        .expect("an Exchanges section");
    assert!(!markdown.contains("alice-password"), "{markdown}");
    settings().bind(|| {
        insta::assert_snapshot!("form_driver_markdown", markdown);
        insta::assert_snapshot!("form_driver_html_exchanges", exchanges);
    });
}
