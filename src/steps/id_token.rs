//! `id_token`: validate an ID token from the token response or the
//! authorization response (OIDC Core §3.1.3.7, §3.3.2.12; FAPI 1 Advanced).

use super::kind::{client_of, ClientRole, Facts, Kind, Need, Provided};
use super::{Artifact, Outcome, StepContext};
use crate::expr::{JsonTemplate, Template};
use crate::jose::{decode_unverified, oidc_hash, verify_jwt};
use crate::specs::id_token::*;
use crate::specs::{Spec, SpecResult};
use crate::target::{ClientProfile, Target};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `id_token:` — validate an ID token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// A named client of the target (for `aud`).
    pub client: Option<ClientRole>,
    /// Which ID token: `token` (default, from the token response) or
    /// `authorize` (front channel, from the callback).
    #[serde(default)]
    pub from: IdTokenSource,
    /// Allowed algs (default PS256, ES256, RS256).
    pub algs: Option<Vec<String>>,
    /// Allowed clock skew in seconds (default 60).
    pub clock_skew: Option<i64>,
    /// Claims that must be present with these values (placeholders filled).
    #[serde(default)]
    pub expect_claims: BTreeMap<String, JsonTemplate>,
    /// `true`: the PSU was asked to log in again (`prompt=login`, an
    /// elapsed `max_age`), so `auth_time` must be later than the previous
    /// ID token's; `false`: the session went on, so it must be the same.
    pub expect_reauthentication: Option<bool>,
}

/// Where an ID token comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdTokenSource {
    /// The token endpoint response.
    #[default]
    Token,
    /// The authorization response (`code id_token`).
    Authorize,
}

impl Facts for IdTokenStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn client(&self) -> Option<&ClientRole> {
        self.client.as_ref()
    }

    fn acts_as_client(&self) -> bool {
        true
    }

    fn templates(&self) -> Vec<&Template> {
        self.expect_claims
            .values()
            .flat_map(JsonTemplate::templates)
            .collect()
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        let source = match self.from {
            IdTokenSource::Token => (Need::Tokens, "an `id_token` step (`from: token`)"),
            IdTokenSource::Authorize => (
                Need::Authorization,
                "an `id_token` step (`from: authorize`)",
            ),
        };
        vec![
            (Need::Discovery, "validating an ID token's signature"),
            source,
        ]
    }

    fn provide(&self, provided: &mut Provided) {
        provided.add(Need::IdToken);
    }
}

impl Kind for IdTokenStep {
    const STAGE: &'static str = "ID Token";
    /// The client whose `client_id` must be in `aud`.
    type Decided = ClientProfile;

    fn decide(&self, target: &Target) -> Result<ClientProfile, crate::target::UnknownClient> {
        client_of(target, &self.client)
    }

    async fn run(&self, client: &ClientProfile, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, client, stage, ctx).await
    }
}

type Claims = Map<String, Value>;

/// Runs an id_token step.
async fn run(
    step: &IdTokenStep,
    client: &ClientProfile,
    _stage: &str,
    ctx: &mut StepContext<'_>,
) -> Outcome {
    let (var, token) = match step.from {
        IdTokenSource::Token => ("token.id_token", ctx.state.tokens.id_token.clone()),
        IdTokenSource::Authorize => (
            "authorize.id_token",
            ctx.state
                .authorization
                .as_ref()
                .and_then(|a| a.id_token.clone()),
        ),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return skipped(&format!(
            "no ID token to validate (`{var}` is not set: an earlier step did not obtain one)"
        ));
    };
    let (header, claims) = match decode_unverified(&token) {
        Ok(d) => d,
        Err(e) => {
            let mut out = skipped("the ID token could not be decoded");
            out.specs.insert(0, DECODES.fail_because(e.to_string()));
            return out;
        }
    };
    let client_id = client.id.clone();
    let mut specs = vec![DECODES.pass()];
    let fetched = ctx.state.discovery.as_ref().is_some_and(|d| d.jwks_fetched);
    specs.extend(signature(
        &token,
        &header,
        step,
        (ctx.state.jwks(), fetched),
    ));
    specs.extend(registered_claims(
        &claims,
        &ctx.target.issuer,
        &client_id,
        step.clock_skew.unwrap_or(60),
    ));
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    specs.extend(request_bound(&claims, alg, step.from, ctx));
    let asked = ctx
        .state
        .authorization
        .as_ref()
        .and_then(|a| a.claims.as_ref());
    specs.extend(super::userinfo::requested_claims(
        asked,
        "id_token",
        &claims,
        &REQUESTED_CLAIMS,
    ));
    specs.extend(expected_claims(&claims, step, ctx));
    if let Some(again) = step.expect_reauthentication {
        specs.push(reauthenticated(
            &claims,
            ctx.state.id_token_auth_time,
            again,
        ));
    }
    if let Some(sub) = claims.get("sub").and_then(Value::as_str) {
        ctx.state.id_token_sub = Some(sub.to_string());
    }
    if let Some(t) = num(&claims, "auth_time") {
        ctx.state.id_token_auth_time = Some(t);
    }
    let artifacts = vec![Artifact::Claims {
        label: "`id_token` claims".into(),
        claims: Value::Object(claims),
    }];
    Outcome {
        specs,
        artifacts,
        ok: true,
    }
}

