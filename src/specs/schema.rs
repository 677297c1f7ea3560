//! Specs of OpenAPI schema conformance (when the target names OpenAPI files).

const OAS: &str = "https://spec.openapis.org/oas/v3.0.3#schema-object";

specs! {
    /// Every schema spec.
    area SCHEMA;

    RESPONSE_VALID = "schema.response_valid", Failure, "OAS-3.0-SCHEMA", OAS,
        "should answer with a body valid against the operation's response schema";

    REQUEST_VALID = "schema.request_valid", Warning, "OAS-3.0-SCHEMA", OAS,
        "should be sent a body valid against the operation's request schema (a scenario check)";
}
