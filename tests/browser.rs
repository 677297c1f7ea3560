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

fn labels(r: &probity::runner::ScenarioResult) -> Vec<String> {
    shots(r).into_iter().map(|(l, _, _)| l).collect()
}

/// The processes still alive (not zombies) in process group `group`, read
/// from /proc: after the run's shut-down there must be none.
fn alive_in_group(group: i32) -> Vec<String> {
    let mut alive = vec![];
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces and parens.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (state, pgrp) = (fields.first().copied(), fields.get(2).copied());
        if pgrp == Some(&group.to_string()) && state != Some("Z") {
            alive.push(head.to_string());
        }
    }
    alive
}

const TWO_SCENARIOS: &str = "suite: two\nscenarios:\n  - id: first\n    name: first\n    steps:\n      - discovery: {}\n      - authorize:\n          client: interactive-js\n          scope: openid accounts\n          driver: browser\n  - id: second\n    name: second\n    steps:\n      - discovery: {}\n      - authorize:\n          client: interactive-js\n          scope: openid accounts\n          driver: browser\n";

/// One Chromium for the run, a fresh context per scenario: scenarios run
/// one after the other, then two at once, in the same browser, and each
/// still meets the bank's login page (a shared context would carry the
/// first one's session cookie, and the bank would skip the login). The
/// run launched one browser, and after its shut-down no process of it is
/// left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_share_one_browser_but_each_has_its_own_cookies() {
    use probity::runner::{plan, run_scenario_in};
    use probity::steps::Browsers;
    use std::sync::Arc;
    let bank = common::bank(&[]).await;
    let target = bank.target();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("two.yaml");
    std::fs::write(&path, TWO_SCENARIOS).expect("suite");
    let suite = probity::suite::load_suite(&path).expect("the suite loads");
    let jobs = plan(std::slice::from_ref(&suite), &[]);
    let [first, second] = jobs.as_slice() else {
        panic!("two scenarios");
    };
    let client =
        Arc::new(probity::http::HttpClient::new(&target.tls, target.http.clone()).expect("client"));
    let browsers = Arc::new(Browsers::default());
    let run = |job| run_scenario_in(job, &target, client.clone(), browsers.clone());
    let one = run(first).await;
    let two = run(second).await;
    let (three, four) = tokio::join!(run(first), run(second));
    for (n, r) in [&one, &two, &three, &four].into_iter().enumerate() {
        assert_eq!(common::failures(r), Vec::<String>::new(), "run {n}");
        assert_eq!(common::verdict(r, AUTHORIZE), Verdict::Passed, "run {n}");
        assert!(
            labels(r).iter().any(|l| l == "Browser page `login`"),
            "run {n} was not asked to sign in: {:?}",
            labels(r)
        );
    }
    assert_eq!(browsers.launched(), 1, "one browser for the whole run");
    let groups = browsers.process_groups().await;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(groups.iter().all(|g| !alive_in_group(*g).is_empty()));
    browsers.shut_down().await;
    let start = std::time::Instant::now();
    for g in groups {
        while !alive_in_group(g).is_empty() && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(alive_in_group(g), Vec::<String>::new(), "left running");
    }
    bank.shutdown();
}

/// `wait_for_url` waits for the page to move on: after the login form is
/// submitted (it posts to the top window), the script waits for the consent
/// page's URL, and the flow passes. A URL that never comes fails naming
/// the page, the action and the URL text, with a screenshot.
#[tokio::test]
async fn wait_for_url_waits_for_the_next_page_and_names_what_never_came() {
    let bank = common::bank(&[]).await;
    let mut target = bank.target();
    target.consent.browser_timeout = std::time::Duration::from_secs(3);
    let pages = |url: &str| {
        format!(
            "          pages:\n            - name: login\n              url_contains: /login\n              actions:\n                - frame: \"iframe#login-frame\"\n                - fill: {{ selector: \"input[name=username]\", value: alice }}\n                - fill: {{ selector: \"input[name=password]\", value: alice-password }}\n                - click: \"button[type=submit]\"\n                - wait_for_url: \"{url}\"\n            - name: consent\n              url_contains: /consent\n              actions:\n                - wait_for: \"select[name=account]\"\n                - select: {{ selector: \"select[name=account]\", value: acc-1 }}\n                - click: \"button[value=approve]\"\n"
        )
    };
    // First the URL that never comes (before any consent is granted, so
    // the submitted login leads to the consent page, not past it).
    let r = common::run_yaml(&target, &suite("browser", &pages("/never-there")), "s").await;
    assert_eq!(common::verdict(&r, AUTHORIZE), Verdict::Failed);
    let why = failure(&r);
    for part in [
        "page `login`",
        "`wait_for_url` on `/never-there` failed",
        "the URL did not contain it within 3 s",
        "/consent?interaction=",
    ] {
        assert!(why.contains(part), "{part:?} not in {why}");
    }
    let got = shots(&r);
    let last = got.last().cloned().unwrap_or_default();
    assert_eq!(
        last.0, "Browser page `login` when `wait_for_url` failed",
        "{got:?}"
    );
    assert!(last.1.contains("/never-there") && last.2 > 1000, "{got:?}");
    let r = common::run_yaml(
        &target,
        &suite("browser", &pages("/consent?interaction=")),
        "s",
    )
    .await;
    assert_eq!(common::failures(&r), Vec::<String>::new());
    bank.shutdown();
}

/// The process groups of the Chromium processes whose profile lies under
/// `dir` (the `TMPDIR` a probity run was given): chromedriver's groups.
fn browser_groups(dir: &Path) -> Vec<i32> {
    let needle = format!("--user-data-dir={}", dir.display());
    let mut groups = vec![];
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(&needle) {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let group = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2))
            .and_then(|g| g.parse().ok());
        if let Some(g) = group {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    groups
}

/// Interrupts a browser-consent run once its Chromium is up, with one
/// Ctrl-C (the run ends its scenarios and shuts the browser down) or two
/// (it exits at once): either way no chromedriver or Chromium is left.
fn interrupted_leaves_nothing(signals: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["run", "-q", "suites/browser-consent.yaml", "--out"])
        .arg(tmp.path().join("out"))
        .current_dir(root)
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("probity starts");
    let start = std::time::Instant::now();
    let mut groups = browser_groups(tmp.path());
    while groups.is_empty() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        groups = browser_groups(tmp.path());
    }
    assert!(!groups.is_empty(), "no Chromium started");
    for _ in 0..signals {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = child.wait().expect("probity ends");
    assert_eq!(status.code(), Some(130), "interrupted");
    let start = std::time::Instant::now();
    for g in groups {
        while !alive_in_group(g).is_empty() && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(alive_in_group(g), Vec::<String>::new(), "left running");
    }
}

#[test]
fn a_run_interrupted_once_shuts_its_browser_down() {
    interrupted_leaves_nothing(1);
}

#[test]
fn a_run_interrupted_twice_still_kills_its_browser() {
    interrupted_leaves_nothing(2);
}
