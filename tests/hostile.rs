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
        variant: Default::default(),
        secret_fields: vec![],
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
/// A CIBA provider over plain http on loopback that answers the
/// authentication request with `start` and every poll with
/// `authorization_pending`.
async fn pending_ciba_server(start: serde_json::Value) -> String {
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
        .route("/bc", post(move || async move { axum::Json(start) }))
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

/// A one-step CIBA scenario (`login_hint: alice`, 1 s) against `base`, a
/// loopback development target (its polls carry `auth_req_id`).
async fn ciba_scenario(base: String) -> probity::runner::ScenarioResult {
    let mut t = target(base, TlsSettings::default());
    t.http.insecure_http = true;
    common::run_yaml(
        &t,
        "suite: ciba\nscenarios:\n  - id: one\n    name: One\n    steps:\n      - discovery: {}\n      - decoupled:\n          login_hint: alice\n          timeout_s: 1\n",
        "one",
    )
    .await
}

#[tokio::test]
async fn a_huge_ciba_interval_neither_panics_nor_outwaits_the_timeout() {
    let base = pending_ciba_server(serde_json::json!({
        "auth_req_id": "r1",
        "interval": u64::MAX,
        "expires_in": u64::MAX,
    }))
    .await;
    let started = std::time::Instant::now();
    let r = ciba_scenario(base).await;
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

// ---------------------------------------------------------------------------
// A hostile OpenID provider: its authorization endpoint, token response and
// JWKS are whatever the test says.

/// What the provider answers.
#[derive(Clone)]
struct Provider {
    /// The authorization endpoint's `Location`, from (issuer, redirect URI, state).
    location: fn(&str, &str, &str) -> String,
    /// The token endpoint's JSON.
    token: serde_json::Value,
    /// The JWKS.
    jwks: serde_json::Value,
}

/// The usual answer: back to the redirect URI with a code.
fn to_callback(iss: &str, redirect_uri: &str, state: &str) -> String {
    let mut u = url::Url::parse(redirect_uri).unwrap();
    u.query_pairs_mut()
        .append_pair("code", "c1")
        .append_pair("state", state)
        .append_pair("iss", iss);
    u.to_string()
}

const REDIRECT_URI: &str = "https://cb.example/cb";

async fn provider(p: Provider) -> String {
    use axum::extract::Query;
    use axum::routing::post;
    use std::collections::HashMap;
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
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    });
    let iss = base.clone();
    let Provider {
        location,
        token,
        jwks,
    } = p;
    let app = Router::new()
        .route(WK, get(move || async move { axum::Json(metadata) }))
        .route(
            "/authorize",
            get(move |Query(q): Query<HashMap<String, String>>| async move {
                let get = |k: &str| q.get(k).cloned().unwrap_or_default();
                let to = location(&iss, &get("redirect_uri"), &get("state"));
                (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
            }),
        )
        .route("/token", post(move || async move { axum::Json(token) }))
        .route("/jwks", get(move || async move { axum::Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A loopback development target with a confidential client.
fn provider_target(issuer: String) -> Target {
    let mut t = target(issuer, TlsSettings::default());
    t.http.insecure_http = true;
    t.client.auth_method = ClientAuthMethod::ClientSecretBasic;
    t.client.secret = Some("s".into());
    t.client.redirect_uri = Some(REDIRECT_URI.into());
    t
}

/// discovery, authorize, token, id_token.
async fn flow(t: &Target) -> probity::runner::ScenarioResult {
    let started = std::time::Instant::now();
    let r = common::run_yaml(
        t,
        "suite: hostile\nscenarios:\n  - id: flow\n    name: Flow\n    steps:\n      - discovery: {}\n      - authorize:\n          scope: openid\n      - token: {}\n      - id_token: {}\n",
        "flow",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    r
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS with this header and claims and a signature of junk.
fn unsigned_token(header: serde_json::Value, claims: serde_json::Value) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&[7u8; 64])
    )
}

fn claims() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    serde_json::json!({"iss": "x", "sub": "u", "aud": "c", "exp": now + 60, "iat": now})
}

/// A P-256 public JWK with this kid.
fn ec_jwk(kid: &str) -> serde_json::Value {
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    let mut jwk = EcKeyPair::generate(EcCurve::P256)
        .unwrap()
        .to_jwk_public_key();
    jwk.set_key_id(kid);
    serde_json::to_value(jwk.as_ref()).unwrap()
}

fn token_with(id_token: String, extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60, "id_token": id_token});
    if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

async fn id_token_flow(
    id_token: String,
    jwks: serde_json::Value,
) -> probity::runner::ScenarioResult {
    let base = provider(Provider {
        location: to_callback,
        token: token_with(id_token, serde_json::json!({})),
        jwks,
    })
    .await;
    let mut t = provider_target(base);
    t.http.max_body_bytes = 4 * 1024 * 1024;
    flow(&t).await
}

fn failed_because(r: &probity::runner::ScenarioResult, id: &str, needle: &str) {
    let why = reason(r, id);
    assert_eq!(common::verdict(r, id), Verdict::Failed, "{id}: {why}");
    assert!(why.contains(needle), "{id}: {why:?} lacks {needle:?}");
    assert!(why.len() < 2048, "{id}: a reason of {} bytes", why.len());
}

#[tokio::test]
async fn a_non_ascii_alg_and_absurd_typ_fail_the_alg_specs() {
    let token = unsigned_token(
        serde_json::json!({"alg": "PS2é6", "kid": "k1", "typ": "\u{0}\u{202e}JWT".repeat(1000)}),
        claims(),
    );
    let r = id_token_flow(token, serde_json::json!({"keys": [ec_jwk("k1")]})).await;
    assert_eq!(common::verdict(&r, "id_token.decodes"), Verdict::Passed);
    failed_because(&r, "id_token.alg_allowed", "PS2é6");
    failed_because(&r, "id_token.signature_valid", "unsupported alg `PS2é6`");
}

#[tokio::test]
async fn an_absurd_kid_fails_kid_known_with_a_bounded_reason() {
    let kid = "é".repeat(64 * 1024);
    let token = unsigned_token(serde_json::json!({"alg": "ES256", "kid": kid}), claims());
    let r = id_token_flow(token, serde_json::json!({"keys": [ec_jwk("k1")]})).await;
    failed_because(&r, "id_token.kid_in_jwks", "is not published");
    assert_eq!(
        common::verdict(&r, "id_token.signature_valid"),
        Verdict::Skipped
    );
}

#[tokio::test]
async fn a_jwks_of_absurd_keys_fails_the_signature_with_the_key_error() {
    let token = unsigned_token(serde_json::json!({"alg": "ES256", "kid": "🔑"}), claims());
    let jwks = serde_json::json!({"keys": [
        {"kty": "EC🔑", "kid": "🔑", "alg": "ES2€6", "crv": "P-256", "x": "é", "y": "\u{0}"},
        {"kty": "RSA", "kid": "🔑", "n": 5, "e": []},
    ]});
    let r = id_token_flow(token, jwks).await;
    failed_because(
        &r,
        "id_token.signature_valid",
        "ES256 signature does not verify with key 🔑",
    );
}

#[tokio::test]
async fn a_one_megabyte_id_token_is_judged_and_fails_its_signature() {
    let mut c = claims();
    c["padding"] = "A".repeat(1024 * 1024).into();
    let token = unsigned_token(serde_json::json!({"alg": "ES256", "kid": "k1"}), c);
    assert!(token.len() > 1024 * 1024);
    let r = id_token_flow(token, serde_json::json!({"keys": [ec_jwk("k1")]})).await;
    assert_eq!(common::verdict(&r, "id_token.decodes"), Verdict::Passed);
    failed_because(
        &r,
        "id_token.signature_valid",
        "ES256 signature does not verify with key k1",
    );
}

async fn client_credentials_with(token: serde_json::Value) -> probity::runner::ScenarioResult {
    let base = provider(Provider {
        location: to_callback,
        token,
        jwks: serde_json::json!({"keys": []}),
    })
    .await;
    let mut t = provider_target(base);
    t.values.resource_scope = "accounts".into();
    common::run(&t, "client-credentials.yaml", "client-secret-basic").await
}

#[tokio::test]
async fn a_negative_token_expires_in_is_reported_as_negative() {
    let r = client_credentials_with(
        serde_json::json!({"access_token": "a", "token_type": "Bearer", "expires_in": -3600}),
    )
    .await;
    assert_eq!(common::verdict(&r, "token.status_ok"), Verdict::Passed);
    let s = r.spec("token.expires_in").unwrap();
    assert_eq!(s.actual.as_deref(), Some("-3600"), "{s:?}");
}

#[tokio::test]
async fn a_huge_token_expires_in_neither_panics_nor_overflows() {
    let r = client_credentials_with(
        serde_json::json!({"access_token": "a", "token_type": "Bearer", "expires_in": 1e308}),
    )
    .await;
    let s = r.spec("token.expires_in").unwrap();
    assert_eq!(s.verdict, Verdict::Passed, "{s:?}");
    assert!(
        s.explanation().unwrap_or_default().contains("1e+308 s"),
        "{s:?}"
    );
}

/// A CIBA provider that says `interval: -5` and `expires_in: -1`.
#[tokio::test]
async fn a_negative_ciba_interval_and_expires_in_are_reported_not_obeyed() {
    let base = pending_ciba_server(
        serde_json::json!({"auth_req_id": "r1", "interval": -5, "expires_in": -1}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = ciba_scenario(base).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let s = r.spec("decoupled.expires_in").unwrap();
    assert_eq!(
        (s.verdict, s.actual.as_deref()),
        (Verdict::Failed, Some("-1")),
        "{s:?}"
    );
    failed_because(&r, "decoupled.completes", "no decision within 1 s");
    // A negative interval is not a busy loop: CIBA's default of 5 s applies,
    // so within the 1 s timeout there is exactly one poll.
    let polls = r
        .steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .filter(|e| e.request.url.ends_with("/token"))
        .count();
    assert_eq!(polls, 1);
}

/// gzip of 16 MiB of zeros, repeated into a multi-member stream of 1 GiB.
fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 16 * 1024 * 1024]).unwrap();
    let member = enc.finish().unwrap();
    member.repeat(64)
}

#[tokio::test]
async fn a_gzip_bomb_is_read_raw_and_cut_at_the_limit() {
    // reqwest is built without its `gzip` feature (Cargo.toml): nothing is
    // decompressed, so the body is the compressed bytes, capped.
    let bomb = gzip_bomb();
    assert!(bomb.len() > 64 * 1024);
    let app = Router::new().route(
        WK,
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                bomb,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let r = common::run(
        &target(base, TlsSettings::default()),
        "discovery.yaml",
        "provider-metadata",
    )
    .await;
    failed_because(
        &r,
        "discovery.status_ok",
        "exceeds the limit of 65536 bytes",
    );
    let body = &r.steps[0].exchanges[0].response.as_ref().unwrap().body;
    assert!(body.len() <= 3 * 64 * 1024, "{} bytes kept", body.len());
}

/// A raw TCP server that answers every connection with `respond`.
async fn raw_server<F, Fut>(respond: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            tokio::spawn(respond(stream));
        }
    });
    base
}

