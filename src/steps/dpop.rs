//! DPoP proofs (RFC 9449) on PAR, token and resource requests: which proof
//! a step sends, under the target's variant or the step's own `dpop:`.

use super::state::ScenarioState;
use crate::jose::dpop::{DpopKey, ProofClaims};
use crate::suite::DpopProof;
use crate::target::{SenderConstraint, Target};

/// The proof a token request sends: the step's choice, else a valid one
/// when the target's variant is DPoP.
pub(crate) fn token_choice(step: Option<DpopProof>, target: &Target) -> Option<DpopProof> {
    step.or((target.variant.sender_constraint == SenderConstraint::Dpop).then_some(DpopProof::Valid))
}

/// How a proof is made: by which key, for which method and URL, with
/// which clock.
struct Making {
    method: String,
    url: String,
    other_key: bool,
    iat_offset: i64,
    nbf_exp: bool,
}

impl Making {
    fn new(choice: DpopProof, method: &str, url: &str) -> Self {
        let (method, url) = match choice {
            DpopProof::WrongUrl => (method.to_string(), elsewhere(url)),
            DpopProof::WrongMethod => (other_method(method).to_string(), url.to_string()),
            _ => (method.to_string(), url.to_string()),
        };
        Making {
            method,
            url,
            other_key: choice == DpopProof::OtherKey,
            iat_offset: match choice {
                DpopProof::IatPast10s => -10,
                DpopProof::IatFuture10s => 10,
                _ => 0,
            },
            nbf_exp: choice == DpopProof::WithNbfExp,
        }
    }

    fn sign(&self, key: &DpopKey, ath: Option<&str>) -> Result<String, String> {
        key.proof(&ProofClaims {
            method: &self.method,
            url: &self.url,
            access_token: ath,
            nonce: None,
            iat_offset: self.iat_offset,
            nbf_exp: self.nbf_exp,
        })
        .map_err(|e| e.to_string())
    }
}

/// The `DPoP` header of a token or PAR request (a POST) to `url`, if any.
pub(crate) fn token_header(
    choice: Option<DpopProof>,
    state: &mut ScenarioState,
    url: &str,
) -> Result<Option<(String, String)>, String> {
    let Some(choice) = choice else {
        return Ok(None);
    };
    match choice {
        DpopProof::Omitted => return Ok(None),
        DpopProof::WrongToken | DpopProof::BearerScheme => {
            return Err(format!(
                "`dpop: {}` applies to resource requests, not to token requests",
                name(choice)
            ))
        }
        _ => {}
    }
    let making = Making::new(choice, "POST", url);
    let key = if making.other_key {
        state.other_dpop_key()?
    } else {
        state.dpop_key()?
    };
    let proof = making.sign(key, None)?;
    Ok(Some(("dpop".into(), proof)))
}

/// The `Authorization` header, and the `DPoP` header for a DPoP-bound
/// token, of a resource request; `choice` may make the proof wrong, and
/// `lowercase` writes the scheme in lower case (RFC 9110 §11.1).
pub(crate) fn resource_headers(
    state: &ScenarioState,
    (choice, lowercase): (Option<DpopProof>, bool),
    token: &str,
    method: &str,
    url: &str,
) -> Result<Vec<(String, String)>, String> {
    let case = |s: &str| {
        if lowercase {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    if !state.tokens.dpop_bound() {
        if let Some(c) = choice.filter(|c| c.is_defect()) {
            return Err(format!(
                "`dpop: {}` needs a DPoP-bound token, and the token response said `token_type: {}`",
                name(c),
                state.tokens.token_type.as_deref().unwrap_or("(absent)")
            ));
        }
        return Ok(vec![(
            "authorization".into(),
            format!("{} {token}", case("Bearer")),
        )]);
    }
    let choice = choice.unwrap_or(DpopProof::Valid);
    let scheme = if choice == DpopProof::BearerScheme {
        "Bearer"
    } else {
        "DPoP"
    };
    let mut headers = vec![(
        "authorization".to_string(),
        format!("{} {token}", case(scheme)),
    )];
    if choice == DpopProof::Omitted {
        return Ok(headers);
    }
    // A bound token came from a request with this scenario's key.
    let making = Making::new(choice, method, url);
    let key = match (&state.dpop_key, making.other_key) {
        (_, true) => DpopKey::generate().map_err(|e| e.to_string())?,
        (Some(k), false) => k.clone(),
        (None, false) => {
            return Err(
                "the token is DPoP-bound, but no proof was sent for it in this scenario".into(),
            )
        }
    };
    let other_token = format!("{token}-other");
    let ath = if choice == DpopProof::WrongToken {
        other_token.as_str()
    } else {
        token
    };
    let proof = making.sign(&key, Some(ath))?;
    headers.push(("dpop".into(), proof));
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
        DpopProof::OtherKey => "other_key",
        DpopProof::IatPast10s => "iat_past_10s",
        DpopProof::IatFuture10s => "iat_future_10s",
        DpopProof::WithNbfExp => "with_nbf_exp",
    }
}
