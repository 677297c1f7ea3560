//! The form driver's secrets in the evidence: a field the login page marks
//! `type="password"` is redacted in every output whatever its name, and its
//! value wherever else it appears; a field the profile lists in
//! `secret_fields` is redacted too. The provider here names its password
//! field `word`, which no built-in name pattern covers, so only the page
//! can say it is a secret.

mod common;

use axum::extract::{Query, RawQuery};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use probity::http::redact::masked;
use probity::http::{HttpSettings, TlsSettings};
use probity::specs::Verdict;
use probity::target::{
    ClientAuthMethod, ClientProfile, ConsentDriver, ConsentSettings, FormPage, Target,
};
use std::collections::HashMap;
use std::path::Path;

/// The PSU's password, typed into the `type="password"` field `word`.
const PASSWORD: &str = "Tr0ub4dor&3";
/// A memorable word, in a plain text field the profile lists as secret.
const MEMORABLE: &str = "Blue-Whale";
const REDIRECT_URI: &str = "https://cb.example/cb";

/// A provider with a login page (password field `word`) and a consent page
/// that echoes the password, as a careless one might.
async fn provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let metadata = serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
    });
    let iss = base.clone();
    let login_form = |RawQuery(q): RawQuery| async move {
        Html(format!(
            "<html><title>Sign in</title><body><form id=\"login\" method=\"post\" action=\"/login?{}\">\
             <input name=\"user\"><input type=\"password\" name=\"word\"><input name=\"memorable\">\
             <button type=\"submit\">Sign in</button></form></body></html>",
            q.unwrap_or_default()
        ))
    };
    let consent_form = |RawQuery(q): RawQuery| async move {
        Html(format!(
            "<html><title>Consent</title><body><p>Signed in with password {PASSWORD}.</p>\
             <form id=\"consent\" method=\"post\" action=\"/consent?{}\">\
             <input type=\"hidden\" name=\"decision\" value=\"approve\"></form></body></html>",
            q.unwrap_or_default()
        ))
    };
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(metadata) }),
        )
        .route(
            "/authorize",
            get(|RawQuery(q): RawQuery| async move {
                Redirect::to(&format!("/login?{}", q.unwrap_or_default()))
            }),
        )
        .route(
            "/login",
            get(login_form).post(|RawQuery(q): RawQuery| async move {
                Redirect::to(&format!("/consent?{}", q.unwrap_or_default()))
            }),
        )
        .route(
            "/consent",
            get(consent_form).post(move |Query(q): Query<HashMap<String, String>>| async move {
                let mut cb = url::Url::parse(REDIRECT_URI).unwrap();
                cb.query_pairs_mut()
                    .append_pair("code", "c1")
                    .append_pair("state", q.get("state").map_or("", String::as_str))
                    .append_pair("iss", &iss);
                Redirect::to(cb.as_str()).into_response()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn target(issuer: String) -> Target {
    let page = |url: &str, form: &str, fields: &[(&str, &str)]| FormPage {
        url_contains: Some(url.into()),
        detect: None,
        form: form.into(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    Target {
        name: "form secrets".into(),
        discovery_url: Target::discovery_url_for(&issuer),
        api_base: issuer.clone(),
        issuer,
        client: ClientProfile {
            id: "c".into(),
            auth_method: ClientAuthMethod::None,
            secret: None,
            redirect_uri: Some(REDIRECT_URI.into()),
            key: None,
            assertion_audience: Default::default(),
        },
        clients: Default::default(),
        consent: ConsentSettings {
            driver: ConsentDriver::Form,
            login: Some(page(
                "/login",
                "form#login",
                &[
                    ("user", "alice"),
                    ("word", PASSWORD),
                    ("memorable", MEMORABLE),
                ],
            )),
            consent: Some(page("/consent", "form#consent", &[])),
            ..Default::default()
        },
        openapi: None,
        values: Default::default(),
        plans: vec![],
        variant: Default::default(),
        secret_fields: vec!["memorable".into()],
        tls: TlsSettings::default(),
        http: HttpSettings {
            insecure_http: true,
            ..HttpSettings::default()
        },
    }
}

fn every_output(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}

#[tokio::test]
async fn a_password_field_and_the_profiles_secret_fields_are_redacted_everywhere() {
    // The page, not the name, must say `word` is a secret.
    let t = target(provider().await);
    assert!(!t.is_secret_field("word"));
    assert!(!t.secrets().iter().any(|s| s == PASSWORD));
    let r = common::run_yaml(
        &t,
        "suite: form\nscenarios:\n  - id: login\n    name: Login\n    steps:\n      - discovery: {}\n      - authorize: { scope: openid }\n",
        "login",
    )
    .await;
    assert_eq!(
        common::verdict(&r, "authorize.redirected_to_client"),
        Verdict::Passed,
        "{:?}",
        common::failures(&r)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_reports(dir.path(), t.redactor(), &r);
    let all = every_output(dir.path());
    for secret in [PASSWORD, "Tr0ub4dor%263", MEMORABLE] {
        assert!(!all.contains(secret), "{secret} leaked into the outputs");
    }
    let md = std::fs::read_to_string(dir.path().join("form.login.md")).expect("md");
    let (word, memorable) = (masked(PASSWORD), masked(MEMORABLE));
    // The submitted body, with the fingerprint of the decoded value.
    assert!(
        md.contains(&format!("word={word}&memorable={memorable}")),
        "{md}"
    );
    // The page's list of submitted fields.
    assert!(md.contains(&format!("* `word`: `{word}`")), "{md}");
    assert!(
        md.contains(&format!("* `memorable`: `{memorable}`")),
        "{md}"
    );
    assert!(md.contains("* `user`: `alice`"), "{md}");
    // Elsewhere: the consent page that echoes the password, captured as
    // the exchange's body and as the page's text.
    let echoed = format!("Signed in with password {word}");
    assert!(md.contains(&echoed), "{md}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("json"),
    )
    .expect("report.json parses");
    let consent_page = json["scenarios"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == "page" && i["label"] == "Consent page")
        .expect("the consent page is shown");
    assert!(
        consent_page["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&echoed),
        "{consent_page}"
    );
    // --no-redact shows them: the masking above is redaction, not loss.
    let open = tempfile::tempdir().expect("tempdir");
    common::write_reports(open.path(), probity::http::redact::Redactor::disabled(), &r);
    let shown = std::fs::read_to_string(open.path().join("form.login.md")).expect("md");
    assert!(
        shown.contains(&format!("* `word`: `{PASSWORD}`")),
        "{shown}"
    );
}

/// A profile's `secret_fields` loads, makes the login field of that name a
/// literal secret, and masks the member in JSON and forms.
#[test]
fn a_profiles_secret_fields_are_loaded_and_masked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bank.yaml");
    std::fs::write(
        &path,
        "issuer: https://bank.example\nclient:\n  id: tpp\n  auth_method: none\nsecret_fields: [memorable_word, otp]\nconsent:\n  driver: form\n  login:\n    form: form#login\n    fields: { user: alice, memorable_word: Blue-Whale }\n",
    )
    .expect("profile");
    let t = probity::target::load_target(&path).expect("the profile loads");
    assert_eq!(t.secret_fields, ["memorable_word", "otp"]);
    assert!(t.secrets().iter().any(|s| s == MEMORABLE));
    let r = t.redactor();
    assert_eq!(
        r.body(r#"{"otp":"123456"}"#),
        format!("{{\n  \"otp\": \"{}\"\n}}", masked("123456"))
    );
    assert_eq!(r.body("otp=123456"), format!("otp={}", masked("123456")));
    assert_eq!(
        r.text("the word is Blue-Whale"),
        format!("the word is {}", masked(MEMORABLE))
    );
}
