//! One OpenAPI 3 document: its server base path and its operations, with
//! JSON pointers to their request and response schemas.

use serde_json::{Map, Value};
use std::path::Path;

/// An indexed OpenAPI document.
pub struct OpenApi {
    /// `info.title`.
    pub title: String,
    /// The path of `servers[0].url` (e.g. `/open-banking/v3.1/pisp`).
    pub base: String,
    /// Operations.
    pub operations: Vec<Operation>,
    doc: Value,
}

/// One operation of a document.
pub struct Operation {
    /// Upper-case method.
    pub method: String,
    /// Path template segments; `None` stands for a `{parameter}`.
    pub template: Vec<Option<String>>,
    /// For reports: method, template and operationId.
    pub label: String,
    /// Pointer to the JSON request body schema.
    pub request: Option<String>,
    /// (status, pointer to the JSON response schema).
    pub responses: Vec<(String, String)>,
    /// Header, query and path parameters of the request.
    pub params: Vec<Param>,
    /// (status, the response headers it declares).
    pub response_headers: Vec<(String, Vec<Param>)>,
}

/// A declared request parameter or response header.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name (a header's in lower case).
    pub name: String,
    /// `header`, `query` or `path`.
    pub location: String,
    /// Whether it must be there.
    pub required: bool,
    /// Pointer to its schema, if it has one.
    pub schema: Option<String>,
}

impl Operation {
    /// The response schema for a status (exact, then `2XX`-style, then `default`).
    pub fn response(&self, status: u16) -> Option<&str> {
        by_status(&self.responses, status).map(String::as_str)
    }

    /// The response headers declared for a status.
    pub fn headers(&self, status: u16) -> &[Param] {
        by_status(&self.response_headers, status).map_or(&[], Vec::as_slice)
    }
}

/// The entry for a status: exact, then `2XX`-style, then `default`.
fn by_status<T>(entries: &[(String, T)], status: u16) -> Option<&T> {
    let exact = status.to_string();
    let class = format!("{}XX", status / 100);
    [exact.as_str(), class.as_str(), "default"]
        .iter()
        .find_map(|want| entries.iter().find(|(s, _)| s.eq_ignore_ascii_case(want)))
        .map(|(_, v)| v)
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// An OpenAPI document that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is neither YAML nor JSON.
    #[error("{} is not a YAML or JSON document: {reason}", path.display())]
    NotADocument {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's words.
        reason: String,
    },
}

impl OpenApi {
    /// Reads a document (YAML or JSON) and indexes its operations.
    pub fn load(path: &Path) -> Result<OpenApi, OpenApiError> {
        let text = std::fs::read_to_string(path).map_err(|source| OpenApiError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_text(path, &text)
    }

    /// Parses a document already read from `path` (named in errors), so
    /// callers can choose how to read it (the target loader caps the size).
    pub fn from_text(path: &Path, text: &str) -> Result<OpenApi, OpenApiError> {
        let doc: Value = serde_saphyr::from_str(text).map_err(|e| OpenApiError::NotADocument {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let base = doc
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .map(|u| match url::Url::parse(u) {
                Ok(full) => full.path().to_string(),
                Err(_) => u.to_string(),
            })
            .unwrap_or_default();
        let title = doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("OpenAPI")
            .to_string();
        let mut api = OpenApi {
            title,
            base: base.trim_end_matches('/').to_string(),
            operations: vec![],
            doc,
        };
        api.operations = api.index();
        Ok(api)
    }

    fn index(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (template, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                let here = format!("/paths/{}/{method}", escape(template));
                let mut operation = self.operation_at(template, method, op, &here);
                // Path-item parameters apply to every operation under it.
                let shared = format!("/paths/{}/parameters", escape(template));
                for p in self.params(&shared) {
                    if !operation
                        .params
                        .iter()
                        .any(|q| q.name == p.name && q.location == p.location)
                    {
                        operation.params.push(p);
                    }
                }
                out.push(operation);
            }
        }
        out
    }

    fn operation_at(&self, template: &str, method: &str, op: &Value, here: &str) -> Operation {
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
        let request = op
            .get("requestBody")
            .and_then(|b| self.json_schema(b, &format!("{here}/requestBody")));
        let responses = op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(status, r)| {
                let at = format!("{here}/responses/{}", escape(status));
                self.json_schema(r, &at).map(|p| (status.clone(), p))
            })
            .collect();
        let response_headers = op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(status, _)| {
                let at = format!("{here}/responses/{}", escape(status));
                (status.clone(), self.response_headers(&at))
            })
            .filter(|(_, h)| !h.is_empty())
            .collect();
        Operation {
            params: self.params(&format!("{here}/parameters")),
            response_headers,
            method: method.to_ascii_uppercase(),
            template: template
                .split('/')
                .skip(1)
                .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                .collect(),
            label: format!("{} {template} ({id})", method.to_ascii_uppercase()),
            request,
            responses,
        }
    }