#[tokio::test]
async fn headers_trickled_a_byte_at_a_time_time_out() {
    let base = raw_server(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        if s.write_all(b"HTTP/1.1 200 OK\r\n").await.is_err() {
            return;
        }
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if s.write_all(b"x").await.is_err() {
                return;
            }
        }
    })
    .await;
    let started = std::time::Instant::now();
    let r = common::run(
        &target(base, TlsSettings::default()),
        "discovery.yaml",
        "provider-metadata",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    failed_because(&r, "discovery.status_ok", "timed out");
}

#[tokio::test]
async fn ten_thousand_headers_are_refused() {
    let base = raw_server(|mut s| async move {
        use tokio::io::AsyncWriteExt;
        let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
        for i in 0..10_000 {
            head.push_str(&format!("x-h{i}: v\r\n"));
        }
        head.push_str("content-length: 2\r\n\r\n{}");
        let _ = s.write_all(head.as_bytes()).await;
    })
    .await;
    let r = common::run(
        &target(base, TlsSettings::default()),
        "discovery.yaml",
        "provider-metadata",
    )
    .await;
    failed_because(&r, "discovery.status_ok", "message head is too large");
}

async fn authorize_to(
    location: fn(&str, &str, &str) -> String,
    driver: probity::target::ConsentDriver,
) -> probity::runner::ScenarioResult {
    let base = provider(Provider {
        location,
        token: serde_json::json!({}),
        jwks: serde_json::json!({"keys": []}),
    })
    .await;
    let mut t = provider_target(base);
    t.consent.driver = driver;
    flow(&t).await
}

