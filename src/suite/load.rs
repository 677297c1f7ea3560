//! Loading suite files: YAML errors and semantic errors with locations.

use super::plan::check_scenario;
use super::scenario::{Suite, SuiteFile};
use crate::yaml::{invalid, parse_yaml};
use crate::ConfigError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Loads and validates one suite file.
pub fn load_suite(path: &Path) -> Result<Suite, ConfigError> {
    let mut file: SuiteFile = parse_yaml(path)?;
    for scenario in &mut file.scenarios {
        for step in &mut scenario.steps {
            let at = step.referenced;
            step.value.facts_mut().check(path, &at)?;
        }
    }
    let mut ids = HashSet::new();
    for scenario in &file.scenarios {
        if !ids.insert(scenario.id.value.clone()) {
            return Err(invalid(
                path,
                &scenario.id.referenced,
                format!("duplicate scenario id `{}`", scenario.id.value),
            ));
        }
        if scenario.id.value.contains('/') || scenario.id.value.trim().is_empty() {
            return Err(invalid(
                path,
                &scenario.id.referenced,
                "a scenario id must be non-empty and contain no `/`".into(),
            ));
        }
        check_scenario(path, scenario, None)?;
    }
    let name = file.suite.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(Suite {
        name,
        feature: file.feature,
        description: file.description,
        path: path.to_path_buf(),
        scenarios: file.scenarios,
        variant: file.variant,
    })
}

/// Checks the client roles every scenario names against a target
/// profile's roles.
pub fn check_roles(suite: &Suite, roles: &[String]) -> Result<(), ConfigError> {
    for scenario in &suite.scenarios {
        check_scenario(&suite.path, scenario, Some(roles))?;
    }
    Ok(())
}

/// The `.yaml`/`.yml` files of a directory, sorted.
pub fn discover_suite_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads suites from files and directories; a duplicate suite name is an error.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<Suite>, ConfigError> {
    let mut suites = Vec::new();
    for path in paths {
        let files = if path.is_dir() {
            discover_suite_files(path)?
        } else {
            vec![path.clone()]
        };
        for file in files {
            suites.push(load_suite(&file)?);
        }
    }
    let mut names = HashSet::new();
    for s in &suites {
        if !names.insert(s.name.clone()) {
            return Err(ConfigError::Other(format!(
                "two suites are named `{}` (the second in {})",
                s.name,
                s.path.display()
            )));
        }
    }
    Ok(suites)
}
