//! Schema conformance of a step's exchanges, for targets that name OpenAPI
//! files: one spec result per body that an operation describes.

use crate::http::Exchange;
use crate::openapi::{Body, BodyCheck, Message, SchemaBook};
use crate::specs::schema::{REQUEST_VALID, RESPONSE_VALID};
use crate::specs::SpecResult;

/// Judges every exchange that matches an operation of the book.
pub(crate) fn judge(book: &SchemaBook, exchanges: &[Exchange]) -> Vec<SpecResult> {
    exchanges
        .iter()
        .filter_map(|x| Some((x, x.response.as_ref()?)))
        .flat_map(|(x, r)| {
            let sent = Message {
                method: &x.request.method,
                url: &x.request.url,
                headers: &x.request.headers,
                body: x.request.body.as_deref(),
            };
            let got = Message {
                method: "",
                url: "",
                headers: &r.headers,
                body: Some(r.body.as_str()),
            };
            book.check(sent, r.status, got)
        })
        .map(|c| result(&c))
        .collect()
}

fn result(check: &BodyCheck) -> SpecResult {
    let spec = match check.body {
        Body::Request => &REQUEST_VALID,
        Body::Response => &RESPONSE_VALID,
    };
    if check.violations.is_empty() {
        return spec.pass_with(check.operation.clone());
    }
    let seen: Vec<String> = check
        .violations
        .iter()
        .map(|(path, message)| format!("{path}: {message}"))
        .collect();
    spec.fail(
        format!("headers, parameters and body valid for {}", check.operation),
        seen.join("; "),
    )
}