/// The exchanges of the authorize step.
fn authorize_urls(r: &probity::runner::ScenarioResult) -> Vec<String> {
    r.steps[1]
        .exchanges
        .iter()
        .map(|e| e.request.url.clone())
        .collect()
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_the_callback() {
    use probity::target::ConsentDriver;
    let r = authorize_to(
        |_, _, state| format!("https://evil.example/cb?code=c1&state={state}"),
        ConsentDriver::Redirect,
    )
    .await;
    failed_because(
        &r,
        "authorize.redirected_to_client",
        "the ASPSP sent an authorization response (`code`) to https://evil.example/cb?code=c1",
    );
    assert_eq!(authorize_urls(&r).len(), 1, "not followed");
    assert_eq!(common::verdict(&r, "token.status_ok"), Verdict::Skipped);
}

#[tokio::test]
async fn a_redirect_to_a_file_url_is_refused_by_the_form_driver() {
    use probity::target::ConsentDriver;
    let r = authorize_to(|_, _, _| "file:///etc/passwd".into(), ConsentDriver::Form).await;
    failed_because(
        &r,
        "authorize.redirected_to_client",
        "refused to follow the ASPSP to a `file:` URL (file:///etc/passwd)",
    );
    assert!(authorize_urls(&r).iter().all(|u| u.starts_with("http")));
}

#[tokio::test]
async fn a_redirect_to_javascript_is_refused_by_both_drivers() {
    use probity::target::ConsentDriver;
    for driver in [ConsentDriver::Redirect, ConsentDriver::Form] {
        let r = authorize_to(|_, _, _| "javascript:alert(document.cookie)".into(), driver).await;
        failed_because(
            &r,
            "authorize.redirected_to_client",
            "refused to follow the ASPSP to a `javascript:` URL (javascript:alert(document.cookie))",
        );
        assert!(authorize_urls(&r).iter().all(|u| u.starts_with("http")));
    }
}

/// An https server on 127.0.0.1 with a certificate from `pki`.
async fn tls_server(pki: &probity::bank::Pki) -> String {
    let tls = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    tls.set_nonblocking(true).unwrap();
    let base = format!("https://{}", tls.local_addr().unwrap());
    let app = Router::new().route(WK, get(|| async { axum::Json(serde_json::json!({})) }));
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(
        pki.server_config(false).unwrap(),
    ));
    tokio::spawn(async move {
        axum_server::tls_rustls::from_tcp_rustls(tls, config)
            .serve(app.into_make_service())
            .await
    });
    base
}

