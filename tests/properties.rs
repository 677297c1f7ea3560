//! Random and mutated inputs never panic: whatever a suite author, a target
//! profile or a hostile target sends, the parsers return a Result.
//!
//! Each property calls the function and ignores its Result; a case fails
//! only by panicking. Case counts are bounded so the file runs in seconds.

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::Jwk;
use probity::target::FormPage;
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// A byte-level edit: flip, insert or delete at a position (taken modulo
/// the length).
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ]
}

fn mutate(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match *e {
            Edit::Flip(i, b) if !bytes.is_empty() => bytes[i % len] ^= b | 1,
            Edit::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
            Edit::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i % len);
            }
            _ => {}
        }
    }
    bytes
}

/// Text made of the characters YAML gives meaning to, plus a few words
/// the suite format knows.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("suite: ".to_string()),
        Just("scenarios:\n".to_string()),
        Just("  - id: ".to_string()),
        Just("    steps:\n".to_string()),
        Just("      - discovery: {}\n".to_string()),
        Just("      - authorize:\n".to_string()),
        Just("{{ target.scope }}".to_string()),
        Just("{{".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("<<: *a\n".to_string()),
        Just("!!binary ".to_string()),
        Just("---\n".to_string()),
        "[ -~\n\té]{0,12}",
    ];
    prop::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

fn shipped(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name))
        .expect("the shipped file exists")
}

fn suites() -> &'static [Vec<u8>] {
    static SUITES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SUITES.get_or_init(|| {
        ["auth-code.yaml", "payments-op-psd2.yaml", "negative.yaml"]
            .iter()
            .map(|n| shipped("suites", n))
            .collect()
    })
}

fn load_suite_bytes(bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("suite.yaml");
    std::fs::write(&path, bytes).expect("written");
    let _ = probity::suite::load_suite(&path);
}

fn key() -> &'static Jwk {
    static KEY: OnceLock<Jwk> = OnceLock::new();
    KEY.get_or_init(|| {
        EcKeyPair::generate(EcCurve::P256)
            .expect("a key")
            .to_jwk_public_key()
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Any text, weighted towards algs and their look-alikes.
fn alg() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("none".to_string()),
        Just("ES256".to_string()),
        Just("PS256".to_string()),
        Just("RS512".to_string()),
        Just("EdDSA".to_string()),
        Just("PS2é6".to_string()),
        Just("é".to_string()),
        "[A-Z]{0,3}[0-9é€😀]{0,4}",
        any::<String>(),
    ]
}

/// A compact JWS whose header has this alg and kid and whose payload and
/// signature are arbitrary.
fn jws_with(alg: &str, kid: &str, payload: &[u8], sig: &[u8]) -> String {
    let header = serde_json::json!({"alg": alg, "kid": kid, "typ": kid});
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload),
        b64(sig)
    )
}

