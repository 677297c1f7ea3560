//! Building the authorization request: parameters, PKCE, state and nonce,
//! a request object by value, or a pushed request (RFC 9126).

use super::{AuthorizeStep, CodeChallengeMethod, RequestObjectMode};
use crate::expr::Values;
use crate::steps::client_auth::{self, random_id};
use crate::target::{ClientProfile, ResponseMode, Target};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::Digest;

/// Name-value pairs: form fields or request headers.
type Pairs = Vec<(String, String)>;

/// The request as sent, and what the callback and token request need.
pub(super) struct Prepared {
    /// Parameters of the full request (before request objects or PAR).
    pub params: Vec<(String, String)>,
    /// `state`, if sent.
    pub state: Option<String>,
    /// `nonce`, if sent.
    pub nonce: Option<String>,
    /// PKCE verifier, if PKCE is used.
    pub verifier: Option<String>,
    /// The redirect URI.
    pub redirect_uri: String,
    /// `scope`, filled.
    pub scope: String,
    /// `authorization_details`, filled (RFC 9396).
    pub details: Option<Value>,
    /// The `response_mode` sent, if any.
    pub response_mode: Option<ResponseMode>,
    /// The `state` in the front-channel URL itself, if any: beside a
    /// pushed `request_uri` or a request object only when the step put it
    /// there on purpose (`front_params`).
    pub front_state: Option<String>,
    /// The step reuses a `request_uri` pushed earlier (perhaps by another
    /// client): a server that refuses it cannot, and must not, send back
    /// the state inside it.
    pub borrowed_request: bool,
}

/// `claims_supported_only`: the `claims` parameter keeps, in its `id_token`
/// and `userinfo` members, only the claims the server lists in
/// `claims_supported`, as the OIDF module asks for every supported
/// standard claim; none left makes the scenario not applicable.
pub(super) fn keep_supported_claims(
    params: &mut [(String, String)],
    discovery: Option<&crate::steps::state::Discovery>,
) -> Result<(), String> {
    let listed: Vec<&str> = discovery
        .and_then(|d| d.metadata.get("claims_supported"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some((_, text)) = params.iter_mut().find(|(k, _)| k == "claims") else {
        return Ok(());
    };
    let mut claims: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut kept = 0;
    for member in ["id_token", "userinfo"] {
        if let Some(Value::Object(m)) = claims.get_mut(member) {
            m.retain(|name, _| listed.contains(&name.as_str()));
            kept += m.len();
        }
    }
    if kept == 0 {
        return Err(
            "the ASPSP lists none of the requested claims in `claims_supported`".to_string(),
        );
    }
    *text = claims.to_string();
    Ok(())
}

/// Builds the plain parameters of the request.
pub(super) fn prepare(
    step: &AuthorizeStep,
    client: &ClientProfile,
    response_mode: Option<ResponseMode>,
    values: &dyn Values,
) -> Result<Prepared, String> {
    let redirect_uri = client
        .redirect_uri
        .clone()
        .ok_or_else(|| format!("client `{}` has no redirect_uri", client.id))?;
    let state = step.state.then(|| sized_id(step.state_length));
    let nonce = step.nonce.then(|| sized_id(step.nonce_length));
    let verifier = step.pkce.then(random_id);
    let mut scope = step.scope.render(values)?;
    if step.reverse_order {
        scope = scope.split_whitespace().rev().collect::<Vec<_>>().join(" ");
    }
    let details = match &step.authorization_details {
        Some(d) => Some(d.render(values)?),
        None => None,
    };
    let mut params = vec![
        (
            "response_type".to_string(),
            step.response_type.name().to_string(),
        ),
        ("client_id".into(), client.id.clone()),
        ("redirect_uri".into(), redirect_uri.clone()),
        ("scope".into(), scope.clone()),
    ];
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            params.push((k.to_string(), v));
        }
    };
    add("state", state.clone());
    add("nonce", nonce.clone());
    if let Some(v) = &verifier {
        let method = step.code_challenge_method;
        let challenge = match method {
            CodeChallengeMethod::Plain => v.clone(),
            CodeChallengeMethod::S256 => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(v.as_bytes())),
        };
        add("code_challenge", Some(challenge));
        add("code_challenge_method", Some(method.name().to_string()));
    }
    if let Some(claims) = &step.claims {
        add("claims", Some(claims.render(values)?.to_string()));
    }
    add(
        "authorization_details",
        details.as_ref().map(Value::to_string),
    );
    add("max_age", step.max_age.map(|m| m.to_string()));
    add("response_mode", response_mode.map(|m| m.name().to_string()));
    // A step's parameter replaces a generated one of the same name (a
    // redirect URI that is not registered, another response type).
    for (k, v) in &step.params {
        let value = v.render(values)?;
        match params.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = value,
            None => params.push((k.clone(), value)),
        }
    }
    params.retain(|(k, _)| !step.omit_params.contains(k));
    if step.reverse_order {
        params.reverse();
    }
    let redirect_uri = params
        .iter()
        .find(|(k, _)| k == "redirect_uri")
        .map_or(redirect_uri, |(_, v)| v.clone());
    Ok(Prepared {
        params,
        state,
        nonce,
        verifier,
        redirect_uri,
        scope,
        details,
        response_mode,
        front_state: None,
        borrowed_request: false,
    })
}

