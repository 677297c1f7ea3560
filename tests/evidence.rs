//! The evidence a run leaves: report.json matches its schema, JUnit counts
//! what happened, and nothing a target or a suite says can become live
//! markup in any report, checked by parsing and in a real Chromium.

use probity::http::{Exchange, RecordedRequest, RecordedResponse};
use probity::runner::ScenarioResult;
use probity::specs::{Severity, SpecResult, Verdict};
use probity::steps::{Artifact, StepResult};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a hostile target or suite author would plant.
const PAYLOADS: &[&str] = &[
    "<script>alert('pwned')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "`</code><iframe src=javascript:alert(1)>`",
];

/// Every payload at once, so each field is dangerous in HTML and markdown.
fn evil(i: usize) -> String {
    format!("{i} {}", PAYLOADS.join(" "))
}

fn exchange(n: usize) -> Exchange {
    Exchange {
        stage: format!("Stage {}", evil(n)),
        started_at: "2026-01-01T00:00:00Z".into(),
        elapsed_ms: 1.5,
        request: RecordedRequest {
            method: "GET".into(),
            url: format!("https://bank.example/{}?q={}", evil(n), evil(n + 1)),
            headers: vec![("x-evil".into(), evil(n + 2))],
            body: Some(evil(n + 3)),
        },
        response: Some(RecordedResponse {
            status: 400,
            headers: vec![
                ("content-type".into(), "text/html".into()),
                ("x-reason".into(), format!("`{}`", evil(n + 4))),
            ],
            body: format!("<html><title>{}</title>{}</html>", evil(n), evil(n + 1)),
        }),
        error: None,
    }
}

fn spec(n: usize, verdict: Verdict) -> SpecResult {
    SpecResult {
        id: format!("request.json.{}", evil(n)),
        should: format!("should return {}", evil(n + 1)),
        severity: Severity::Failure,
        clause_tag: None,
        clause_url: None,
        verdict,
        reason: Some(evil(n + 2)),
        expected: Some(evil(n + 3)),
        actual: Some(evil(n + 4)),
    }
}

/// A scenario whose every string is hostile.
fn hostile_result() -> ScenarioResult {
    let step = StepResult {
        kind: "request",
        stage: evil(0),
        location: format!("suites/{}.yaml:1:1", evil(1)),
        exchanges: vec![exchange(0), exchange(1)],
        specs: vec![
            spec(0, Verdict::Failed),
            spec(1, Verdict::Warning),
            spec(2, Verdict::Passed),
        ],
        artifacts: vec![
            Artifact::Page {
                label: "Login page".into(),
                url: format!("https://bank.example/login#{}", evil(3)),
                title: evil(4),
                fields: vec![probity::steps::FormField {
                    name: evil(0),
                    value: evil(1),
                    secret: false,
                }],
                text: evil(1),
                exchange: 1,
            },
            Artifact::Note { text: evil(2) },
            Artifact::Claims {
                label: evil(3),
                claims: serde_json::json!({ "iss": evil(4) }),
            },
        ],
        ok: false,
        secrets: Default::default(),
    };
    ScenarioResult {
        suite: format!("suite{}", evil(0)),
        feature: Some(evil(1)),
        id: format!("id{}", evil(2)),
        name: evil(3),
        description: Some(evil(4)),
        started_at: "2026-01-01T00:00:00Z".into(),
        elapsed_ms: 3.0,
        steps: vec![step],
        skipped: None,
        roles: vec!["default".into()],
    }
}

