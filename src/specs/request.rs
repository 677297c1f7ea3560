//! Specs of the generic `request` step that are not written in YAML.

specs! {
    /// Every request spec.
    area REQUEST;

    ANSWERED = "request.answered", Failure, "RFC9110-15",
        "https://www.rfc-editor.org/rfc/rfc9110#section-15",
        "should answer the request with a complete HTTP response";
}
