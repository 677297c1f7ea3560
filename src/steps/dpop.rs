//! DPoP proofs (RFC 9449) on PAR, token and resource requests: which proof
//! a step sends, under the target's variant or the step's own `dpop:`.

use super::state::ScenarioState;
use super::StepContext;
use crate::http::{OutgoingRequest, RecordedResponse};
use crate::jose::dpop::{DpopKey, Malformed, ProofClaims};
use crate::target::{SenderConstraint, Target};
use serde::Deserialize;

/// The DPoP proof (RFC 9449) a token or resource request carries. Unset:
/// a valid proof when the target's variant is `sender_constraint: dpop`
/// (token requests) or the token is DPoP-bound (resource requests). The
/// others are defects, for the tests of what a server must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DpopProof {
    /// A valid proof.
    Valid,
    /// No `DPoP` header.
    Omitted,
    /// A proof for another URL (`htu`).
    WrongUrl,
    /// A proof for another method (`htm`).
    WrongMethod,
    /// A resource request's proof with the hash (`ath`) of another token.
    WrongToken,
    /// A DPoP-bound token sent under the `Bearer` scheme (RFC 9449 §7.1).
    BearerScheme,
    /// A valid proof by another key than the one the code or token is
    /// bound to.
    OtherKey,
    /// A valid proof whose `iat` is 10 s in the past (clock skew).
    #[serde(rename = "iat_past_10s")]
    IatPast10s,
    /// A valid proof whose `iat` is 8 s in the future (clock skew): what
    /// the OIDF module named for 10 s sends.
    #[serde(rename = "iat_future_8s")]
    IatFuture8s,
    /// A valid proof that also carries `nbf` and `exp`.
    WithNbfExp,
    /// A proof whose `nonce` the server never supplied (RFC 9449 §8): it
    /// must be refused by a server that demands nonces.
    WrongNonce,
    /// A proof whose `typ` is `JWT` (RFC 9449 §4.3 item 4).
    BadTyp,
    /// An unsigned proof, `alg: none` (RFC 9449 §4.3 item 5).
    AlgNone,
    /// A proof whose signature does not verify (RFC 9449 §4.3 item 6).
    BadSignature,
}

impl DpopProof {
    /// Whether the proof is deliberately wrong: the server must refuse it.
    /// Skewed clocks and extra claims are not defects.
    pub fn is_defect(self) -> bool {
        !matches!(
            self,
            DpopProof::Valid
                | DpopProof::IatPast10s
                | DpopProof::IatFuture8s
                | DpopProof::WithNbfExp
        )
    }
}

/// The authorization server, as the keeper of its DPoP nonce: its PAR and
/// token endpoints share one (RFC 9449 §8).
pub(crate) const AUTHORIZATION_SERVER: &str = "the authorization server";

