//! YAML files as users write them: suites and target profiles share one
//! reader, so every error is rendered the same way, rustc-style with
//! `file:line:col`.

use crate::ConfigError;
use serde_saphyr::Location;
use std::path::Path;

/// The largest YAML file read: a 10,000-scenario suite is about 3 MiB.
const MAX_YAML_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses a YAML file into `T`, rendering errors rustc-style with
/// `file:line:col`. Only regular files are read, and at most 64 MiB, so
/// `/dev/zero` or a FIFO is refused at once.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    parse_yaml_str(path, &read_yaml(path)?)
}

/// Like [`parse_yaml`], but a YAML syntax error is reported as such even
/// where the model would stop first at a value of the wrong kind: an
/// unclosed `[` where a string belongs is "unclosed bracket", as
/// `probity validate` says of any file, not "expected string scalar".
/// For target profiles, which are small: the text is parsed twice.
pub(crate) fn parse_yaml_syntax_first<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<T, ConfigError> {
    let text = read_yaml(path)?;
    parse_yaml_str::<serde::de::IgnoredAny>(path, &text)?;
    parse_yaml_str(path, &text)
}

/// The text of a YAML file: a regular file of at most 64 MiB.
fn read_yaml(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(ConfigError::Other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_YAML_BYTES + 1).read_to_string(&mut text))
        .map_err(read_err)?;
    if text.len() as u64 > MAX_YAML_BYTES {
        return Err(ConfigError::Other(format!(
            "{} is larger than 64 MiB; split it into several files",
            path.display()
        )));
    }
    Ok(text)
}

/// The parser's limits: aliases and anchors (the YAML bomb) stay at the
/// library's defaults; node and event counts are raised so a suite of
/// 10,000 scenarios loads.
fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    if let Some(budget) = options.budget.as_mut() {
        budget.max_nodes = 8_000_000;
        budget.max_events = 32_000_000;
    }
    options
}

/// Parses YAML text that came from `path`.
pub(crate) fn parse_yaml_str<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let name = path.display().to_string();
        let options = serde_saphyr::render_options! { source_name: Some(name.as_str()) };
        let rendered = e.render_with_options(options);
        // The parser's own words for a breached limit are Rust debug text.
        let rendered = match rendered.find("budget breached:") {
            Some(_) => rendered.replacen(
                "budget breached:",
                "the file is too large or too deeply nested for a suite (a YAML resource limit was reached:",
                1,
            ),
            None => rendered,
        };
        // And its advice for a key written twice names its own API.
        let rendered = rendered.replace(
            ", set DuplicateKeyPolicy in Options if acceptable",
            " (a key may be written only once in a mapping)",
        );
        ConfigError::Yaml {
            path: path.to_path_buf(),
            rendered: mask_secret_lines(&rendered),
        }
    })
}

/// An error's source snippet shows the lines around the mistake; a profile's
/// `secret:` or `password:` value on one of them must not reach stderr.
fn mask_secret_lines(rendered: &str) -> String {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            // `[ \t]`, not `\s`: a key with its value on the next line
            // (`secret_fields:` then `- otp`) must not swallow that line.
            r#"(?im)^([ \t]*\d*[ \t]*\|[ \t]*(?:-[ \t]+)?[A-Za-z_.-]*(secret|password|passwd|pwd|pin|otp|token|private_key)[A-Za-z_.-]*[ \t]*:[ \t]*)(\S[^\n]*)$"#,
        )
        .ok()
    });
    match re {
        Some(re) => re.replace_all(rendered, "${1}[redacted]").into_owned(),
        None => rendered.to_string(),
    }
}

/// A semantic error at a YAML location.
pub(crate) fn invalid(path: &Path, at: &Location, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line: at.line(),
        column: at.column(),
        message,
    }
}