fn skipped(reason: &str) -> Outcome {
    Outcome {
        specs: vec![DECODES.skip(reason)],
        artifacts: vec![],
        ok: false,
    }
}

/// The signature specs; `jwks` is the published key set and whether it was
/// fetched at all.
fn signature(
    token: &str,
    header: &Claims,
    step: &IdTokenStep,
    (jwks, fetched): (&[Claims], bool),
) -> Vec<SpecResult> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(absent)");
    let allowed: Vec<String> = step
        .algs
        .clone()
        .unwrap_or_else(|| vec!["PS256".into(), "ES256".into(), "RS256".into()]);
    let mut out = vec![
        ALG_NOT_NONE.check(alg != "none", "a signing alg", super::shown(alg)),
        ALG_ALLOWED.check(
            allowed.iter().any(|a| a == alg),
            allowed.join(" or "),
            super::shown(alg),
        ),
    ];
    let keys = jwks;
    if keys.is_empty() && fetched {
        // A published key set without keys: nothing can verify the token.
        let kid = header.get("kid").and_then(Value::as_str);
        out.push(match kid {
            Some(k) => KID_KNOWN.fail(
                "a key in the JWKS",
                format!("kid {:?}: the JWKS holds no keys", super::shown(k)),
            ),
            None => KID_KNOWN.skip("the token names no `kid`"),
        });
        out.push(SIGNATURE.fail("a published key that verifies it", "the JWKS holds no keys"));
        return out;
    }
    if keys.is_empty() {
        out.push(KID_KNOWN.skip("no JWKS was fetched (run a discovery step first)"));
        out.push(SIGNATURE.skip("no JWKS to verify against"));
        return out;
    }
    let kid = header.get("kid").and_then(Value::as_str);
    // OIDC Core §10.1: with several keys published, the token names its own.
    out.push(match (kid, keys.len()) {
        (Some(k), _) => KID_PRESENT.pass_with(super::shown(k)),
        (None, 1) => KID_PRESENT.pass_with("no `kid`, and the JWKS holds one key"),
        (None, n) => KID_PRESENT.fail("a `kid`", format!("none, and the JWKS holds {n} keys")),
    });
    let key = match kid {
        Some(k) => keys
            .iter()
            .find(|j| j.get("kid").and_then(Value::as_str) == Some(k)),
        None => keys
            .iter()
            .find(|j| crate::steps::discovery::alg_fits_key(alg, j)),
    };
    let Some(key) = key else {
        let kid = kid.map(|k| format!("{:?}", super::shown(k)));
        out.push(KID_KNOWN.fail(
            "a key in the JWKS",
            format!(
                "kid {} is not published",
                kid.as_deref().unwrap_or("(none)")
            ),
        ));
        out.push(SIGNATURE.skip("no key to verify with"));
        return out;
    };
    out.push(KID_KNOWN.pass_with(kid.unwrap_or("(no kid; matched by type)").to_string()));
    let verdict = match kid {
        Some(_) => josekit::jwk::Jwk::from_map(key.clone())
            .map_err(|e| e.to_string())
            .and_then(|jwk| {
                verify_jwt(token, &jwk, &[alg])
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
        // Without a kid, any published key of the alg's type may be the one.
        None => verify_with_any_key(token, alg, keys),
    };
    out.push(match verdict {
        Ok(_) => SIGNATURE.pass_with(format!("{alg} with key {}", kid.unwrap_or("(no kid)"))),
        Err(e) => SIGNATURE.fail_because(format!(
            "{alg} signature does not verify with key {}: {e}",
            kid.unwrap_or("(no kid)")
        )),
    });
    out
}

/// After `prompt=login` or an elapsed `max_age` the PSU logged in again,
/// so `auth_time` is later than the previous ID token's (`again`); else
/// the session went on and `auth_time` is the same.
fn reauthenticated(c: &Claims, before: Option<i64>, again: bool) -> SpecResult {
    let spec = if again {
        &AUTH_TIME_RENEWED
    } else {
        &AUTH_TIME_KEPT
    };
    let Some(before) = before else {
        return spec.skip("no earlier ID token in this scenario gave an `auth_time`");
    };
    match num(c, "auth_time") {
        Some(now) if again => spec.check(
            now > before,
            format!("later than {before}"),
            now.to_string(),
        ),
        Some(now) => spec.check(now == before, before.to_string(), now.to_string()),
        None => spec.fail("an `auth_time`", "absent"),
    }
}

/// Verifies with each published key that fits `alg`, without its `kid`
/// (the token names none); the first that verifies wins.
pub(crate) fn verify_with_any_key(token: &str, alg: &str, keys: &[Claims]) -> Result<(), String> {
    let mut last = format!("no published key fits {}", super::shown(alg));
    for key in keys
        .iter()
        .filter(|k| crate::steps::discovery::alg_fits_key(alg, k))
    {
        let mut key = key.clone();
        key.remove("kid");
        let checked = josekit::jwk::Jwk::from_map(key)
            .map_err(|e| e.to_string())
            .and_then(|jwk| verify_jwt(token, &jwk, &[alg]).map_err(|e| e.to_string()));
        match checked {
            Ok(_) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn num(c: &Claims, k: &str) -> Option<i64> {
    c.get(k).and_then(Value::as_i64)
}

fn registered_claims(c: &Claims, issuer: &str, client_id: &str, skew: i64) -> Vec<SpecResult> {
    let now = chrono::Utc::now().timestamp();
    let s = |k: &str| c.get(k).and_then(Value::as_str);
    let auds: Vec<&str> = match c.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let azp = match (s("azp"), auds.len()) {
        (Some(azp), _) => AZP.check(azp == client_id, client_id, azp),
        (None, n) if n > 1 => AZP.fail(
            format!("`azp` = {client_id} with several audiences"),
            "absent",
        ),
        (None, _) => AZP.pass_with("single audience, no azp needed"),
    };
    let sub = s("sub").unwrap_or("");
    let exp = match num(c, "exp") {
        Some(exp) => EXP.check(
            exp.saturating_add(skew) > now,
            format!("after now ({now}) - {skew}s skew"),
            exp.to_string(),
        ),
        None => EXP.fail("a numeric `exp`", "absent"),
    };
    let iat = match num(c, "iat") {
        Some(iat) => IAT.check(
            iat <= now.saturating_add(skew) && num(c, "exp").is_none_or(|e| iat <= e),
            format!("not after now ({now}) + {skew}s, not after exp"),
            iat.to_string(),
        ),
        None => IAT.fail("a numeric `iat`", "absent"),
    };
    let nbf = match num(c, "nbf") {
        Some(nbf) => NBF.check(
            nbf <= now.saturating_add(skew),
            format!("not after now ({now}) + {skew}s"),
            nbf.to_string(),
        ),
        None => NBF.pass_with("no nbf"),
    };
    vec![
        ISS.check(
            s("iss") == Some(issuer),
            issuer,
            s("iss").unwrap_or("(absent)"),
        ),
        AUD.check(auds.contains(&client_id), client_id, format!("{auds:?}")),
        azp,
        SUB.check(
            !sub.is_empty() && sub.len() <= 255,
            "1 to 255 characters",
            format!("{} characters", sub.len()),
        ),
        exp,
        iat,
        nbf,
        match s("acr") {
            Some(acr) => ACR.pass_with(acr.to_string()),
            None => ACR.fail("an `acr`", "absent"),
        },
    ]
}

/// Checks tied to the request and the other artifacts: nonce, max_age,
/// hashes, sub stability.
fn request_bound(
    c: &Claims,
    alg: &str,
    from: IdTokenSource,
    ctx: &StepContext<'_>,
) -> Vec<SpecResult> {
    let state = &*ctx.state;
    let a = state.authorization.as_ref();
    fn text(v: Option<&String>) -> Option<&str> {
        v.map(String::as_str).filter(|s| !s.is_empty())
    }
    let mut out = Vec::new();
    let got = c.get("nonce").and_then(Value::as_str).unwrap_or("(absent)");
    match text(a.and_then(|a| a.nonce.as_ref())) {
        Some(nonce) => out.push(NONCE.check(got == nonce, nonce, got)),
        // OIDC Core §2: the nonce is passed through from the request; with
        // none sent, none may appear.
        None if a.is_some_and(|a| a.code.is_some()) => {
            out.push(NONCE.check(c.get("nonce").is_none(), "(absent): no nonce was sent", got))
        }
        None => {}
    }
    if let Some(max_age) = a.and_then(|a| a.max_age) {
        let now = chrono::Utc::now().timestamp();
        out.push(match num(c, "auth_time") {
            Some(t) => AUTH_TIME.check(
                now.saturating_sub(t) <= max_age.saturating_add(60),
                format!("within {max_age}s"),
                format!("{}s ago", now.saturating_sub(t)),
            ),
            None => AUTH_TIME.fail("`auth_time`", "absent"),
        });
    }
    let front = from == IdTokenSource::Authorize;
    out.extend(hash(
        c,
        alg,
        &C_HASH,
        text(a.and_then(|a| a.code.as_ref())),
        front,
    ));
    out.extend(hash(
        c,
        alg,
        &S_HASH,
        text(a.and_then(|a| a.state.as_ref())),
        front,
    ));
    out.extend(hash(
        c,
        alg,
        &AT_HASH,
        text(state.tokens.access_token.as_ref()).filter(|_| !front),
        false,
    ));
    out.extend(hash(
        c,
        alg,
        &RT_HASH,
        text(state.tokens.refresh_token.as_ref()).filter(|_| !front),
        false,
    ));
    let before = text(state.id_token_sub.as_ref());
    if let (Some(before), Some(now)) = (before, c.get("sub").and_then(Value::as_str)) {
        out.push(SUB_STABLE.check(before == now, before, now));
    }
    out
}

/// A hash claim (named by the spec id's middle part, e.g. `c_hash`) under the
/// header's alg: required when `required`, else checked only when present.
fn hash(
    c: &Claims,
    alg: &str,
    spec: &'static Spec,
    value: Option<&str>,
    required: bool,
) -> Option<SpecResult> {
    let claim = spec
        .id
        .trim_start_matches("id_token.")
        .trim_end_matches("_valid");
    let value = value?;
    let want = oidc_hash(alg, value)?;
    Some(match c.get(claim).and_then(Value::as_str) {
        Some(got) => spec.check(got == want, want, got),
        None if required => spec.fail(format!("`{claim}` = {want}"), "absent"),
        None => spec.pass_with(format!("no {claim} (optional here)")),
    })
}

fn expected_claims(c: &Claims, step: &IdTokenStep, ctx: &StepContext<'_>) -> Vec<SpecResult> {
    step.expect_claims
        .iter()
        .map(|(name, want)| {
            let want = want
                .render(&*ctx.state)
                .unwrap_or_else(|e| Value::String(format!("(unfillable: {e})")));
            expected_claim(c, name, &want)
        })
        .collect()
}

/// One expected claim. The claim's name goes in the evidence: the sentence
/// stays the catalogue's, as every spec's does.
fn expected_claim(c: &Claims, name: &str, want: &Value) -> SpecResult {
    let got = c.get(name).unwrap_or(&Value::Null);
    let expected = format!("`{name}` = {want}");
    if got == want {
        EXPECTED_CLAIM.pass_with(expected)
    } else if got.is_null() {
        EXPECTED_CLAIM.fail(expected, format!("`{name}` absent"))
    } else {
        EXPECTED_CLAIM.fail(expected, format!("`{name}` = {got}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_expected_claim_keeps_the_catalogue_sentence_and_names_the_claim() {
        let c = claims(json!({ "acr": "urn:x" }));
        let want = json!("aac-1");
        let missing = expected_claim(&c, "openbanking_intent_id", &want);
        assert_eq!(missing.should, EXPECTED_CLAIM.should);
        assert_eq!(missing.verdict, crate::specs::Verdict::Failed);
        assert_eq!(
            missing.expected.as_deref(),
            Some("`openbanking_intent_id` = \"aac-1\"")
        );
        assert_eq!(
            missing.actual.as_deref(),
            Some("`openbanking_intent_id` absent")
        );
        let wrong = expected_claim(&c, "acr", &json!("urn:y"));
        assert_eq!(wrong.actual.as_deref(), Some("`acr` = \"urn:x\""));
        let held = expected_claim(&c, "acr", &json!("urn:x"));
        assert_eq!(held.verdict, crate::specs::Verdict::Passed);
        assert_eq!(held.should, EXPECTED_CLAIM.should);
        assert_eq!(held.reason.as_deref(), Some("`acr` = \"urn:x\""));
    }
}
