//! A hostile or broken target yields failed specs with reasons, never a
//! panic or an error, and the rest of the scenario still runs.

mod common;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use probity::http::{HttpSettings, TlsSettings};
use probity::specs::Verdict;
use probity::target::{ClientAuthMethod, ClientProfile, Target};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WK: &str = "/.well-known/openid-configuration";

async fn hostile_server() -> String {
    let app = Router::new()
        .route(
            &format!("/malformed{WK}"),
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"issuer\": ",
                )
            }),
        )
        .route(
            &format!("/array{WK}"),
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], "[1,2]") }),
        )
        .route(
            &format!("/huge{WK}"),
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    "x".repeat(4 * 1024 * 1024),
                )
            }),
        )
        .route(
            &format!("/slow{WK}"),
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            &format!("/redirect{WK}"),
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, format!("/redirect{WK}"))],
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn target(issuer: String, tls: TlsSettings) -> Target {
    Target {
        name: "hostile".into(),
        discovery_url: Target::discovery_url_for(&issuer),
        api_base: issuer.clone(),
        issuer,
        client: ClientProfile {
            id: "c".into(),
            auth_method: ClientAuthMethod::None,
            secret: None,
            redirect_uri: None,
            key: None,
            assertion_audience: Default::default(),
        },
        clients: Default::default(),
        consent: Default::default(),
        openapi: None,
        values: Default::default(),
        plans: vec![],
        tls,
        http: HttpSettings {
            timeout: Duration::from_millis(400),
            max_body_bytes: 64 * 1024,
            insecure_http: false,
        },
    }
}

async fn discovery_against(base: &str, path: &str) -> probity::runner::ScenarioResult {
    common::run(
        &target(format!("{base}/{path}"), TlsSettings::default()),
        "discovery.yaml",
        "jwks-by-reference",
    )
    .await
}

fn reason(r: &probity::runner::ScenarioResult, id: &str) -> String {
    r.spec(id).and_then(|s| s.explanation()).unwrap_or_default()
}

#[tokio::test]
async fn malformed_json_fails_json_object_and_skips_the_rest() {
    let base = hostile_server().await;
    let r = discovery_against(&base, "malformed").await;
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Passed);
    assert_eq!(
        common::verdict(&r, "discovery.json_object"),
        Verdict::Failed
    );
    assert!(
        reason(&r, "discovery.json_object").contains("not JSON"),
        "{}",
        reason(&r, "discovery.json_object")
    );
    assert_eq!(
        common::verdict(&r, "discovery.issuer_matches"),
        Verdict::Skipped
    );
    // The request step that needs `discovery.jwks_uri` still runs, and says why it is skipped.
    let status = r.spec("request.status").unwrap();
    assert_eq!(status.verdict, Verdict::Skipped);
    assert!(
        status
            .reason
            .as_ref()
            .unwrap()
            .contains("`{{ discovery.jwks_uri }}` is not set"),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_json_array_is_not_a_provider_configuration() {
    let base = hostile_server().await;
    let r = discovery_against(&base, "array").await;
    let s = r.spec("discovery.json_object").unwrap();
    assert_eq!(
        (s.verdict, s.actual.as_deref()),
        (Verdict::Failed, Some("an array"))
    );
}

#[tokio::test]
async fn a_huge_body_is_cut_at_the_limit_and_fails() {
    let base = hostile_server().await;
    let r = discovery_against(&base, "huge").await;
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Failed);
    assert!(
        reason(&r, "discovery.status_ok").contains("exceeds the limit of 65536 bytes"),
        "{}",
        reason(&r, "discovery.status_ok")
    );
    let body = &r.steps[0].exchanges[0].response.as_ref().unwrap().body;
    assert_eq!(body.len(), 64 * 1024);
}

#[tokio::test]
async fn a_slow_target_times_out() {
    let base = hostile_server().await;
    let started = std::time::Instant::now();
    let r = discovery_against(&base, "slow").await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Failed);
    assert!(
        reason(&r, "discovery.status_ok").contains("timed out"),
        "{}",
        reason(&r, "discovery.status_ok")
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_fails_status() {
    let base = hostile_server().await;
    let r = discovery_against(&base, "redirect").await;
    let s = r.spec("discovery.status_ok").unwrap();
    assert_eq!(
        (s.verdict, s.actual.as_deref()),
        (Verdict::Failed, Some("302"))
    );
    assert_eq!(
        r.steps[0].exchanges.len(),
        1,
        "exactly one request: redirects are the steps' business"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_with_the_tls_reason() {
    let bank = common::bank(&[]).await;
    let r = common::run(
        &target(bank.issuer.clone(), TlsSettings::default()),
        "discovery.yaml",
        "provider-metadata",
    )
    .await;
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Failed);
    let why = reason(&r, "discovery.status_ok");
    assert!(why.to_lowercase().contains("certificate"), "{why}");
}

#[tokio::test]
async fn nothing_listening_fails_with_a_connection_reason() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let r = common::run(
        &target(format!("http://127.0.0.1:{port}"), TlsSettings::default()),
        "discovery.yaml",
        "provider-metadata",
    )
    .await;
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Failed);
    assert!(
        reason(&r, "discovery.status_ok")
            .to_lowercase()
            .contains("connect"),
        "{}",
        reason(&r, "discovery.status_ok")
    );
}

