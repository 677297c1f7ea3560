//! OpenAPI schema validation: when a target profile names OpenAPI 3 files,
//! the JSON bodies of every exchange that matches one of their operations
//! (by server path, path template and method) are validated against the
//! operation's request and response schemas, and each violation is reported
//! with its JSON path. Validators are compiled once per schema and cached.

mod document;

pub use document::{OpenApi, OpenApiError, Operation, Param};

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
    pub fn load(paths: &[&Path]) -> Result<SchemaBook, OpenApiError> {
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

    /// Validates one exchange: the request's headers, query parameters and
    /// body, and the response's headers and body, against the operation
    /// the URL and method match; empty when none does.
    pub fn check(&self, sent: Message<'_>, status: u16, got: Message<'_>) -> Vec<BodyCheck> {
        let Some((api, op)) = self.find(sent.method, sent.url) else {
            return vec![];
        };
        let query: Vec<(String, String)> = url::Url::parse(sent.url)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut request = self.params(api, &op.params, sent.headers, &query);
        if let (Some(pointer), Some(text)) = (&op.request, sent.body) {
            request.extend(self.judge(api, pointer, text));
        }
        if !op.params.is_empty() || op.request.is_some() && sent.body.is_some() {
            out.push(check(op, Body::Request, request));
        }
        let declared = op.headers(status);
        let mut response = self.params(api, declared, got.headers, &[]);
        if let (Some(pointer), Some(text)) = (op.response(status), got.body) {
            response.extend(self.judge(api, pointer, text));
        }
        if !declared.is_empty() || op.response(status).is_some() {
            out.push(check(op, Body::Response, response));
        }
        out
    }

    /// Violations of the declared header and query parameters.
    fn params(
        &self,
        api: usize,
        declared: &[Param],
        headers: &[(String, String)],
        query: &[(String, String)],
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for p in declared {
            let (label, value) = match p.location.as_str() {
                "header" => (
                    format!("header {}", p.name),
                    headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
                        .map(|(_, v)| v.as_str()),
                ),
                "query" => (
                    format!("query {}", p.name),
                    query
                        .iter()
                        .find(|(k, _)| k == &p.name)
                        .map(|(_, v)| v.as_str()),
                ),
                _ => continue,
            };
            match (value, &p.schema) {
                (None, _) if p.required => out.push((label, "required, and missing".into())),
                (Some(v), Some(pointer)) => match self.validator(api, pointer).as_ref() {
                    Err(e) => out.push((label, format!("the schema cannot be compiled: {e}"))),
                    Ok(validator) => out.extend(
                        validator
                            .iter_errors(&Value::String(v.to_string()))
                            .take(5)
                            .map(|e| (label.clone(), e.to_string())),
                    ),
                },
                _ => {}
            }
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

    fn judge(&self, api: usize, pointer: &str, text: &str) -> Vec<(String, String)> {
        match serde_json::from_str::<Value>(text) {
            Err(e) => vec![("$".into(), format!("not JSON: {e}"))],
            Ok(value) => match self.validator(api, pointer).as_ref() {
                Err(e) => vec![("$".into(), format!("the schema cannot be compiled: {e}"))],
                Ok(v) => v
                    .iter_errors(&value)
                    .take(20)
                    .map(|e| (json_path(&e.instance_path().to_string()), e.to_string()))
                    .collect(),
            },
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

/// One side of an exchange, as the book checks it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The request's method (ignored for a response).
    pub method: &'a str,
    /// The request's URL (ignored for a response).
    pub url: &'a str,
    /// Its headers.
    pub headers: &'a [(String, String)],
    /// Its body, if any.
    pub body: Option<&'a str>,
}

fn check(op: &Operation, body: Body, violations: Vec<(String, String)>) -> BodyCheck {
    BodyCheck {
        operation: op.label.clone(),
        body,
        violations,
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
