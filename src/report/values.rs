//! Large values stored once in `report.json`.
//!
//! A large string (an ID token of a megabyte, a JWKS that every scenario
//! fetches again) is written in full where it first appears in the file;
//! every later string equal to it is written as
//! `{"same_as": "<SHA-256 of the text, hex>"}`. The reader meets the full
//! text before any reference to it, so the file can still be written as a
//! stream and the writer keeps only digests, never the texts. The model types
//! do not change: references exist only in the file, and reading resolves
//! them before the model is built, so `probity report DIR` renders the same.

use serde_json::Value;
use sha2::Digest;
use std::collections::{HashMap, HashSet};

/// Strings of at least this many bytes are stored once.
pub const LARGE: usize = 4096;

/// The member name of a reference.
const SAME_AS: &str = "same_as";

fn digest(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The writer's side: the digests of the large strings already written.
#[derive(Default)]
pub(super) struct Once {
    seen: HashSet<String>,
}

impl Once {
    /// Replaces in `value` every large string already written (earlier in
    /// `value` or in an earlier call) by a reference to it.
    pub(super) fn encode(&mut self, value: &mut Value) {
        match value {
            Value::String(s) if s.len() >= LARGE => {
                let d = digest(s);
                if self.seen.contains(&d) {
                    *value = serde_json::json!({ SAME_AS: d });
                } else {
                    self.seen.insert(d);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.encode(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.encode(v)),
            _ => {}
        }
    }
}

/// The reader's side: the large strings met so far, by digest.
#[derive(Default)]
pub(super) struct Resolver {
    known: HashMap<String, String>,
}

impl Resolver {
    /// Puts back, in `value`, the text of every reference; fails on a
    /// reference to a text not met before it (a damaged or edited file).
    pub(super) fn decode(&mut self, value: &mut Value) -> Result<(), String> {
        if let Some(d) = reference(value) {
            let text = self
                .known
                .get(&d)
                .ok_or_else(|| format!("`{SAME_AS}: {d}` names no value stored before it"))?;
            *value = Value::String(text.clone());
            return Ok(());
        }
        match value {
            Value::String(s) if s.len() >= LARGE => {
                self.known.entry(digest(s)).or_insert_with(|| s.clone());
                Ok(())
            }
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.decode(v)),
            Value::Object(map) => map.values_mut().try_for_each(|v| self.decode(v)),
            _ => Ok(()),
        }
    }
}

/// The digest a reference names: an object whose only member is `same_as`.
/// No model type serializes as such an object, so nothing else is taken
/// for one.
fn reference(value: &Value) -> Option<String> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    map.get(SAME_AS)?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_large_string_is_written_once_and_read_back_whole() {
        let big = "x".repeat(LARGE);
        let small = "y".repeat(LARGE - 1);
        let original = serde_json::json!({"a": big, "b": [small, big], "c": {"d": big}});
        let mut v = original.clone();
        Once::default().encode(&mut v);
        let text = v.to_string();
        assert_eq!(text.matches(big.as_str()).count(), 1, "{text}");
        assert_eq!(text.matches(small.as_str()).count(), 1);
        assert_eq!(v["c"]["d"][SAME_AS].as_str(), Some(digest(&big).as_str()));
        Resolver::default().decode(&mut v).expect("resolves");
        assert_eq!(v, original);
    }

    #[test]
    fn a_reference_to_nothing_before_it_is_an_error() {
        let mut v = serde_json::json!({"a": {SAME_AS: digest("never stored")}});
        let err = Resolver::default().decode(&mut v).unwrap_err();
        assert!(err.contains("names no value stored before it"), "{err}");
    }
}
