//! `discovery`: fetch the provider configuration and its JWKS, and judge both
//! (OpenID Connect Discovery 1.0, RFC 8414, RFC 7517, FAPI).

mod jwks;
mod metadata;

use super::{Facts, Kind, Need, Provided};
use super::{Outcome, StepContext};
use crate::expr::Template;
use crate::http::OutgoingRequest;
use crate::specs::discovery as spec;
use crate::specs::SpecResult;
use serde::Deserialize;
use serde_json::{Map, Value};

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// `discovery:` — fetch `.well-known/openid-configuration` and the JWKS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryStep {
    /// Stage name in reports (default "Discovery").
    pub stage: Option<String>,
    /// Overrides the target's discovery URL.
    pub url: Option<Template>,
}

impl Facts for DiscoveryStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn templates(&self) -> Vec<&Template> {
        self.url.iter().collect()
    }

    fn urls(&self) -> Vec<&Template> {
        self.url.iter().collect()
    }

    fn provide(&self, provided: &mut Provided) {
        provided.add(Need::Discovery);
    }
}

impl Kind for DiscoveryStep {
    const STAGE: &'static str = "Discovery";
    type Decided = ();

    fn decide(&self, _: &crate::target::Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, stage, ctx).await
    }
}

/// Runs the discovery step; keeps the metadata and the JWKS keys in the
/// scenario state (templates read members as `discovery.<name>`).
async fn run(step: &DiscoveryStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let url = match &step.url {
        Some(u) => match u.render(&*ctx.state) {
            Ok(u) => u,
            Err(e) => {
                return skipped_all(&format!("the discovery URL could not be built: {e}"), false)
            }
        },
        None => ctx.target.discovery_url.clone(),
    };
    let exchange = ctx
        .session
        .send(
            stage,
            OutgoingRequest::get(&url).header("accept", "application/json"),
        )
        .await;
    let response = match exchange.response() {
        Ok(r) => r.clone(),
        Err(e) => {
            let mut specs = vec![spec::STATUS_OK.fail_because(e)];
            specs.extend(skip_rest(
                &spec::STATUS_OK,
                "the provider configuration could not be fetched",
            ));
            return Outcome {
                specs,
                artifacts: vec![],
                ok: false,
            };
        }
    };
    let mut specs =
        vec![spec::STATUS_OK.check(response.status == 200, "200", response.status.to_string())];
    let content_type = response.header("content-type").unwrap_or("(none)");
    specs.push(
        spec::CONTENT_TYPE_JSON.check(
            content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json"),
            "application/json",
            content_type,
        ),
    );
    let metadata = match response.json() {
        Ok(Value::Object(m)) => {
            specs.push(spec::JSON_OBJECT.pass());
            m
        }
        Ok(other) => {
            specs.push(spec::JSON_OBJECT.fail("a JSON object", kind_of(&other)));
            specs.extend(skip_rest(
                &spec::JSON_OBJECT,
                "the provider configuration is not a JSON object",
            ));
            return Outcome {
                specs,
                artifacts: vec![],
                ok: false,
            };
        }
        Err(e) => {
            specs.push(spec::JSON_OBJECT.fail_because(e));
            specs.extend(skip_rest(
                &spec::JSON_OBJECT,
                "the provider configuration is not JSON",
            ));
            return Outcome {
                specs,
                artifacts: vec![],
                ok: false,
            };
        }
    };
    let expected_issuer = url
        .strip_suffix(WELL_KNOWN)
        .unwrap_or(&ctx.target.issuer)
        .to_string();
    specs.extend(metadata::judge(
        &metadata,
        &expected_issuer,
        ctx.target.insecure_http(),
    ));
    capture(&metadata, ctx);
    specs.extend(jwks::fetch_and_judge(&metadata, stage, ctx).await);
    let ok = metadata.get("issuer").is_some();
    Outcome {
        specs,
        artifacts: vec![],
        ok,
    }
}

fn capture(metadata: &Map<String, Value>, ctx: &mut StepContext<'_>) {
    ctx.state.discovery = Some(crate::steps::state::Discovery {
        metadata: metadata.clone(),
        jwks: Vec::new(),
        jwks_fetched: false,
    });
}

/// Every discovery spec after `after`, skipped with `reason`.
fn skip_rest(after: &'static crate::specs::Spec, reason: &str) -> Vec<SpecResult> {
    spec_list()
        .iter()
        .skip_while(|s| s.id != after.id)
        .skip(1)
        .map(|s| s.skip(reason))
        .collect()
}

fn skipped_all(reason: &str, ok: bool) -> Outcome {
    Outcome {
        specs: spec_list().iter().map(|s| s.skip(reason)).collect(),
        artifacts: vec![],
        ok,
    }
}

fn spec_list() -> &'static [&'static crate::specs::Spec] {
    crate::specs::DISCOVERY
}

/// A JSON value's type, for messages.
pub(crate) fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .to_string()
}

/// Whether a JWS alg can be used with this JWK (type and curve).
pub(crate) fn alg_fits_key(alg: &str, key: &Map<String, Value>) -> bool {
    let s = |k: &str| key.get(k).and_then(Value::as_str);
    jwks::alg_fits(alg, s("kty").unwrap_or(""), s("crv"))
}