/// A CIBA provider whose `interval` and `expires_in` are the largest JSON
/// integers and that never decides.
async fn endless_ciba_server() -> String {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let metadata = serde_json::json!({
        "issuer": base,
        "token_endpoint": format!("{base}/token"),
        "backchannel_authentication_endpoint": format!("{base}/bc"),
        "backchannel_token_delivery_modes_supported": ["poll"],
        "grant_types_supported": ["urn:openid:params:grant-type:ciba"],
    });
    let app = Router::new()
        .route(WK, get(move || async move { axum::Json(metadata) }))
        .route(
            "/bc",
            post(|| async {
                axum::Json(serde_json::json!({
                    "auth_req_id": "r1",
                    "interval": u64::MAX,
                    "expires_in": u64::MAX,
                }))
            }),
        )
        .route(
            "/token",
            post(|| async {
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": "authorization_pending"})),
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn a_huge_ciba_interval_neither_panics_nor_outwaits_the_timeout() {
    let base = endless_ciba_server().await;
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("ciba.yaml");
    std::fs::write(
        &suite,
        "suite: ciba\nscenarios:\n  - id: endless\n    name: Endless\n    steps:\n      - discovery: {}\n      - decoupled:\n          login_hint: alice\n          timeout_s: 1\n",
    )
    .unwrap();
    let suite = probity::suite::load_suite(&suite).unwrap();
    let started = std::time::Instant::now();
    // A loopback development target: its polls carry `auth_req_id`.
    let mut t = target(base, TlsSettings::default());
    t.http.insecure_http = true;
    let r = common::run_loaded(&t, &suite, "endless").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        common::verdict(&r, "decoupled.request_accepted"),
        Verdict::Passed
    );
    assert_eq!(common::verdict(&r, "decoupled.completes"), Verdict::Failed);
    assert!(
        reason(&r, "decoupled.completes").contains("no decision within 1 s"),
        "{}",
        reason(&r, "decoupled.completes")
    );
}

/// An https provider whose discovery names a plain-http token endpoint, and
/// that http listener, which counts every request it gets. Returns the
/// issuer, the CA to trust and the counter.
async fn https_provider_with_http_token_endpoint() -> (String, String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let token_endpoint = format!("http://{}/token", plain.local_addr().unwrap());
    let counted = hits.clone();
    let sink = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { axum::Json(serde_json::json!({"access_token": "t", "token_type": "Bearer"})) }
    });
    tokio::spawn(async move { axum::serve(plain, sink).await });

    let tls = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    tls.set_nonblocking(true).unwrap();
    let issuer = format!("https://{}", tls.local_addr().unwrap());
    let pki = probity::bank::Pki::generate(&["127.0.0.1".to_string()]).unwrap();
    let metadata = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": token_endpoint,
        "grant_types_supported": ["client_credentials"],
        "jwks_uri": format!("{issuer}/jwks"),
    });
    let app = Router::new().route(WK, get(move || async move { axum::Json(metadata) }));
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(
        pki.server_config(false).unwrap(),
    ));
    tokio::spawn(async move {
        axum_server::tls_rustls::from_tcp_rustls(tls, config)
            .serve(app.into_make_service())
            .await
    });
    (issuer, pki.ca_pem, hits)
}

#[tokio::test]
async fn client_credentials_are_never_sent_to_a_plain_http_token_endpoint() {
    let (issuer, ca_pem, hits) = https_provider_with_http_token_endpoint().await;
    let mut t = target(
        issuer,
        TlsSettings {
            ca_pem: Some(ca_pem),
            identity_pem: None,
        },
    );
    t.client.auth_method = ClientAuthMethod::ClientSecretBasic;
    t.client.secret = Some("never-in-cleartext".into());
    let r = common::run(&t, "client-credentials.yaml", "client-secret-basic").await;
    assert_eq!(common::verdict(&r, "discovery.status_ok"), Verdict::Passed);
    assert_eq!(common::verdict(&r, "token.status_ok"), Verdict::Failed);
    let why = reason(&r, "token.status_ok");
    assert!(
        why.contains("refused to send client credentials over cleartext to http://127.0.0.1:"),
        "{why}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the http endpoint got a request"
    );
    // The exchange is recorded as not sent: the request, no response.
    let token = r
        .steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .find(|e| e.request.url.ends_with("/token"))
        .expect("the refused request is recorded");
    assert!(token.response.is_none());
    assert!(token.error.as_deref().unwrap_or("").contains("not sent"));
}