async fn discovery_trusting(base: String, ca_pem: String) -> probity::runner::ScenarioResult {
    let t = target(
        base,
        TlsSettings {
            ca_pem: Some(ca_pem),
            identity_pem: None,
        },
    );
    common::run(&t, "discovery.yaml", "provider-metadata").await
}

#[tokio::test]
async fn a_certificate_for_another_name_fails_with_the_name() {
    let pki = probity::bank::Pki::generate(&["wrong.example".to_string()]).unwrap();
    let base = tls_server(&pki).await;
    let r = discovery_trusting(base, pki.ca_pem.clone()).await;
    failed_because(&r, "discovery.status_ok", "not valid for name");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_fails_with_unknown_issuer() {
    let pki = probity::bank::Pki::generate(&["127.0.0.1".to_string()]).unwrap();
    let base = tls_server(&pki).await;
    // Trust some other CA, with another name.
    let other = rcgen::generate_simple_self_signed(vec!["other-ca.example".to_string()]).unwrap();
    let r = discovery_trusting(base, other.cert.pem()).await;
    failed_because(&r, "discovery.status_ok", "UnknownIssuer");
}

#[tokio::test]
async fn a_certificate_from_a_ca_impersonating_the_trusted_name_fails_its_signature() {
    // Two generated PKIs share the CA's distinguished name but not its key:
    // a rogue CA that copies the trusted CA's name.
    let pki = probity::bank::Pki::generate(&["127.0.0.1".to_string()]).unwrap();
    let rogue = probity::bank::Pki::generate(&["127.0.0.1".to_string()]).unwrap();
    let base = tls_server(&rogue).await;
    let r = discovery_trusting(base, pki.ca_pem.clone()).await;
    failed_because(
        &r,
        "discovery.status_ok",
        "invalid peer certificate: BadSignature",
    );
}

/// An https server speaking only HTTP/2 that resets every stream.
async fn h2_resetting_server(pki: &probity::bank::Pki) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let mut config = pki.server_config(false).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut conn) = h2::server::handshake(tls).await else {
                    return;
                };
                while let Some(Ok((_, mut respond))) = conn.accept().await {
                    respond.send_reset(h2::Reason::INTERNAL_ERROR);
                }
            });
        }
    });
    base
}

