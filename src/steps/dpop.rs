//! DPoP proofs (RFC 9449) on token and resource requests: which proof a
//! step sends, under the target's variant or the step's own `dpop:`.

use super::state::ScenarioState;
use crate::jose::dpop::ProofClaims;
use crate::suite::DpopProof;
use crate::target::{SenderConstraint, Target};

/// The proof a token request sends: the step's choice, else a valid one
/// when the target's variant is DPoP.
pub(crate) fn token_choice(step: Option<DpopProof>, target: &Target) -> Option<DpopProof> {
    step.or((target.variant.sender_constraint == SenderConstraint::Dpop).then_some(DpopProof::Valid))
}

/// The `DPoP` header of a token request to `url`, if any.
pub(crate) fn token_header(
    choice: Option<DpopProof>,
    state: &mut ScenarioState,
    url: &str,
) -> Result<Option<(String, String)>, String> {
    let Some(choice) = choice else {
        return Ok(None);
    };
    let (method, url) = match choice {
        DpopProof::Omitted => return Ok(None),
        DpopProof::Valid => ("POST", url.to_string()),
        DpopProof::WrongUrl => ("POST", elsewhere(url)),
        DpopProof::WrongMethod => ("GET", url.to_string()),
        DpopProof::WrongToken | DpopProof::BearerScheme => {
            return Err(format!(
                "`dpop: {}` applies to resource requests, not to token requests",
                name(choice)
            ))
        }
    };
    let proof = state.dpop_key()?.proof(&ProofClaims {
        method,
        url: &url,
        access_token: None,
        nonce: None,
    });
    Ok(Some(("dpop".into(), proof.map_err(|e| e.to_string())?)))
}

/// The `Authorization` header, and the `DPoP` header for a DPoP-bound
/// token, of a resource request; `choice` may make the proof wrong.
pub(crate) fn resource_headers(
    state: &ScenarioState,
    choice: Option<DpopProof>,
    token: &str,
    method: &str,
    url: &str,
) -> Result<Vec<(String, String)>, String> {
    if !state.tokens.dpop_bound() {
        if let Some(c) = choice.filter(|c| c.is_defect()) {
            return Err(format!(
                "`dpop: {}` needs a DPoP-bound token, and the token response said `token_type: {}`",
                name(c),
                state.tokens.token_type.as_deref().unwrap_or("(absent)")
            ));
        }
        return Ok(vec![("authorization".into(), format!("Bearer {token}"))]);
    }
    let choice = choice.unwrap_or(DpopProof::Valid);
    let scheme = if choice == DpopProof::BearerScheme {
        "Bearer"
    } else {
        "DPoP"
    };
    let mut headers = vec![("authorization".to_string(), format!("{scheme} {token}"))];
    let other_token = format!("{token}-other");
    let (method, url, ath) = match choice {
        DpopProof::Omitted => return Ok(headers),
        DpopProof::Valid | DpopProof::BearerScheme => (method, url.to_string(), token),
        DpopProof::WrongUrl => (method, elsewhere(url), token),
        DpopProof::WrongMethod => (other_method(method), url.to_string(), token),
        DpopProof::WrongToken => (method, url.to_string(), other_token.as_str()),
    };
    // A bound token came from a request with this scenario's key.
    let key = state
        .dpop_key
        .as_ref()
        .ok_or("the token is DPoP-bound, but no proof was sent for it in this scenario")?;
    let proof = key.proof(&ProofClaims {
        method,
        url: &url,
        access_token: Some(ath),
        nonce: None,
    });
    headers.push(("dpop".into(), proof.map_err(|e| e.to_string())?));
    Ok(headers)
}

/// Another URL on the same server.
fn elsewhere(url: &str) -> String {
    format!("{}-elsewhere", crate::jose::dpop::htu(url))
}

fn other_method(method: &str) -> &'static str {
    if method.eq_ignore_ascii_case("POST") {
        "GET"
    } else {
        "POST"
    }
}

fn name(p: DpopProof) -> &'static str {
    match p {
        DpopProof::Valid => "valid",
        DpopProof::Omitted => "omitted",
        DpopProof::WrongUrl => "wrong_url",
        DpopProof::WrongMethod => "wrong_method",
        DpopProof::WrongToken => "wrong_token",
        DpopProof::BearerScheme => "bearer_scheme",
    }
}
