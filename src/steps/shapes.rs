//! YAML shapes that several step kinds share.

use serde::Deserialize;

/// One OAuth error code, or the set of codes any of which is correct.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ExpectedError {
    /// Exactly this code.
    One(String),
    /// Any of these codes.
    AnyOf(Vec<String>),
}

impl ExpectedError {
    /// Whether `code` is an expected one.
    pub fn accepts(&self, code: &str) -> bool {
        match self {
            ExpectedError::One(c) => c == code,
            ExpectedError::AnyOf(codes) => codes.iter().any(|c| c == code),
        }
    }
}

impl std::fmt::Display for ExpectedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedError::One(c) => f.write_str(c),
            ExpectedError::AnyOf(codes) => f.write_str(&codes.join(" or ")),
        }
    }
}

/// How a request body is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// OBIE detached JWS (`b64: false` with the OB claims).
    #[default]
    Obie,
    /// Plain detached JWS (OP PSD2).
    Plain,
    /// No `x-jws-signature`.
    None,
}

/// serde's default for flags that are on unless a suite turns them off.
pub(crate) fn yes() -> bool {
    true
}