/// A resource server, by origin: its nonces are its own (RFC 9449 §9).
fn resource_server(url: &str) -> String {
    let origin =
        url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization());
    format!("the resource server {origin}")
}

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
    wrong_nonce: bool,
    malformed: Option<Malformed>,
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
                DpopProof::IatFuture8s => 8,
                _ => 0,
            },
            nbf_exp: choice == DpopProof::WithNbfExp,
            wrong_nonce: choice == DpopProof::WrongNonce,
            malformed: match choice {
                DpopProof::BadTyp => Some(Malformed::Typ),
                DpopProof::AlgNone => Some(Malformed::AlgNone),
                DpopProof::BadSignature => Some(Malformed::Signature),
                _ => None,
            },
        }
    }

    /// The nonce the proof carries: the one `server` last supplied, or for
    /// `wrong_nonce` one it never did. A server that never demanded one
    /// makes that test not applicable: nonces are its choice (RFC 9449 §8).
    fn nonce(&self, state: &mut ScenarioState, server: &str) -> Result<Option<String>, String> {
        let supplied = state.dpop_nonces.get(server).cloned();
        if !self.wrong_nonce {
            return Ok(supplied);
        }
        if supplied.is_none() || !state.dpop_nonce_demanded.contains(server) {
            let why = format!(
                "{server} never demanded a DPoP nonce, so a proof with a nonce it did not supply \
                 proves nothing (server nonces are optional, RFC 9449 §8, §9)"
            );
            state.not_applicable = Some(why.clone());
            return Err(why);
        }
        Ok(Some(format!(
            "probity-unissued-{:016x}",
            rand::random::<u64>()
        )))
    }

    fn sign(
        &self,
        key: &DpopKey,
        ath: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, String> {
        key.proof(&ProofClaims {
            method: &self.method,
            url: &self.url,
            access_token: ath,
            nonce,
            iat_offset: self.iat_offset,
            nbf_exp: self.nbf_exp,
            malformed: self.malformed,
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
    let nonce = making.nonce(state, AUTHORIZATION_SERVER)?;
    let key = if making.other_key {
        state.other_dpop_key()?
    } else {
        state.dpop_key()?
    };
    let proof = making.sign(key, None, nonce.as_deref())?;
    Ok(Some(("dpop".into(), proof)))
}

/// The `Authorization` header, and the `DPoP` header for a DPoP-bound
/// token, of a resource request; `choice` may make the proof wrong, and
/// `lowercase` writes the scheme in lower case (RFC 9110 §11.1).
pub(crate) fn resource_headers(
    state: &mut ScenarioState,
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
    let nonce = making.nonce(state, &resource_server(url))?;
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
    let proof = making.sign(&key, Some(ath), nonce.as_deref())?;
    headers.push(("dpop".into(), proof));
    Ok(headers)
}

/// Sends a resource request; when its DPoP proof was refused for want of
/// the server's nonce (`use_dpop_nonce`, RFC 9449 §9), sends it once more
/// with a fresh proof carrying the nonce supplied. A proof meant to be
/// wrong gets no second chance.
pub(crate) async fn send_resource(
    ctx: &mut StepContext<'_>,
    stage: &str,
    request: OutgoingRequest,
    token: &str,
    proof: Option<DpopProof>,
) -> Result<RecordedResponse, String> {
    let server = resource_server(&request.url);
    let proved = request.headers.iter().any(|(k, _)| k == "dpop");
    let again = request.clone();
    let first = ctx.session.send(stage, request).await.response().cloned()?;
    let defect = proof.is_some_and(DpopProof::is_defect);
    if !proved || !take_nonce(ctx.state, &server, &first) || defect {
        return Ok(first);
    }
    let again = reproved(ctx.state, again, token, proof)?;
    ctx.session
        .send(&format!("{stage} (with the DPoP nonce)"), again)
        .await
        .response()
        .cloned()
        .map_err(String::from)
}

/// The same resource request with a fresh proof of the same kind (a
/// proof's `jti` is single use; a skewed `iat` stays skewed), carrying the
/// server's latest nonce; unchanged without a proof.
pub(crate) fn reproved(
    state: &mut ScenarioState,
    mut request: OutgoingRequest,
    token: &str,
    proof: Option<DpopProof>,
) -> Result<OutgoingRequest, String> {
    if !request.headers.iter().any(|(k, _)| k == "dpop") {
        return Ok(request);
    }
    let choice = proof.unwrap_or(DpopProof::Valid);
    let making = Making::new(choice, request.method.as_str(), &request.url);
    let nonce = making.nonce(state, &resource_server(&request.url))?;
    let proof = making.sign(state.dpop_key()?, Some(token), nonce.as_deref())?;
    request.headers.retain(|(k, _)| k != "dpop");
    request.headers.push(("dpop".into(), proof));
    Ok(request)
}

/// Keeps the nonce a response to a proved request supplies (the client
/// MUST use it from then on, RFC 9449 §8.2); whether the response demands
/// that the request be sent again with it (a new nonce and a
/// `use_dpop_nonce` refusal).
pub(crate) fn take_nonce(state: &mut ScenarioState, server: &str, r: &RecordedResponse) -> bool {
    let Some(supplied) = r.header("dpop-nonce").filter(|n| !n.is_empty()) else {
        return false;
    };
    let known = state
        .dpop_nonces
        .insert(server.to_string(), supplied.to_string());
    let demanded = demands_nonce(r);
    if demanded {
        state.dpop_nonce_demanded.insert(server.to_string());
    }
    demanded && known.as_deref() != Some(supplied)
}

/// A `use_dpop_nonce` refusal: the error of a token-style JSON body (RFC
/// 9449 §8) or of a `WWW-Authenticate` challenge (§9).
pub fn demands_nonce(r: &RecordedResponse) -> bool {
    let in_body = r
        .json()
        .ok()
        .and_then(|b| {
            b.get("error")
                .and_then(serde_json::Value::as_str)
                .map(|e| e == "use_dpop_nonce")
        })
        .unwrap_or(false);
    in_body
        || r.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("www-authenticate") && v.contains("use_dpop_nonce")
        })
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
        DpopProof::IatFuture8s => "iat_future_8s",
        DpopProof::WithNbfExp => "with_nbf_exp",
        DpopProof::WrongNonce => "wrong_nonce",
        DpopProof::BadTyp => "bad_typ",
        DpopProof::AlgNone => "alg_none",
        DpopProof::BadSignature => "bad_signature",
    }
}

