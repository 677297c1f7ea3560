//! Specs of DPoP (RFC 9449): sender-constrained tokens by proof of
//! possession, as FAPI 2.0 SP §5.3.2.1 allows in place of mTLS.

const R4_3: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-4.3";
const R5: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-5";
const R7_1: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-7.1";
const R8: &str = "https://www.rfc-editor.org/rfc/rfc9449#section-8";

specs! {
    /// Every DPoP spec.
    area DPOP;

    TOKEN_BOUND = "dpop.token_bound", Failure, "RFC9449-5", R5,
        "should answer a token request with a valid DPoP proof with a DPoP-bound token (`token_type: DPoP`)";

    TOKEN_PROOF_CHECKED = "dpop.token_proof_checked", Failure, "RFC9449-4.3", R4_3,
        "should refuse a token request whose DPoP proof does not match the request, with `invalid_dpop_proof`",
        refusal: true;

    RESOURCE_PROOF_REQUIRED = "dpop.resource_proof_required", Failure, "RFC9449-7.1", R7_1,
        "should refuse a DPoP-bound access token presented without a valid proof for that request",
        refusal: true;

    NONCE_SUPPLIED = "dpop.nonce_supplied", Failure, "RFC9449-8", R8,
        "should supply the DPoP nonce it demands (`use_dpop_nonce`) in exactly one non-empty `DPoP-Nonce` header of NQCHARs";

    NONCE_CHECKED = "dpop.nonce_checked", Failure, "RFC9449-8", R8,
        "should refuse a DPoP proof whose `nonce` it did not supply, once it demands nonces",
        refusal: true;
}

/// Judges the DPoP nonces a step's exchanges were given: where a proved
/// request was answered with `use_dpop_nonce`, or with a `DPoP-Nonce`
/// header, the header must be one, non-empty and of NQCHARs (RFC 9449 §8,
/// §8.1); one result per step, naming the first exchange that broke it.
pub fn judge_nonces(exchanges: &[crate::http::Exchange]) -> Option<crate::specs::SpecResult> {
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
        let demanded = crate::steps::demands_dpop_nonce(r);
        if nonces.is_empty() && !demanded {
            continue;
        }
        judged = true;
        let fault = match nonces.as_slice() {
            [] => Some("no `DPoP-Nonce` header".to_string()),
            [""] => Some("an empty `DPoP-Nonce` header".to_string()),
            [n] if !n.bytes().all(is_nqchar) => Some(format!(
                "a `DPoP-Nonce` with characters outside NQCHAR: {}",
                crate::steps::shown(&n.escape_debug().to_string())
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
            return Some(NONCE_SUPPLIED.fail(
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
    judged.then(|| NONCE_SUPPLIED.pass())
}

/// NQCHAR: %x21 / %x23-5B / %x5D-7E (RFC 9449 §8.1, RFC 6749 Appendix A).
fn is_nqchar(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
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
