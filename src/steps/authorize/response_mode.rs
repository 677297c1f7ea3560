//! Response modes on the client side: the page a `form_post` response
//! arrives as, and the signed JWT of a JARM response, judged and unpacked
//! into the plain parameters the callback checks read.

use super::drivers::is_callback;
use crate::specs::authorize::{JARM_CLAIMS, JARM_SIGNED};
use crate::specs::SpecResult;
use scraper::{Html, Selector};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The callback a `form_post` page would make the browser post: the
/// redirect URI with the form's fields in its query. `None` when the page
/// holds no form posting to the redirect URI.
pub(super) fn posted_callback(body: &str, page: &url::Url, redirect_uri: &str) -> Option<url::Url> {
    let doc = Html::parse_document(body);
    let forms = Selector::parse("form").ok()?;
    let inputs = Selector::parse("input[name]").ok()?;
    doc.select(&forms).find_map(|form| {
        let el = form.value();
        let post = el
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post"));
        let mut to = page.join(el.attr("action")?).ok()?;
        if !post || !is_callback(&to, redirect_uri) {
            return None;
        }
        to.set_fragment(None);
        to.set_query(None);
        {
            let mut query = to.query_pairs_mut();
            for input in form.select(&inputs) {
                let i = input.value();
                query.append_pair(i.attr("name").unwrap_or(""), i.attr("value").unwrap_or(""));
            }
        }
        Some(to)
    })
}

/// Judges a JARM `response` (§4.4: the signature by a key of the JWKS, then
/// `iss`, `aud` and `exp`) and returns the authorization response inside it.
pub(super) fn unpack_jarm(
    jwt: &str,
    jwks: &[Map<String, Value>],
    issuer: &str,
    client_id: &str,
) -> (Vec<SpecResult>, Option<HashMap<String, String>>) {
    let (header, claims) = match crate::jose::decode_unverified(jwt) {
        Ok(parts) => parts,
        Err(e) => return (vec![JARM_SIGNED.fail_because(e.to_string())], None),
    };
    let signed = signature(jwt, &header, jwks);
    let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("(absent)");
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    };
    let now = chrono::Utc::now().timestamp();
    let exp_ok = claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|e| e > now);
    let claims_ok = text("iss") == issuer && aud_ok && exp_ok;
    let got = format!(
        "iss {}, aud {}, exp {}",
        crate::steps::shown(text("iss")),
        claims
            .get("aud")
            .map_or("(absent)".to_string(), |a| crate::steps::shown(
                &a.to_string()
            )),
        claims
            .get("exp")
            .map_or("(absent)".to_string(), |e| e.to_string()),
    );
    let specs = vec![
        signed,
        JARM_CLAIMS.check(
            claims_ok,
            format!("iss {issuer}, aud {client_id}, exp in the future"),
            got,
        ),
    ];
    let params = claims
        .iter()
        .filter(|(k, _)| !["aud", "exp"].contains(&k.as_str()))
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    (specs, Some(params))
}

fn signature(jwt: &str, header: &Map<String, Value>, jwks: &[Map<String, Value>]) -> SpecResult {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(absent)");
    let kid = header.get("kid").and_then(Value::as_str);
    let key = jwks.iter().find(|k| match kid {
        Some(kid) => k.get("kid").and_then(Value::as_str) == Some(kid),
        None => crate::steps::discovery::alg_fits_key(alg, k),
    });
    let Some(key) = key else {
        return JARM_SIGNED.fail(
            "a key of the JWKS",
            format!(
                "kid {} is not published",
                crate::steps::shown(kid.unwrap_or("(none)"))
            ),
        );
    };
    let verified = match kid {
        Some(_) => josekit::jwk::Jwk::from_map(key.clone())
            .map_err(|e| e.to_string())
            .and_then(|k| {
                crate::jose::verify_jwt(jwt, &k, &["PS256", "ES256", "RS256", "PS384", "ES384"])
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
        // Without a kid, any published key of the alg's type may be the one.
        None => crate::steps::id_token::verify_with_any_key(jwt, alg, jwks),
    };
    match verified {
        Ok(_) => JARM_SIGNED.pass_with(format!(
            "{} with key {}",
            crate::steps::shown(alg),
            crate::steps::shown(kid.unwrap_or("(no kid)"))
        )),
        Err(e) => JARM_SIGNED.fail_because(format!(
            "{} signature does not verify: {e}",
            crate::steps::shown(alg)
        )),
    }
}