fn write_reports(dir: &Path, results: &[ScenarioResult]) -> probity::report::RunSummary {
    let mut writer = probity::report::ReportWriter::new(probity::report::ReportOptions {
        dir: dir.to_path_buf(),
        redactor: probity::http::redact::Redactor::new(vec![]),
        command: ("probity run".into(), String::new()),
        suite_files: Default::default(),
        planned: vec![],
        run: probity::report::RunInfo {
            target: evil(0),
            plans: vec![evil(1)],
            ..Default::default()
        },
        clients: vec![probity::report::Credential {
            role: "default".into(),
            client_id: evil(2),
            auth_method: "client_secret_basic".into(),
        }],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .expect("writer");
    for r in results {
        writer.scenario(r).expect("scenario written");
    }
    writer.finish().expect("finished")
}

/// Elements and attributes that would run or navigate: none may exist.
fn live_markup(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let mut found = Vec::new();
    let all = scraper::Selector::parse("*").expect("selector");
    for el in doc.select(&all) {
        let name = el.value().name();
        if ["script", "iframe", "svg", "img", "object", "embed"].contains(&name) {
            found.push(format!("<{name}>"));
        }
        for (attr, value) in el.value().attrs() {
            if attr.starts_with("on") {
                found.push(format!("{name}[{attr}]"));
            }
            if (attr == "href" || attr == "src") && value.trim_start().starts_with("javascript:") {
                found.push(format!("{name}[{attr}={value}]"));
            }
        }
    }
    found
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    out.sort();
    out
}

#[test]
fn hostile_text_never_becomes_markup_in_html_or_markdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_reports(dir.path(), &[hostile_result()]);
    let files = html_files(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let html = std::fs::read_to_string(f).expect("html");
        assert_eq!(live_markup(&html), Vec::<String>::new(), "{}", f.display());
        assert!(
            html.contains("&lt;script&gt;"),
            "payload shown as text in {}",
            f.display()
        );
    }
    // A markdown viewer renders raw HTML and links: the markdown must not carry any.
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "md") {
            let md = std::fs::read_to_string(&p).expect("md");
            let mut html = String::new();
            let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::all());
            pulldown_cmark::html::push_html(&mut html, parser);
            assert_eq!(live_markup(&html), Vec::<String>::new(), "{}", p.display());
        }
    }
}

fn chromium() -> String {
    let found = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    found
        .unwrap_or_else(|| {
            panic!("the browser tests need Debian's `chromium` (apt-get install chromium); .ci/run installs it")
        })
        .to_string()
}

fn headless(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
    ]
    .into_iter()
    .map(String::from)
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

#[test]
fn in_chromium_no_payload_runs_and_the_status_is_visible_in_words() {
    let browser = chromium();
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = write_reports(dir.path(), &[hostile_result()]);
    assert_eq!(summary.verdict, Verdict::Failed);
    let profile = tempfile::tempdir().expect("profile");
    for f in html_files(dir.path()) {
        let out = Command::new(&browser)
            .args(headless(profile.path()))
            .arg("--dump-dom")
            .arg(format!("file://{}", f.display()))
            .output()
            .expect("chromium runs");
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(dom.contains("</html>"), "no DOM from chromium: {:?}", out);
        assert_eq!(live_markup(&dom), Vec::<String>::new(), "{}", f.display());
        let doc = scraper::Html::parse_document(&dom);
        let badge = scraper::Selector::parse(".v-FAILED").expect("selector");
        let words: Vec<String> = doc.select(&badge).map(|e| e.text().collect()).collect();
        assert!(
            words.iter().any(|w| w == "FAILED"),
            "{}: {words:?}",
            f.display()
        );
        let shot = f.with_extension("png");
        let status = Command::new(&browser)
            .args(headless(profile.path()))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", f.display()))
            .output()
            .expect("chromium runs");
        let png = std::fs::read(&shot).unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG"), "no screenshot: {status:?}");
    }
}

#[test]
fn report_json_matches_its_schema_and_junit_counts_what_happened() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let suite = dir.path().join("mixed.yaml");
    std::fs::write(
        &suite,
        "suite: mixed\nscenarios:\n  - id: cc\n    name: Client credentials\n    steps:\n      - discovery: {}\n      - client_credentials: { scope: accounts }\n  - id: hybrid-token\n    name: Not advertised\n    steps:\n      - discovery: {}\n      - authorize: { client: jwt, scope: openid, response_type: code token }\n",
    )
    .expect("suite");
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["run", "--fault", "token.cacheable", "--out"])
        .arg(&out)
        .arg(&suite)
        .current_dir(root)
        .output()
        .expect("probity runs");
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/report.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("json"))
            .expect("report.json is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(report["scenarios"][0]["elapsed_ms"].is_f64());
    // JUnit, parsed back: one case per scenario, the failure and the skip counted.
    let junit = std::fs::read_to_string(out.join("junit.xml")).expect("junit");
    let doc = scraper::Html::parse_fragment(&junit);
    let count = |sel: &str| {
        doc.select(&scraper::Selector::parse(sel).expect("sel"))
            .count()
    };
    assert_eq!(count("testcase"), 2, "{junit}");
    assert_eq!(count("testcase failure"), 1, "{junit}");
    assert_eq!(count("testcase skipped"), 1, "{junit}");
    let failure = doc
        .select(&scraper::Selector::parse("failure").expect("sel"))
        .next()
        .map(|f| f.text().collect::<String>())
        .unwrap_or_default();
    assert!(
        failure.contains("token.cache_control_no_store [RFC6749-5.1]"),
        "{failure}"
    );
}

