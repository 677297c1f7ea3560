//! Variants: a scenario written once runs the way the target profile's
//! `variant:` says (request style, sender constraint, client
//! authentication), unless it pins its own.

mod common;

use probity::runner::ScenarioResult;
use probity::specs::Verdict;
use probity::target::{RequestStyle, SenderConstraint, Target, Variant};

fn under(
    bank: &probity::bank::RunningBank,
    request_style: RequestStyle,
    sender: SenderConstraint,
) -> Target {
    let mut t = bank.target();
    t.variant = Variant {
        client_auth: None,
        sender_constraint: sender,
        request_style,
        response_mode: None,
        declared: true,
    };
    t
}

/// The requests of a run whose URL ends with `path`.
fn requests_to<'a>(
    r: &'a ScenarioResult,
    path: &'a str,
) -> impl Iterator<Item = &'a probity::http::RecordedRequest> + 'a {
    r.steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .map(|e| &e.request)
        .filter(move |q| q.url.split('?').next().unwrap_or("").ends_with(path))
}

fn header<'a>(q: &'a probity::http::RecordedRequest, name: &str) -> Option<&'a str> {
    q.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn one_scenario_runs_plain_with_bearer_tokens_or_pushed_with_dpop_as_the_profile_says() {
    let bank = common::bank(&[]).await;

    let plain = common::run(&bank.target(), "auth-code.yaml", "basic-pkce").await;
    assert!(
        common::failures(&plain).is_empty(),
        "{:?}",
        common::failures(&plain)
    );
    assert_eq!(requests_to(&plain, "/par").count(), 0);
    let token = requests_to(&plain, "/token")
        .next()
        .expect("a token request");
    assert_eq!(header(token, "dpop"), None);
    assert_eq!(
        common::verdict(&plain, "token.token_type_bearer"),
        Verdict::Passed
    );

    let t = under(&bank, RequestStyle::Par, SenderConstraint::Dpop);
    let pushed = common::run(&t, "auth-code.yaml", "basic-pkce").await;
    assert!(
        common::failures(&pushed).is_empty(),
        "{:?}",
        common::failures(&pushed)
    );
    assert_eq!(
        requests_to(&pushed, "/par").count(),
        1,
        "the request is pushed"
    );
    let authorize = requests_to(&pushed, "/authorize")
        .next()
        .expect("authorize");
    assert!(authorize.url.contains("request_uri="), "{}", authorize.url);
    assert!(
        !authorize.url.contains("code_challenge="),
        "only request_uri travels"
    );
    let token = requests_to(&pushed, "/token")
        .next()
        .expect("a token request");
    let proof = header(token, "dpop").expect("a DPoP proof at the token endpoint");
    let (head, claims) = probity::jose::decode_unverified(proof).unwrap();
    assert_eq!(head["typ"], "dpop+jwt");
    assert_eq!(
        (claims["htm"].as_str(), claims.contains_key("ath")),
        (Some("POST"), false)
    );
    assert_eq!(
        common::verdict(&pushed, "dpop.token_bound"),
        Verdict::Passed
    );
    let userinfo = requests_to(&pushed, "/userinfo").next().expect("userinfo");
    assert!(header(userinfo, "authorization")
        .unwrap()
        .starts_with("DPoP "));
    let (_, claims) = probity::jose::decode_unverified(header(userinfo, "dpop").unwrap()).unwrap();
    assert_eq!(claims["htm"], "GET");
    assert!(
        claims.contains_key("ath"),
        "a resource proof carries the token's hash"
    );
    assert_eq!(
        common::verdict(&pushed, "userinfo.status_ok"),
        Verdict::Passed
    );
}

#[tokio::test]
async fn a_request_object_variant_signs_and_a_pinned_step_keeps_its_own_style() {
    let bank = common::bank(&[]).await;
    let t = under(&bank, RequestStyle::RequestObject, SenderConstraint::None);
    let yaml = "suite: v\nscenarios:\n  - id: signed\n    name: Signed by the variant\n    steps:\n      - discovery: {}\n      - authorize:\n          client: jwt\n          scope: openid\n      - token:\n          client: jwt\n  - id: pinned\n    name: Pinned plain\n    steps:\n      - discovery: {}\n      - authorize:\n          client: jwt\n          scope: openid\n          request_object: none\n      - token:\n          client: jwt\n";
    let signed = common::run_yaml(&t, yaml, "signed").await;
    assert!(
        common::failures(&signed).is_empty(),
        "{:?}",
        common::failures(&signed)
    );
    let url = &requests_to(&signed, "/authorize").next().unwrap().url;
    assert!(url.contains("request=ey"), "{url}");
    let pinned = common::run_yaml(&t, yaml, "pinned").await;
    let url = &requests_to(&pinned, "/authorize").next().unwrap().url;
    assert!(!url.contains("request="), "{url}");
    assert!(url.contains("code_challenge="), "{url}");
}

