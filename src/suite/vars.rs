//! Scenario variables: values captured by earlier steps, used by later ones
//! through `{{ name }}` placeholders.

use std::collections::BTreeMap;

/// Captured values of one scenario, by name.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl Vars {
    /// Sets a value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// Reads a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces every `{{ name }}` in `template`; an unknown name is an error
    /// that lists the names that are set.
    pub fn fill(&self, template: &str) -> Result<String, String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in `{template}`"))?;
            let name = after[..end].trim();
            match self.values.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    let known: Vec<&str> = self.values.keys().map(String::as_str).collect();
                    return Err(format!(
                        "variable `{name}` is not set (an earlier step did not capture it); set: {}",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ));
                }
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_reports_unknown_names() {
        let mut v = Vars::default();
        v.set("a", "1");
        assert_eq!(v.fill("x{{ a }}y{{a}}").unwrap(), "x1y1");
        let err = v.fill("{{ b }}").unwrap_err();
        assert!(
            err.contains("`b` is not set") && err.contains("set: a"),
            "{err}"
        );
    }
}