fn probity(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs")
}

fn run_into(dir: &Path, extra: &[&str]) -> std::process::Output {
    let out = dir.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "suites/client-credentials.yaml",
        "-q",
        "--out",
        out.as_str(),
    ];
    args.extend_from_slice(extra);
    probity(&args)
}

fn all_output(dir: &Path, run: &std::process::Output) -> String {
    let mut text = String::from_utf8_lossy(&run.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&run.stderr));
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}

#[test]
fn planted_secrets_appear_nowhere_unless_no_redact_is_given() {
    // The bank's client secrets: sent in a Basic header and in a form body.
    let secrets = ["probity-basic-secret", "probity-post-secret"];
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_into(dir.path(), &[]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let text = all_output(dir.path(), &run);
    for s in secrets {
        assert!(!text.contains(s), "{s} leaked into the outputs");
    }
    assert!(text.contains("Basic [redacted:"));
    assert!(!text.contains("UNREDACTED"));
    let open = tempfile::tempdir().expect("tempdir");
    let run = run_into(open.path(), &["--no-redact"]);
    let text = all_output(open.path(), &run);
    assert!(
        text.contains("probity-post-secret"),
        "--no-redact shows secrets"
    );
    let summary = std::fs::read_to_string(open.path().join("summary.md")).expect("summary");
    assert!(
        summary.lines().take(4).any(|l| l.contains("UNREDACTED")),
        "{summary}"
    );
}

#[test]
fn verify_names_a_one_byte_change_and_report_re_renders_a_signed_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    assert_eq!(run_into(d, &[]).status.code(), Some(0));
    let path = d.to_string_lossy().into_owned();
    assert_eq!(probity(&["verify", &path]).status.code(), Some(0));
    let file = d.join("client-credentials.client-secret-basic.md");
    let mut bytes = std::fs::read(&file).expect("report");
    bytes[10] ^= 1;
    std::fs::write(&file, bytes).expect("tamper");
    let out = probity(&["verify", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "changed: client-credentials.client-secret-basic.md"
    );
    // Re-rendering from report.json restores the file and re-signs the run.
    std::fs::remove_file(d.join("summary.html")).expect("remove");
    assert_eq!(probity(&["report", &path]).status.code(), Some(0));
    assert!(d.join("summary.html").exists());
    assert_eq!(probity(&["verify", &path]).status.code(), Some(0));
    // A run directory is never mixed.
    assert_eq!(run_into(d, &[]).status.code(), Some(2));
    assert_eq!(run_into(d, &["--force"]).status.code(), Some(0));
}

#[test]
fn diff_puts_new_failures_first_and_expected_failures_turn_a_known_deviation_green() {
    let good = tempfile::tempdir().expect("tempdir");
    let bad = tempfile::tempdir().expect("tempdir");
    assert_eq!(run_into(good.path(), &[]).status.code(), Some(0));
    assert_eq!(
        run_into(bad.path(), &["--fault", "token.cacheable"])
            .status
            .code(),
        Some(1)
    );
    let (g, b) = (
        good.path().to_string_lossy().into_owned(),
        bad.path().to_string_lossy().into_owned(),
    );
    let out = probity(&["diff", &g, &b]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("## New failures"), "{md}");
    assert!(md.contains("| `client-credentials/client-secret-basic token.cache_control_no_store#1` | PASSED | FAILED |"), "{md}");
    assert_eq!(probity(&["diff", &g, &g]).status.code(), Some(0));
    assert_eq!(
        probity(&["diff", &b, &g]).status.code(),
        Some(0),
        "fixing is no regression"
    );
    // Known deviations: exactly the failures listed makes the run green.
    let list = tempfile::NamedTempFile::new().expect("file");
    let entries: String = ["client-secret-basic", "client-secret-post", "private-key-jwt", "tls-client-auth"]
        .iter()
        .map(|s| format!("- {{ scenario: client-credentials/{s}, spec: token.cache_control_no_store, reason: CDN strips the header }}\n"))
        .collect();
    std::fs::write(list.path(), &entries).expect("write");
    let known = list.path().to_string_lossy().into_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_into(
        dir.path(),
        &["--fault", "token.cacheable", "--expect-failures", &known],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    // An expected failure that no longer happens turns the run red.
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_into(dir.path(), &["--expect-failures", &known]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("no longer fails (CDN strips the header)")
    );
}