fn scenario(file: &str, id: &str) -> probity::suite::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("suites")
        .join(file);
    let suite = probity::suite::load_suite(&path).unwrap();
    suite
        .scenarios
        .into_iter()
        .find(|s| s.id.value == id)
        .unwrap()
}

#[tokio::test]
async fn dpop_needs_es256_in_dpop_signing_alg_values_supported_only_where_a_proof_is_sent() {
    use probity::runner::requirements_of;
    let bank = common::bank(&[]).await;
    let metadata = |v: serde_json::Value| v.as_object().cloned().unwrap();
    let no_dpop = metadata(serde_json::json!({}));
    let ps256_only = metadata(serde_json::json!({"dpop_signing_alg_values_supported": ["PS256"]}));

    let negative = requirements_of(
        &scenario("dpop.yaml", "resource-without-proof"),
        &bank.target(),
    )
    .unwrap();
    let why = negative.unmet(&no_dpop).expect("unmet");
    assert!(
        why.contains("`ES256` in `dpop_signing_alg_values_supported`"),
        "{why}"
    );
    assert!(negative.unmet(&ps256_only).is_some());

    let flow = scenario("auth-code.yaml", "basic-pkce");
    let bearer = requirements_of(&flow, &bank.target())
        .unwrap()
        .unmet(&no_dpop)
        .unwrap_or_default();
    assert!(!bearer.contains("dpop"), "{bearer}");
    let t = under(&bank, RequestStyle::Plain, SenderConstraint::Dpop);
    let dpop = requirements_of(&flow, &t)
        .unwrap()
        .unmet(&no_dpop)
        .unwrap_or_default();
    assert!(dpop.contains("dpop_signing_alg_values_supported"), "{dpop}");
}

#[tokio::test]
async fn a_response_mode_variant_makes_the_same_flow_answer_as_a_signed_jwt() {
    let bank = common::bank(&[]).await;
    let mut t = under(&bank, RequestStyle::Plain, SenderConstraint::None);
    t.variant.response_mode = Some(probity::target::ResponseMode::Jwt);
    let r = common::run(&t, "auth-code.yaml", "basic-pkce").await;
    assert!(
        common::failures(&r).is_empty(),
        "{:?}",
        common::failures(&r)
    );
    let url = &requests_to(&r, "/authorize").next().unwrap().url;
    assert!(url.contains("response_mode=jwt"), "{url}");
    assert_eq!(common::verdict(&r, "callback.jarm_signed"), Verdict::Passed);
    assert_eq!(common::verdict(&r, "callback.jarm_claims"), Verdict::Passed);
    assert_eq!(
        common::verdict(&r, "callback.state_matches"),
        Verdict::Passed
    );
}

