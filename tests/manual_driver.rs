//! The manual consent driver: the URL goes to a "browser" (here curl, run
//! as the profile's `open` command) and the callback comes back to probity's
//! loopback listener (RFC 8252 §7.3); a timeout is a failure with a reason.

mod common;

use probity::bank::RunningBank;
use probity::runner::ScenarioResult;
use probity::target::{ConsentDriver, ManualSettings, Target};
use std::time::Duration;

const SUITE: &str = r#"suite: manual
scenarios:
  - id: code
    name: Code flow answered in a browser
    steps:
      - discovery: {}
      - authorize: { scope: openid accounts, expect_consent_prompt: false }
      - token: {}
      - id_token: {}
  - id: hybrid
    name: Hybrid flow whose answer is in the fragment
    steps:
      - discovery: {}
      - authorize: { scope: openid accounts, response_type: code id_token }
      - id_token: { from: authorize }
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn manual_target(bank: &RunningBank, open: &[&str], timeout: Duration) -> Target {
    let mut t = bank.target();
    let redirect = format!("http://127.0.0.1:{}/probity/callback", free_port());
    t.client.redirect_uri = Some(redirect);
    t.consent.driver = ConsentDriver::Manual;
    t.consent.manual = ManualSettings {
        timeout,
        open: open.iter().map(|s| s.to_string()).collect(),
    };
    t
}

async fn run(t: &Target, scenario: &str) -> ScenarioResult {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manual.yaml");
    std::fs::write(&path, SUITE).unwrap();
    let suite = probity::suite::load_suite(&path).unwrap();
    common::run_loaded(t, &suite, scenario).await
}

/// A browser that follows the bank's redirect to the loopback listener.
const CURL: &[&str] = &["curl", "-sk", "-L", "--max-redirs", "3", "-o", "/dev/null"];

/// A browser that, like the landing page's script, moves a fragment into the
/// query before coming back.
const FRAGMENT_BROWSER: &[&str] = &[
    "sh",
    "-c",
    r#"loc=$(curl -sk -o /dev/null -w '%{redirect_url}' "$0"); curl -s -o /dev/null "${loc%%#*}?${loc#*#}&probity_fragment=1""#,
];

#[tokio::test]
async fn the_callback_reaches_the_loopback_listener() {
    let bank = common::bank(&[]).await;
    let r = run(&manual_target(&bank, CURL, Duration::from_secs(20)), "code").await;
    let failed: Vec<String> = common::failures(&r)
        .into_iter()
        .filter(|f| !f.starts_with("Skipped consent.not_prompted"))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let skipped = r
        .specs()
        .find(|s| s.id == "consent.not_prompted")
        .expect("judged");
    assert_eq!(
        skipped.verdict,
        probity::specs::Verdict::Skipped,
        "probity did not see the pages"
    );
    assert!(r.specs().any(
        |s| s.id == "id_token.signature_valid" && s.verdict == probity::specs::Verdict::Passed
    ));
}

#[tokio::test]
async fn a_fragment_response_comes_back_through_the_landing_page() {
    let bank = common::bank(&[]).await;
    let t = manual_target(&bank, FRAGMENT_BROWSER, Duration::from_secs(20));
    let r = run(&t, "hybrid").await;
    assert!(
        common::failures(&r).is_empty(),
        "{:?}",
        common::failures(&r)
    );
    assert!(r
        .specs()
        .any(|s| s.id == "callback.hybrid_in_fragment"
            && s.verdict == probity::specs::Verdict::Passed));
}

#[tokio::test]
async fn no_callback_within_the_timeout_fails_with_a_reason() {
    let bank = common::bank(&[]).await;
    let r = run(&manual_target(&bank, &[], Duration::from_secs(1)), "code").await;
    let text = format!("{:?}", common::failures(&r));
    assert!(
        text.contains("no callback reached") && text.contains("within 1 s"),
        "{text}"
    );
}