fn html() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("<form".to_string()),
        Just(" action=\"".to_string()),
        Just(" method=post".to_string()),
        Just("<input name=".to_string()),
        Just(" type=checkbox checked".to_string()),
        Just(" value=\"".to_string()),
        Just("<select name=s>".to_string()),
        Just("<textarea name=t>".to_string()),
        Just("<title>".to_string()),
        Just("</form>".to_string()),
        Just(">".to_string()),
        Just("\"".to_string()),
        Just("javascript:".to_string()),
        Just("//other.example/".to_string()),
        Just("http://[::1".to_string()),
        "[ -~é€😀\u{0}]{0,10}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn selector() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("form".to_string()),
        Just("form#login".to_string()),
        Just("input[name=\"prompt\"][value=\"login\"]".to_string()),
        "[ -~é]{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_mutated_shipped_suite_never_panics(
        which in 0usize..3,
        edits in prop::collection::vec(edit(), 1..12),
    ) {
        load_suite_bytes(&mutate(suites()[which].clone(), &edits));
    }

    #[test]
    fn yamlish_text_as_a_suite_never_panics(text in yamlish()) {
        load_suite_bytes(text.as_bytes());
    }

    #[test]
    fn a_mutated_target_profile_never_panics(
        edits in prop::collection::vec(edit(), 1..12),
    ) {
        let bytes = mutate(shipped("tests/bad_inputs", "target.profile.yml"), &edits);
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("target.yaml");
        std::fs::write(&path, bytes).expect("written");
        let _ = probity::target::load_target(&path);
    }

    #[test]
    fn yamlish_text_as_a_target_profile_never_panics(text in yamlish()) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("target.yaml");
        std::fs::write(&path, format!("name: x\nissuer: https://x.example\n{text}")).expect("written");
        let _ = probity::target::load_target(&path);
    }

    #[test]
    fn the_form_driver_page_parse_never_panics(
        body in html(),
        form in selector(),
        detect in prop::option::of(selector()),
        url_contains in prop::option::of("[ -~é]{0,6}"),
        field in ("[ -~é]{0,6}", "[ -~é]{0,6}"),
    ) {
        let page = FormPage {
            url_contains,
            detect,
            form,
            fields: [field].into_iter().collect(),
        };
        let url = url::Url::parse("https://as.example/login?x=1").expect("a URL");
        let _ = probity::steps::authorize::parse_page(&url, &body, Some(&page), Some(&page));
        let _ = probity::steps::authorize::parse_page(&url, &body, Some(&page), None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn template_parse_never_panics(text in prop_oneof![
        any::<String>(),
        "([a-z. ]{0,6}(\\{\\{|\\}\\}|\\{|\\}|é|\\|)){0,8}",
        "\\{\\{ ?(target|discovery|token|authorize|capture|values|env)\\.[a-zé_.]{0,12} ?\\}\\}",
    ]) {
        let _ = probity::expr::Template::parse(&text, serde_saphyr::Location::UNKNOWN);
    }

    #[test]
    fn decode_unverified_never_panics(token in prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/.-]{0,80}",
    ]) {
        let _ = probity::jose::decode_unverified(&token);
    }

    #[test]
    fn verify_jwt_with_any_alg_and_kid_never_panics(
        alg in alg(),
        kid in any::<String>(),
        payload in prop_oneof![Just(b"{}".to_vec()), prop::collection::vec(any::<u8>(), 0..64)],
        sig in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let token = jws_with(&alg, &kid, &payload, &sig);
        let _ = probity::jose::decode_unverified(&token);
        let _ = probity::jose::verify_jwt(&token, key(), &[alg.as_str(), "ES256", "PS256"]);
    }

    #[test]
    fn oidc_hash_never_panics(alg in alg(), value in any::<String>()) {
        let _ = probity::jose::oidc_hash(&alg, &value);
    }

    #[test]
    fn detached_jws_never_panics(
        raw in any::<String>(),
        alg in alg(),
        b64_flag in prop::option::of(any::<bool>()),
        crit in prop::option::of(prop::collection::vec("[a-z0-9]{0,4}", 0..3)),
        sig in prop_oneof!["[A-Za-z0-9_.-]{0,40}", any::<String>()],
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = probity::jose::detached_header(&raw);
        let _ = probity::jose::verify_detached(&raw, &payload, key(), &["ES256"]);
        let mut header = serde_json::json!({"alg": alg});
        if let Some(b) = b64_flag {
            header["b64"] = b.into();
        }
        if let Some(c) = crit {
            header["crit"] = c.into();
        }
        let jws = format!("{}..{sig}", b64(header.to_string().as_bytes()));
        let _ = probity::jose::detached_header(&jws);
        let _ = probity::jose::verify_detached(&jws, &payload, key(), &[alg.as_str(), "ES256"]);
    }

    #[test]
    fn redirect_param_never_panics(
        url in prop_oneof![
            any::<String>(),
            "(https?|file|javascript|data|x):(//)?[ -~é%#?&=]{0,40}",
            "https://cb\\.example/cb[?#]([a-z%0-9é]{0,4}=?[ -~é%]{0,6}&?){0,6}",
        ],
        name in prop_oneof![Just("code".to_string()), Just("state".to_string()), any::<String>()],
    ) {
        let base = url::Url::parse("https://as.example/authorize").expect("a URL");
        if let Ok(u) = url::Url::parse(&url).or_else(|_| base.join(&url)) {
            let _ = probity::steps::request::redirect_param(&u, &name);
        }
    }
}
