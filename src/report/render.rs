//! The markdown and HTML renderers: tera templates compiled once, over the
//! same model. HTML templates are autoescaped (tera escapes every value in a
//! `.html` template), so text from a target or a suite can never become
//! markup; markdown escapes it with the `md`, `code` and `fenced` filters.

use crate::specs::Verdict;
use std::collections::HashMap;
use std::path::Path;
use tera::{Result as TeraResult, Tera, Value};

const TEMPLATES: [(&str, &str); 4] = [
    ("scenario.md", include_str!("../../templates/scenario.md")),
    ("summary.md", include_str!("../../templates/summary.md")),
    (
        "scenario.html",
        include_str!("../../templates/scenario.html"),
    ),
    ("summary.html", include_str!("../../templates/summary.html")),
];

/// Compiles the built-in templates, each overridden by a file of the same
/// name in `dir` when there is one.
pub(super) fn templates(dir: Option<&Path>) -> Result<Tera, super::ReportError> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    let mut sources = Vec::new();
    for (name, builtin) in TEMPLATES {
        let text = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
            Some(p) => std::fs::read_to_string(&p).map_err(super::ReportError::read(&p))?,
            None => builtin.to_string(),
        };
        sources.push((name, text));
    }
    tera.add_raw_templates(sources)
        .map_err(|e| super::ReportError::Template(format!("{e:?}")))?;
    tera.register_filter("md", md);
    tera.register_filter("prose", prose);
    tera.register_filter("code", code);
    tera.register_filter("fenced", fenced);
    tera.register_filter("icon", icon);
    tera.register_filter("ms", ms);
    tera.register_filter("problems", problems);
    Ok(tera)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Markdown text: characters markdown would read as markup are escaped, so a
/// target's `<img onerror>` or `[link](javascript:…)` stays text.
fn md(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    let mut out = String::new();
    for c in text(v).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    Ok(Value::String(out))
}

/// probity's own sentences, which use code spans: raw HTML and links are
/// escaped, code spans and emphasis kept (a suite value inside a code span
/// stays literal there anyway).
fn prose(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    let mut out = String::new();
    for c in text(v).chars() {
        match c {
            '\\' | '<' | '>' | '[' | ']' | '|' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    Ok(Value::String(out))
}

/// An inline code span that no backtick in the value can close early.
fn code(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    let t = text(v).replace(['\n', '\r'], " ");
    let fence = "`".repeat(longest_run(&t, '`') + 1);
    let pad = if t.starts_with('`') || t.ends_with('`') || t.is_empty() {
        " "
    } else {
        ""
    };
    Ok(Value::String(format!("{fence}{pad}{t}{pad}{fence}")))
}

/// A fenced block (`lang` argument) whose fence is longer than any backtick
/// run in the text, so a body cannot end it.
fn fenced(v: &Value, args: &HashMap<String, Value>) -> TeraResult<Value> {
    let t = text(v);
    let lang = args.get("lang").map(text).unwrap_or_default();
    let lang: String = lang.chars().filter(char::is_ascii_alphanumeric).collect();
    let fence = "`".repeat(longest_run(&t, '`').max(2) + 1);
    Ok(Value::String(format!("{fence}{lang}\n{t}\n{fence}")))
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        cur = if ch == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// The glyph of a verdict, beside its word (never instead of it).
fn icon(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    let verdict: Option<Verdict> = serde_json::from_value(v.clone()).ok();
    Ok(Value::String(
        verdict.map(Verdict::icon).unwrap_or("").to_string(),
    ))
}

/// The spec lines a reader must look at ([`Verdict::is_problem`]),
/// failures first: the one definition the templates use.
fn problems(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    let verdict = |line: &Value| -> Option<Verdict> {
        serde_json::from_value(line.get("verdict")?.clone()).ok()
    };
    let mut lines: Vec<&Value> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|l| verdict(l).is_some_and(Verdict::is_problem))
                .collect()
        })
        .unwrap_or_default();
    lines.sort_by_key(|l| verdict(l) != Some(Verdict::Failed));
    Ok(Value::Array(lines.into_iter().cloned().collect()))
}

/// Milliseconds with one decimal.
fn ms(v: &Value, _: &HashMap<String, Value>) -> TeraResult<Value> {
    Ok(Value::String(format!("{:.1}", v.as_f64().unwrap_or(0.0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_filters_keep_target_text_inert() {
        let none = HashMap::new();
        let s = |v: &str| Value::String(v.into());
        assert_eq!(
            md(&s("<img src=x onerror=alert(1)>"), &none).ok(),
            Some(s("\\<img src=x onerror=alert(1)\\>"))
        );
        assert_eq!(code(&s("a`b"), &none).ok(), Some(s("``a`b``")));
        let block = fenced(&s("```\nx"), &HashMap::from([("lang".into(), s("json"))]));
        assert_eq!(block.ok(), Some(s("````json\n```\nx\n````")));
    }
}
