//! OpenAPI schema validation: when a target profile names OpenAPI 3 files,
//! the JSON bodies of every exchange that matches one of their operations
//! (by server path, path template and method) are validated against the
//! operation's request and response schemas, and each violation is reported
//! with its JSON path. Validators are compiled once per schema and cached.

mod document;

pub use document::{OpenApi, Operation};

use jsonschema::Validator;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A schema compiled once, or why it could not be.
type Compiled = Arc<Result<Validator, String>>;

/// The OpenAPI files of a target, with their compiled schemas.
pub struct SchemaBook {
    apis: Vec<OpenApi>,
    /// By API index and JSON pointer of the schema.
    cache: Mutex<HashMap<(usize, String), Compiled>>,
}

impl std::fmt::Debug for SchemaBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.apis.iter().map(|a| a.title.as_str()).collect();
        f.debug_struct("SchemaBook").field("apis", &names).finish()
    }
}

/// Which body a violation is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// The request probity sent.
    Request,
    /// The response the target gave.
    Response,
}

/// The verdict on one body.
#[derive(Debug, Clone)]
pub struct BodyCheck {
    /// The operation, e.g. `POST /domestic-payment-consents (CreateDomesticPaymentConsents)`.
    pub operation: String,
    /// Which body.
    pub body: Body,
    /// Violations: (JSON path in the body, message). Empty when valid.
    pub violations: Vec<(String, String)>,
}

impl SchemaBook {
    /// Reads and indexes OpenAPI files (YAML or JSON).
    pub fn load(paths: &[&Path]) -> Result<SchemaBook, String> {
        let apis = paths
            .iter()
            .map(|p| OpenApi::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SchemaBook::new(apis))
    }

    /// A book of loaded documents.
    pub fn new(apis: Vec<OpenApi>) -> SchemaBook {
        SchemaBook {
            apis,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Validates the bodies of one exchange; empty when no operation matches.
    pub fn check(
        &self,
        method: &str,
        url: &str,
        request: Option<&str>,
        status: u16,
        response: &str,
    ) -> Vec<BodyCheck> {
        let Some((api, op)) = self.find(method, url) else {
            return vec![];
        };
        let mut out = Vec::new();
        if let (Some(pointer), Some(text)) = (&op.request, request) {
            out.push(self.judge(api, op, Body::Request, pointer, text));
        }
        if let Some(pointer) = op.response(status) {
            out.push(self.judge(api, op, Body::Response, pointer, response));
        }
        out
    }

    fn find(&self, method: &str, url: &str) -> Option<(usize, &Operation)> {
        let path = url::Url::parse(url).ok()?.path().to_string();
        self.apis
            .iter()
            .enumerate()
            .find_map(|(i, api)| api.operation(method, &path).map(|op| (i, op)))
    }

    fn judge(
        &self,
        api: usize,
        op: &Operation,
        body: Body,
        pointer: &str,
        text: &str,
    ) -> BodyCheck {
        let violations = match serde_json::from_str::<Value>(text) {
            Err(e) => vec![("$".into(), format!("not JSON: {e}"))],
            Ok(value) => match self.validator(api, pointer).as_ref() {
                Err(e) => vec![("$".into(), format!("the schema cannot be compiled: {e}"))],
                Ok(v) => v
                    .iter_errors(&value)
                    .take(20)
                    .map(|e| (json_path(&e.instance_path().to_string()), e.to_string()))
                    .collect(),
            },
        };
        BodyCheck {
            operation: op.label.clone(),
            body,
            violations,
        }
    }

    fn validator(&self, api: usize, pointer: &str) -> Compiled {
        let key = (api, pointer.to_string());
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                Arc::new(match self.apis.get(api) {
                    Some(doc) => doc.compile(pointer),
                    None => Err(format!("no OpenAPI document number {api}")),
                })
            })
            .clone()
    }
}

/// `/Data/Initiation/0` → `$.Data.Initiation[0]`.
fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}