/// Judges the DPoP nonces a step's exchanges were given: where a proved
/// request was answered with `use_dpop_nonce`, or with a `DPoP-Nonce`
/// header, the header must be one, non-empty and of NQCHARs (RFC 9449 §8,
/// §8.1); one result per step, naming the first exchange that broke it.
pub(crate) fn judge_nonces(
    exchanges: &[crate::http::Exchange],
) -> Option<crate::specs::SpecResult> {
    let mut judged = false;
    for (i, e) in exchanges.iter().enumerate() {
        let proved = e.request.headers.iter().any(|(k, _)| k == "dpop");
        let Some(r) = e.response.as_ref().filter(|_| proved) else {
            continue;
        };
        let nonces: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("dpop-nonce"))
            .map(|(_, v)| v.as_str())
            .collect();
        let demanded = demands_nonce(r);
        if nonces.is_empty() && !demanded {
            continue;
        }
        judged = true;
        let fault = match nonces.as_slice() {
            [] => Some("no `DPoP-Nonce` header".to_string()),
            [""] => Some("an empty `DPoP-Nonce` header".to_string()),
            [n] if !n.bytes().all(is_nqchar) => Some(format!(
                "a `DPoP-Nonce` with characters outside NQCHAR: {}",
                super::shown(&n.escape_debug().to_string())
            )),
            [_] => None,
            many => Some(format!("{} `DPoP-Nonce` headers", many.len())),
        };
        if let Some(fault) = fault {
            let why = if demanded {
                "`use_dpop_nonce` with "
            } else {
                ""
            };
            return Some(crate::specs::dpop::NONCE_SUPPLIED.fail(
                "one non-empty `DPoP-Nonce` of NQCHARs",
                format!(
                    "exchange {} ({} {}): {why}{fault}",
                    i + 1,
                    e.request.method,
                    e.request.url
                ),
            ));
        }
    }
    judged.then(|| crate::specs::dpop::NONCE_SUPPLIED.pass())
}

/// NQCHAR: %x21 / %x23-5B / %x5D-7E (RFC 9449 §8.1, RFC 6749 Appendix A).
fn is_nqchar(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod nonce_tests {
    use crate::http::{Exchange, RecordedRequest, RecordedResponse};
    use crate::specs::Verdict;

    fn answered(nonces: &[&str], body: &str) -> Exchange {
        let mut headers: Vec<(String, String)> = nonces
            .iter()
            .map(|n| ("dpop-nonce".to_string(), n.to_string()))
            .collect();
        headers.push(("content-type".into(), "application/json".into()));
        Exchange {
            stage: "Token Request".into(),
            started_at: String::new(),
            elapsed_ms: 0.0,
            request: RecordedRequest {
                method: "POST".into(),
                url: "https://as.example/token".into(),
                headers: vec![("dpop".into(), "eyJ...".into())],
                body: None,
            },
            response: Some(RecordedResponse {
                status: 400,
                headers,
                body: body.into(),
            }),
            error: None,
        }
    }

    const DEMAND: &str = r#"{"error":"use_dpop_nonce"}"#;

    #[test]
    fn a_demanded_nonce_must_come_in_one_non_empty_header_of_nqchars() {
        let verdict = |nonces: &[&str], body: &str| {
            super::judge_nonces(&[answered(nonces, body)]).map(|r| (r.verdict, r.actual))
        };
        assert_eq!(
            verdict(&["eyJ7S_zG.eyJH0-Z"], DEMAND).unwrap().0,
            Verdict::Passed
        );
        for (nonces, why) in [
            (&[][..], "no `DPoP-Nonce` header"),
            (&[""][..], "an empty `DPoP-Nonce`"),
            (&["two words"][..], "outside NQCHAR"),
            (&["a\"b"][..], "outside NQCHAR"),
            (&["a", "b"][..], "2 `DPoP-Nonce` headers"),
        ] {
            let (v, actual) = verdict(nonces, DEMAND).unwrap();
            assert_eq!(v, Verdict::Failed, "{nonces:?}");
            assert!(actual.unwrap_or_default().contains(why), "{nonces:?}");
        }
        // Nothing demanded and no nonce given: nothing to judge.
        assert!(verdict(&[], r#"{"error":"invalid_grant"}"#).is_none());
    }
}