    /// Follows a `$ref` to a request body or response object, then returns
    /// the pointer to its JSON media type's schema.
    fn json_schema(&self, object: &Value, at: &str) -> Option<String> {
        let (object, at) = match object.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#')?.to_string();
                (self.doc.pointer(&pointer)?, pointer)
            }
            None => (object, at.to_string()),
        };
        let content = object.get("content")?.as_object()?;
        let media = ["application/json", "application/json; charset=utf-8"]
            .into_iter()
            .find(|m| content.get(*m).and_then(|c| c.get("schema")).is_some())
            .or_else(|| {
                content
                    .keys()
                    .map(String::as_str)
                    .find(|k| k.contains("json") && content[*k].get("schema").is_some())
            })?;
        Some(format!("{at}/content/{}/schema", escape(media)))
    }

    /// Follows a `$ref` within the document: (the object, its pointer).
    fn resolve<'a>(&'a self, object: &'a Value, at: &str) -> Option<(&'a Value, String)> {
        match object.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#')?.to_string();
                Some((self.doc.pointer(&pointer)?, pointer))
            }
            None => Some((object, at.to_string())),
        }
    }

    /// The parameters listed at `at` (a `parameters` array).
    fn params(&self, at: &str) -> Vec<Param> {
        let Some(Value::Array(list)) = self.doc.pointer(at) else {
            return vec![];
        };
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let (p, pointer) = self.resolve(p, &format!("{at}/{i}"))?;
                let location = p.get("in")?.as_str()?.to_string();
                let name = p.get("name")?.as_str()?;
                Some(Param {
                    name: if location == "header" {
                        name.to_ascii_lowercase()
                    } else {
                        name.to_string()
                    },
                    location,
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    schema: p.get("schema").map(|_| format!("{pointer}/schema")),
                })
            })
            .collect()
    }

    /// The headers a response object (at `at`, maybe a `$ref`) declares.
    fn response_headers(&self, at: &str) -> Vec<Param> {
        let Some((response, pointer)) = self.doc.pointer(at).and_then(|r| self.resolve(r, at))
        else {
            return vec![];
        };
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return vec![];
        };
        headers
            .iter()
            .filter_map(|(name, h)| {
                let here = format!("{pointer}/headers/{}", escape(name));
                let (h, hp) = self.resolve(h, &here)?;
                Some(Param {
                    name: name.to_ascii_lowercase(),
                    location: "header".into(),
                    required: h.get("required").and_then(Value::as_bool).unwrap_or(false),
                    schema: h.get("schema").map(|_| format!("{hp}/schema")),
                })
            })
            .collect()
    }

    /// The operation matching a method and a URL path, if any.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let rest = path.strip_prefix(&self.base)?;
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        self.operations.iter().find(|op| {
            op.method.eq_ignore_ascii_case(method)
                && op.template.len() == segments.len()
                && op
                    .template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.as_deref().is_none_or(|t| t == *s))
        })
    }

    /// Compiles the schema at `pointer` with the whole document as the
    /// root, so its `#/components/...` references resolve.
    pub fn compile(&self, pointer: &str) -> Result<jsonschema::Validator, String> {
        let mut root: Map<String, Value> = self.doc.as_object().cloned().unwrap_or_default();
        root.insert("$ref".into(), Value::String(format!("#{pointer}")));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&Value::Object(root))
            .map_err(|e| e.to_string())
    }
}
