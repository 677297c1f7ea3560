//! The OAuth 2 / OpenID Connect endpoints of the bank.

pub mod authorize;
pub mod client_auth;
pub mod decoupled;
pub mod dpop;
pub mod id_token;
pub mod interactive;
pub mod par;
pub mod resources;
pub mod token;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An authorization request after validation: what the PSU is asked to grant.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// Client.
    pub client_id: String,
    /// Registered redirect URI.
    pub redirect_uri: String,
    /// `code` or `code id_token`.
    pub response_type: String,
    /// Requested scopes.
    pub scope: String,
    /// Opaque client state.
    pub state: Option<String>,
    /// Replay nonce for the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// PKCE method (`S256` or `plain`).
    pub code_challenge_method: Option<String>,
    /// The `claims` request parameter.
    pub claims: Option<Value>,
    /// `max_age`, seconds.
    pub max_age: Option<i64>,
    /// RFC 9396 `authorization_details`; each granted entry gets a `consentId`.
    pub authorization_details: Option<Value>,
    /// `response_mode` as requested.
    pub response_mode: Option<String>,
    /// `prompt` (OIDC Core §3.1.2.1): `none`, `login`, `consent` …
    pub prompt: Option<String>,
    /// `sub` of the `id_token_hint`, when one was sent.
    pub hinted_sub: Option<String>,
    /// The DPoP key the code is bound to (RFC 9449 §10): `dpop_jkt`, or
    /// the key of the proof sent with the pushed request.
    pub dpop_jkt: Option<String>,
    /// The simulated PSU refuses (a `login_hint` of `deny:NAME`, as for
    /// CIBA): the headless consent answers `access_denied`.
    pub psu_denies: bool,
    /// The pushed `request_uri` it came by: spent when the authorization
    /// completes, so a PSU reloading the page before may use it again (RFC
    /// 9126 §4 allows duplicate requests from a reload).
    pub request_uri: Option<String>,
}

impl AuthRequest {
    /// How the response goes back to the client.
    pub fn delivery(&self) -> authorize::Delivery {
        authorize::Delivery {
            client_id: self.client_id.clone(),
            response_mode: self.response_mode.clone(),
        }
    }

    /// The scopes as a set.
    pub fn scopes(&self) -> std::collections::BTreeSet<String> {
        self.scope.split_whitespace().map(str::to_string).collect()
    }

    /// The requested value of an ID token claim (`claims.id_token.NAME.value`).
    pub fn requested_claim(&self, name: &str) -> Option<Value> {
        self.claims
            .as_ref()?
            .get("id_token")?
            .get(name)?
            .get("value")
            .cloned()
    }
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The request it answers.
    pub request: AuthRequest,
    /// The PSU.
    pub sub: String,
    /// When the PSU authenticated.
    pub auth_time: i64,
    /// When the code was issued.
    pub issued_at: i64,
    /// Whether it was redeemed already.
    pub used: bool,
    /// The access and refresh tokens issued for it.
    pub tokens: Vec<String>,
}

/// What an access or refresh token stands for.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// Client.
    pub client_id: String,
    /// Granted scopes.
    pub scope: String,
    /// The PSU, for user-bound tokens.
    pub sub: Option<String>,
    /// Expiry (epoch seconds).
    pub exp: i64,
    /// The authorization request behind it, for refresh.
    pub request: Option<AuthRequest>,
    /// When the PSU authenticated.
    pub auth_time: Option<i64>,
    /// `x5t#S256` of the certificate the token is bound to (RFC 8705).
    pub cnf: Option<String>,
    /// `jkt` of the DPoP key the token is bound to (RFC 9449).
    pub jkt: Option<String>,
    /// The authorization code it was issued for, so a replay of that code
    /// can revoke it (RFC 6749 §4.1.2).
    pub from_code: Option<String>,
}

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Debug, Clone)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error` code.
    pub error: &'static str,
    /// `error_description`.
    pub description: String,
}

impl OAuthError {
    /// A 400 error.
    pub fn bad(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// A 401 `invalid_client`.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (
            self.status,
            [("cache-control", "no-store")],
            axum::Json(body),
        )
            .into_response()
    }
}