#[tokio::test]
async fn an_http2_stream_reset_fails_with_the_reset() {
    let pki = probity::bank::Pki::generate(&["127.0.0.1".to_string()]).unwrap();
    let base = h2_resetting_server(&pki).await;
    let started = std::time::Instant::now();
    let r = discovery_trusting(base, pki.ca_pem.clone()).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    failed_because(&r, "discovery.status_ok", "stream error received");
}

#[test]
fn an_unreachable_target_is_reported_once_and_the_other_scenarios_are_not_run() {
    // Nothing listens on this port: every connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("dead.yaml");
    std::fs::write(
        &profile,
        format!("issuer: https://127.0.0.1:{port}\nclient:\n  id: x\n  auth_method: none\n  redirect_uri: https://127.0.0.1/cb\n"),
    )
    .expect("profile");
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args([
            "run",
            "suites/discovery.yaml",
            "suites/auth-code.yaml",
            "--jobs",
            "1",
            "--target",
        ])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("json"))
            .expect("json");
    let rows = json["summary"]["scenarios"].as_array().expect("rows");
    let failed = rows.iter().filter(|r| r["verdict"] == "FAILED").count();
    let not_run: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["not_judged"].as_str())
        .filter(|w| {
            w.starts_with("not run: the target is unreachable (")
                && w.contains("Connection refused")
        })
        .collect();
    assert_eq!(failed, 1, "the unreachable target is failed once: {rows:?}");
    assert_eq!(not_run.len(), rows.len() - 1, "{rows:?}");
}

/// A large value is stored once in report.json: a megabyte ID token that
/// two token responses carry is written in full once and named the second
/// time, and `probity report` renders the markdown back byte for byte.
#[tokio::test]
async fn a_one_megabyte_id_token_is_stored_once_in_report_json() {
    let mut c = claims();
    c["padding"] = "A".repeat(1024 * 1024).into();
    let token = unsigned_token(serde_json::json!({"alg": "ES256", "kid": "k1"}), c);
    let base = provider(Provider {
        location: to_callback,
        token: token_with(token.clone(), serde_json::json!({})),
        jwks: serde_json::json!({"keys": [ec_jwk("k1")]}),
    })
    .await;
    let mut t = provider_target(base);
    t.http.max_body_bytes = 4 * 1024 * 1024;
    let steps =
        "      - authorize:\n          scope: openid\n      - token: {}\n      - id_token: {}\n";
    let yaml = format!("suite: hostile\nscenarios:\n  - id: twice\n    name: Twice\n    steps:\n      - discovery: {{}}\n{steps}{steps}");
    let r = common::run_yaml(&t, &yaml, "twice").await;
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_reports(dir.path(), t.redactor(), &r);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect(name);
    let md = read("hostile.twice.md");
    assert_eq!(
        md.matches(token.as_str()).count(),
        2,
        "both responses show it"
    );
    let json = read("report.json");
    assert_eq!(json.matches(token.as_str()).count(), 1);
    assert!(
        json.contains("\"same_as\""),
        "the second response names the first"
    );
    // The decoded claims, shown by both id_token steps, are stored once too.
    assert_eq!(json.matches(&"A".repeat(1024 * 1024)).count(), 1);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema is JSON");
    let report: serde_json::Value = serde_json::from_str(&json).expect("report.json parses");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    std::fs::remove_file(dir.path().join("hostile.twice.md")).expect("remove");
    probity::report::ReportWriter::rerender(dir.path(), None).expect("re-rendered");
    assert!(
        read("hostile.twice.md") == md,
        "re-rendered markdown differs"
    );
}
