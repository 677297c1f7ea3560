//! YAML files as users write them: suites and target profiles share one
//! reader, so every error is rendered the same way, rustc-style with
//! `file:line:col`.

use crate::ConfigError;
use serde_saphyr::Location;
use std::path::Path;

/// Reads and parses a YAML file into `T`, rendering errors rustc-style with
/// `file:line:col`.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_yaml_str(path, &text)
}

/// Parses YAML text that came from `path`.
pub(crate) fn parse_yaml_str<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let name = path.display().to_string();
        let options = serde_saphyr::render_options! { source_name: Some(name.as_str()) };
        ConfigError::Yaml {
            path: path.to_path_buf(),
            rendered: e.render_with_options(options),
        }
    })
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