/// A random identifier of `len` characters (default 43, 32 random bytes):
/// FAPI 2 modules send a 64- and a 384-character nonce.
fn sized_id(len: Option<usize>) -> String {
    let Some(len) = len else {
        return random_id();
    };
    let mut id = String::with_capacity(len + 43);
    while id.len() < len {
        id.push_str(&random_id());
    }
    id.truncate(len);
    id
}

/// The parameters to send: plain, or `client_id` + `request` (+ the OIDC
/// required `response_type` and `scope`).
pub(super) fn carry(
    step: &AuthorizeStep,
    mode: RequestObjectMode,
    p: &Prepared,
    client: &ClientProfile,
    target: &Target,
) -> Result<Vec<(String, String)>, String> {
    let alg = match mode {
        RequestObjectMode::None => return Ok(p.params.clone()),
        RequestObjectMode::Unsigned => "none".to_string(),
        RequestObjectMode::Signed => client
            .key
            .as_ref()
            .map(|k| k.alg.clone())
            .ok_or_else(|| format!("client `{}` has no signing key", client.id))?,
    };
    let now = chrono::Utc::now().timestamp();
    let lifetime = step.request_object_lifetime.unwrap_or(300);
    let mut claims = Map::new();
    for (k, v) in &p.params {
        let value = if ["claims", "max_age", "authorization_details"].contains(&k.as_str()) {
            serde_json::from_str(v).unwrap_or(json!(v))
        } else {
            json!(v)
        };
        claims.insert(k.clone(), value);
    }
    claims.insert("iss".into(), json!(client.id));
    claims.insert("aud".into(), json!(target.issuer));
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now.min(now + lifetime)));
    claims.insert("exp".into(), json!(now + lifetime));
    claims.insert("jti".into(), json!(random_id()));
    let key = client.key.as_ref().map(|k| (&k.jwk, k.kid.as_str()));
    let jwt = crate::jose::sign_jwt(&claims, &alg, key, Some("oauth-authz-req+jwt"))
        .map_err(|e| e.to_string())?;
    let keep = |name: &str| p.params.iter().find(|(k, _)| k == name).cloned();
    let mut out = vec![
        ("client_id".to_string(), client.id.clone()),
        ("request".to_string(), jwt),
    ];
    out.extend(keep("response_type"));
    out.extend(keep("scope"));
    Ok(out)
}

/// Adds client authentication to a PAR body; returns the form and headers.
/// A step's front-channel-only parameters stay out of it.
pub(super) fn par_body(
    params: Pairs,
    client: &ClientProfile,
    audience: &client_auth::Audience,
) -> Result<(Pairs, Pairs), String> {
    let mut form: Pairs = params
        .into_iter()
        .filter(|(k, _)| k != "client_id")
        .collect();
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    client_auth::apply(client, audience, &mut form, &mut headers)?;
    if !form.iter().any(|(k, _)| k == "client_id") {
        form.push(("client_id".into(), client.id.clone()));
    }
    Ok((form, headers))
}

/// The value of a JSON member as text.
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
