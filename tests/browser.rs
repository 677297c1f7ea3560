//! The `browser` consent driver in Debian's headless Chromium against the
//! reference bank's `interactive-js` client, whose login form sits in an
//! iframe and whose consent buttons exist only after a script runs: the
//! form driver cannot pass it, the browser driver can. A wrong selector
//! fails naming the page, the action and the selector, with a screenshot;
//! a missing browser names the packages to install and judges nothing.

mod common;

use probity::specs::Verdict;
use probity::steps::Artifact;
use std::path::Path;
use std::process::Command;

const AUTHORIZE: &str = "authorize.redirected_to_client";

fn suite(driver: &str, pages: &str) -> String {
    format!(
        "suite: b\nscenarios:\n  - id: s\n    name: s\n    steps:\n      - discovery: {{}}\n      - authorize:\n          client: interactive-js\n          scope: openid accounts\n          driver: {driver}\n{pages}      - token:\n          client: interactive-js\n"
    )
}

fn failure(r: &probity::runner::ScenarioResult) -> String {
    r.steps
        .iter()
        .flat_map(|s| &s.specs)
        .find(|s| s.id == AUTHORIZE)
        .and_then(|s| s.explanation())
        .unwrap_or_default()
}

fn shots(r: &probity::runner::ScenarioResult) -> Vec<(String, String, usize)> {
    r.steps
        .iter()
        .flat_map(|s| &s.artifacts)
        .filter_map(|a| match a {
            Artifact::Screenshot {
                label, note, png, ..
            } => Some((label.clone(), note.clone(), png.len())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_form_driver_cannot_pass_the_interactive_js_client_and_the_browser_driver_can() {
    let bank = common::bank(&[]).await;
    let target = bank.target();
    let form = common::run_yaml(&target, &suite("form", ""), "s").await;
    assert_eq!(common::verdict(&form, AUTHORIZE), Verdict::Failed);
    assert!(
        failure(&form).contains("neither the login nor the consent page"),
        "{}",
        failure(&form)
    );
    let browser = common::run_yaml(&target, &suite("browser", ""), "s").await;
    assert_eq!(
        common::failures(&browser),
        Vec::<String>::new(),
        "the browser driver passes"
    );
    assert_eq!(common::verdict(&browser, AUTHORIZE), Verdict::Passed);
    assert_eq!(
        common::verdict(&browser, "token.status_ok"),
        Verdict::Passed
    );
    // A PNG of the login page (in its iframe) and of the consent page.
    let got = shots(&browser);
    let labels: Vec<&str> = got.iter().map(|(l, _, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        ["Browser page `login`", "Browser page `consent`"],
        "{got:?}"
    );
    assert!(got.iter().all(|(_, _, n)| *n > 1000), "{got:?}");
    bank.shutdown();
}

#[tokio::test]
async fn a_wrong_selector_names_the_page_the_action_and_the_selector_with_a_screenshot() {
    let bank = common::bank(&[]).await;
    let target = bank.target();
    let script = "          pages:\n            - name: login\n              url_contains: /login\n              actions:\n                - frame: \"iframe#login-frame\"\n                - fill: { selector: \"input[name=user-name]\", value: alice }\n";
    let yaml = suite("browser", script);
    let mut target = target.clone();
    target.consent.browser_timeout = std::time::Duration::from_secs(2);
    let r = common::run_yaml(&target, &yaml, "s").await;
    assert_eq!(common::verdict(&r, AUTHORIZE), Verdict::Failed);
    let why = failure(&r);
    for part in [
        "page `login`",
        "/login?interaction=",
        "Sign in to Probity Bank",
        "`fill` on `input[name=user-name]` failed",
        "no element matched within 2 s",
    ] {
        assert!(why.contains(part), "{part:?} not in {why}");
    }
    let got = shots(&r);
    let last = got.last().cloned().unwrap_or_default();
    assert_eq!(last.0, "Browser page `login` when `fill` failed", "{got:?}");
    assert!(
        last.1.contains("input[name=user-name]") && last.2 > 1000,
        "{got:?}"
    );
    bank.shutdown();
}

fn probity(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .expect("probity runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_reports_show_each_page_as_a_png_beside_them_and_never_the_password() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("suites/browser-consent.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (code, stdout, stderr) = probity(
        &[
            "run",
            &suite.display().to_string(),
            "--out",
            &out.display().to_string(),
        ],
        dir.path(),
        &[],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let all = files(&out);
    let pngs: Vec<_> = all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(pngs.len() >= 4, "{all:?}");
    for p in &pngs {
        let bytes = std::fs::read(p).expect("png");
        assert!(bytes.starts_with(b"\x89PNG"), "{}", p.display());
    }
    let report = all
        .iter()
        .find(|p| {
            p.to_string_lossy()
                .ends_with("browser-consent.login-and-consent.html")
        })
        .expect("the scenario's HTML report");
    let html = std::fs::read_to_string(report).expect("html");
    let name = "browser-consent.login-and-consent.shot-1.png";
    assert!(html.contains(&format!("src=\"{name}\"")), "{html}");
    assert!(report.with_file_name(name).is_file());
    let md = std::fs::read_to_string(report.with_extension("md")).expect("md");
    assert!(md.contains(&format!("]({name})")), "{md}");
    assert!(
        md.contains("Browser page `login`") || md.contains("Browser page \\`login\\`"),
        "{md}"
    );
    // The password typed into the page appears in no text output.
    for f in all
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "png"))
    {
        let text = std::fs::read(f).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        assert!(!text.contains("alice-password"), "{}", f.display());
    }
    assert!(!stdout.contains("alice-password") && !stderr.contains("alice-password"));
}

#[test]
fn without_a_browser_the_scenarios_name_the_packages_and_the_others_still_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let suites = [
        root.join("suites/browser-consent.yaml")
            .display()
            .to_string(),
        root.join("suites/discovery.yaml").display().to_string(),
    ];
    let (_, stdout, stderr) = probity(
        &[
            "run",
            &suites[0],
            &suites[1],
            "--out",
            &out.display().to_string(),
        ],
        dir.path(),
        &[("PROBITY_CHROMEDRIVER", "/nonexistent/chromedriver")],
    );
    let json = std::fs::read_to_string(out.join("latest/report.json"))
        .or_else(|_| std::fs::read_to_string(out.join("report.json")))
        .unwrap_or_else(|e| panic!("report.json: {e}\n{stdout}\n{stderr}"));
    assert!(
        json.contains("apt-get install chromium chromium-driver"),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let scenarios = v["scenarios"].as_array().cloned().unwrap_or_default();
    let verdict = |suite: &str| -> Vec<String> {
        scenarios
            .iter()
            .filter(|s| s["suite"] == suite)
            .map(|s| s["verdict"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(!verdict("discovery").is_empty());
    assert!(verdict("discovery").iter().all(|v| v == "PASSED"), "{json}");
    let browser = verdict("browser-consent");
    assert_eq!(browser.len(), 3, "{json}");
    assert!(
        browser.iter().all(|v| v != "PASSED" && v != "FAILED"),
        "{browser:?}"
    );
}

#[test]
fn a_selector_that_is_not_css_is_a_located_validate_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("bad.yaml");
    let script = "          pages:\n            - name: login\n              url_contains: /login\n              actions:\n                - click: \"button]\"\n";
    std::fs::write(&f, suite("browser", script)).expect("suite");
    let (code, _, err) = probity(&["validate", &f.display().to_string()], dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yaml:15:26"), "{err}");
    assert!(
        err.contains("page `login`, `click`: `button]` is not a CSS selector"),
        "{err}"
    );
}

#[tokio::test]
async fn the_scripted_consent_needs_its_account_selected_so_select_is_proven() {
    let bank = common::bank(&[]).await;
    let target = bank.target();
    // The profile's script selects the account: it passes (above). Without
    // the `select`, the bank asks for an account and the driver is stuck.
    let no_select = "          pages:\n            - name: login\n              url_contains: /login\n              detect: \"iframe#login-frame\"\n              actions:\n                - frame: \"iframe#login-frame\"\n                - fill: { selector: \"input[name=username]\", value: alice }\n                - fill: { selector: \"input[name=password]\", value: alice-password }\n                - click: \"button[type=submit]\"\n            - name: consent\n              url_contains: /consent\n              actions:\n                - wait_for: \"button[value=approve]\"\n                - click: \"button[value=approve]\"\n";
    let r = common::run_yaml(&target, &suite("browser", no_select), "s").await;
    assert_eq!(common::verdict(&r, AUTHORIZE), Verdict::Failed);
    let with_select = no_select.replace(
        "                - click: \"button[value=approve]\"\n",
        "                - select: { selector: \"select[name=account]\", value: acc-1 }\n                - click: \"button[value=approve]\"\n",
    );
    let r = common::run_yaml(&target, &suite("browser", &with_select), "s").await;
    assert_eq!(common::failures(&r), Vec::<String>::new());
    bank.shutdown();
}
