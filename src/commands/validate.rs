//! `probity validate`, `probity list` and `probity specs`.

use super::{EXIT_CONFIG, EXIT_OK};
use crate::suite::{check_roles, load_suite, load_suites};
use crate::target::load_target;
use crate::yaml::parse_yaml;
use crate::ConfigError;
use std::path::{Path, PathBuf};

/// Checks suite files and target profiles without running anything; with
/// `target`, also that every client role the suites name is in that profile.
pub fn validate(files: &[PathBuf], target: Option<&Path>) -> u8 {
    let roles = match target.map(load_target).transpose() {
        Ok(t) => t.map(|t| t.roles()),
        Err(e) => {
            eprintln!("{e}");
            return EXIT_CONFIG;
        }
    };
    let mut code = EXIT_OK;
    for path in files {
        match validate_one(path, roles.as_deref()) {
            Ok(what) => out!("ok: {} ({what})", path.display()),
            Err(e) => {
                eprintln!("{e}");
                code = EXIT_CONFIG;
            }
        }
    }
    code
}

fn validate_one(path: &Path, roles: Option<&[String]>) -> Result<String, ConfigError> {
    let doc: serde_json::Value = parse_yaml(path)?;
    if doc.get("scenarios").is_some() {
        let suite = load_suite(path)?;
        if let Some(roles) = roles {
            check_roles(&suite, roles)?;
        }
        Ok(format!(
            "suite `{}`, {} scenarios",
            suite.name,
            suite.scenarios.len()
        ))
    } else if doc.get("issuer").is_some() {
        let target = load_target(path)?;
        Ok(format!("target `{}`", target.name))
    } else {
        Err(ConfigError::Other(format!(
            "{}: neither a suite (no `scenarios:`) nor a target profile (no `issuer:`)",
            path.display()
        )))
    }
}

/// Lists the scenarios of suites as `suite/scenario — name`.
pub fn list(paths: &[PathBuf]) -> u8 {
    match load_suites(paths) {
        Ok(suites) => {
            for s in &suites {
                for sc in &s.scenarios {
                    out!("{}/{}\t{}", s.name, sc.id.value, sc.name);
                }
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{e}");
            EXIT_CONFIG
        }
    }
}

/// Lists every catalogue spec: id, severity, clause, sentence.
pub fn specs() -> u8 {
    for s in crate::specs::catalogue() {
        out!("{}\t{:?}\t{}\t{}", s.id, s.severity, s.clause.tag, s.should);
    }
    EXIT_OK
}