/// A `resource` step presents the token as it is bound: a DPoP-bound token
/// with a valid proof is answered and its body captured; a proof for
/// another URL must be refused, and a bank that does not check resource
/// proofs fails `dpop.resource_proof_required` there.
#[tokio::test]
async fn a_resource_step_presents_a_dpop_bound_token_with_its_proof() {
    const SUITE: &str = r#"
suite: resource
scenarios:
  - id: bound
    name: A DPoP-bound token at a resource
    steps:
      - discovery: {}
      - authorize: { scope: "{{ target.scope }}" }
      - token: { dpop: valid }
      - resource:
          url: "{{ discovery.userinfo_endpoint }}"
          expect: { status: 200 }
          capture: { subject: $.sub }
      - resource:
          url: "{{ discovery.userinfo_endpoint }}"
          headers: { x-subject: "{{ subject }}" }
          dpop: wrong_url
"#;
    let bank = common::bank(&[]).await;
    let r = common::run_yaml(&bank.target(), SUITE, "bound").await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
    assert_eq!(common::verdict(&r, "request.status"), Verdict::Passed);
    assert_eq!(
        common::verdict(&r, "request.capture.subject"),
        Verdict::Passed
    );
    let resource = r.steps.iter().filter(|s| s.kind == "resource").count();
    assert_eq!(resource, 2);
    let proved = r
        .steps
        .iter()
        .filter(|s| s.kind == "resource")
        .flat_map(|s| &s.exchanges)
        .all(|e| e.request.headers.iter().any(|(k, _)| k == "dpop"));
    assert!(proved, "every resource request carries a DPoP proof");
    assert_eq!(
        common::verdict(&r, "dpop.resource_proof_required"),
        Verdict::Passed
    );

    let lax = common::bank(&[probity::bank::Fault::DpopResourceProofUnchecked]).await;
    let r = common::run_yaml(&lax.target(), SUITE, "bound").await;
    assert_eq!(
        common::verdict(&r, "dpop.resource_proof_required"),
        Verdict::Failed
    );
}

/// The user agent and the back channel keep their cookies apart, as a real
/// relying party's do: the bank sets a cookie named like the PSU's session
/// on every token response; the browser's next authorization still sends
/// the login session, and no back-channel request carries a browser cookie.
#[tokio::test]
async fn the_back_channel_never_shares_the_browsers_cookies() {
    let bank = common::bank(&[]).await;
    let r = common::run(&bank.target(), "oidcc.yaml", "prompt-none-logged-in").await;
    assert_eq!(r.verdict(), Verdict::Passed, "{:?}", common::failures(&r));
    let cookie = |e: &probity::http::Exchange| {
        e.request
            .headers
            .iter()
            .find(|(k, _)| k == "cookie")
            .map(|(_, v)| v.clone())
    };
    let exchanges: Vec<_> = r.steps.iter().flat_map(|s| &s.exchanges).collect();
    let token_set_one = exchanges.iter().any(|e| {
        e.request.url.ends_with("/token")
            && e.response.as_ref().is_some_and(|r| {
                r.headers
                    .iter()
                    .any(|(k, v)| k == "set-cookie" && v.contains("back-channel-"))
            })
    });
    assert!(token_set_one, "the token response sets a cookie");
    for e in &exchanges {
        let sent = cookie(e).unwrap_or_default();
        let back_channel = [
            "/token",
            "/userinfo",
            "/par",
            "/jwks",
            "openid-configuration",
        ]
        .iter()
        .any(|p| e.request.url.contains(p));
        if back_channel {
            // Only the back channel's own cookie, never the PSU's session.
            let browser_session = sent
                .split("; ")
                .any(|c| c.starts_with("bank_session=") && !c.contains("back-channel-"));
            assert!(!browser_session, "{}: {sent}", e.request.url);
        } else {
            assert!(!sent.contains("back-channel-"), "{}: {sent}", e.request.url);
        }
    }
}

/// A second authorization that obtains no code leaves nothing to judge: the
/// first authorization's ID token is not validated against the second
/// request's nonce, nor compared with itself.
#[tokio::test]
async fn a_failed_second_authorization_judges_no_stale_tokens() {
    const SUITE: &str = r#"
suite: stale
scenarios:
  - id: second-fails
    name: The second authorization is refused
    steps:
      - discovery: {}
      - authorize: { scope: "{{ target.scope }}" }
      - token: {}
      - id_token: {}
      - authorize:
          scope: "{{ target.scope }}"
          omit_params: [response_type]
          expect_error: [unsupported_response_type, invalid_request]
          error_page: accepted
      - token: {}
      - id_token: { expect_reauthentication: false }
"#;
    let bank = common::bank(&[]).await;
    let r = common::run_yaml(&bank.target(), SUITE, "second-fails").await;
    let last = r.steps.last().expect("steps");
    assert_eq!(last.kind, "id_token");
    let judged: Vec<String> = last
        .specs
        .iter()
        .filter(|s| s.verdict != Verdict::Skipped)
        .map(|s| format!("{} {:?}", s.id, s.verdict))
        .collect();
    assert!(judged.is_empty(), "a stale ID token was judged: {judged:?}");
    assert_ne!(r.verdict(), Verdict::Passed);
}
