//! Schema conformance of a step's exchanges, for targets that name OpenAPI
//! files: one spec result per body that an operation describes.

use crate::http::Exchange;
use crate::openapi::{Body, BodyCheck, SchemaBook};
use crate::specs::schema::{REQUEST_VALID, RESPONSE_VALID};
use crate::specs::SpecResult;

/// Judges every exchange that matches an operation of the book.
pub(crate) fn judge(book: &SchemaBook, exchanges: &[Exchange]) -> Vec<SpecResult> {
    exchanges
        .iter()
        .filter_map(|x| Some((x, x.response.as_ref()?)))
        .flat_map(|(x, r)| {
            book.check(
                &x.request.method,
                &x.request.url,
                x.request.body.as_deref(),
                r.status,
                &r.body,
            )
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
        format!("a body valid for {}", check.operation),
        seen.join("; "),
    )
}
