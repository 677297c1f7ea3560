//! OBIE error answers as each API and version wants them. Handlers build
//! one error shape ([`super::obie::error`], v3.1 codes); on the way out the
//! v4.0 paths replace each `ErrorCode` by its four-character code, and the
//! payment API signs the body: its OpenAPI (v3.1.11 and v4.0) requires
//! `x-jws-signature` on 400, 403 and 500 answers, the account API does not.

use super::jws::{self, Style};
use super::ob_version::ObVersion;
use super::state::Bank;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Extension;
use serde_json::Value;
use std::sync::Arc;

/// v3.1 namespaced error code → v4.0 `OBInternalErrorResponseError1Code`
/// (OpenBankingUK External_Internal_CodeSets, `OB_Internal_CodeSet.csv`).
const CODES: &[(&str, &str)] = &[
    ("UK.OBIE.UnexpectedError", "U000"),
    ("UK.OBIE.Field.Expected", "U001"),
    ("UK.OBIE.Field.Invalid", "U002"),
    ("UK.OBIE.Field.InvalidDate", "U003"),
    ("UK.OBIE.Field.Missing", "U004"),
    ("UK.OBIE.Field.Unexpected", "U005"),
    ("UK.OBIE.Header.Invalid", "U006"),
    ("UK.OBIE.Header.Missing", "U007"),
    ("UK.OBIE.Resource.ConsentMismatch", "U008"),
    ("UK.OBIE.Resource.InvalidConsentStatus", "U009"),
    ("UK.OBIE.Resource.InvalidFormat", "U010"),
    ("UK.OBIE.Resource.NotFound", "U011"),
    ("UK.OBIE.Signature.Invalid", "U015"),
    ("UK.OBIE.Signature.Malformed", "U018"),
    ("UK.OBIE.Signature.Missing", "U019"),
];

/// An error code as `version` names it.
pub fn code(version: ObVersion, v3: &str) -> String {
    match version {
        ObVersion::V3_1 => v3.to_string(),
        ObVersion::V4_0 => CODES
            .iter()
            .find(|(from, _)| *from == v3)
            .map_or(v3, |(_, to)| *to)
            .to_string(),
    }
}

/// Middleware of the payment API: error answers in the path's version, signed.
pub async fn payment_api(
    State(bank): State<Arc<Bank>>,
    Extension(version): Extension<ObVersion>,
    request: Request,
    next: Next,
) -> Response {
    finish(&bank, version, true, next.run(request).await).await
}

/// Middleware of the account API: error answers in the path's version.
pub async fn account_api(
    State(bank): State<Arc<Bank>>,
    Extension(version): Extension<ObVersion>,
    request: Request,
    next: Next,
) -> Response {
    finish(&bank, version, false, next.run(request).await).await
}

async fn finish(bank: &Bank, version: ObVersion, sign: bool, response: Response) -> Response {
    let error = response.status().is_client_error() || response.status().is_server_error();
    let signed = response.headers().contains_key("x-jws-signature");
    if !error || signed || (version == ObVersion::V3_1 && !sign) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if let Some(Value::Array(errors)) = json.get_mut("Errors") {
        for e in errors.iter_mut() {
            if let Some(Value::String(c)) = e.get("ErrorCode") {
                let renamed = code(version, c);
                super::fields::set(e, "ErrorCode", Value::String(renamed));
            }
        }
    }
    if sign {
        let mut signed = jws::signed(bank, parts.status, &json, Style::Obie);
        for (name, value) in &parts.headers {
            if !signed.headers().contains_key(name) {
                signed.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return signed;
    }
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(json.to_string()))
}

#[cfg(test)]
mod tests {
    use super::code;
    use crate::bank::ob_version::ObVersion;

    #[test]
    fn v4_0_names_errors_by_four_characters() {
        let c = "UK.OBIE.Resource.InvalidConsentStatus";
        assert_eq!(code(ObVersion::V3_1, c), c);
        assert_eq!(code(ObVersion::V4_0, c), "U009");
        assert!(super::CODES.iter().all(|(_, to)| to.len() == 4));
    }
}
