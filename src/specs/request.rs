//! Specs of the generic `request` step that are not written in YAML.

use super::{Clause, Severity::Failure, Spec};

/// The target answered at all (no timeout, TLS failure, oversize body …).
pub static ANSWERED: Spec = Spec {
    id: "request.answered",
    should: "should answer the request with a complete HTTP response",
    severity: Failure,
    clause: Clause {
        tag: "RFC9110-15",
        url: "https://www.rfc-editor.org/rfc/rfc9110#section-15",
    },
};

/// Every request spec.
pub static REQUEST: &[&Spec] = &[&ANSWERED];
