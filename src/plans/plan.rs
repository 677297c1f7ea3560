//! Plan files (`plans/*.yaml`): a named selection of scenarios, judged under
//! one conformance profile.
//!
//! ```yaml
//! plan: oidc
//! name: OpenID Connect OP (generic)
//! conformance: oidc
//! prepares_for: [oidcc-basic, oidcc-config]
//! scenarios:
//!   - discovery                # a whole suite
//!   - auth-code/basic-pkce     # one scenario
//! ```

use super::Conformance;
use crate::suite::Suite;
use crate::yaml::{invalid, parse_yaml};
use crate::ConfigError;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    plan: Spanned<String>,
    name: String,
    conformance: Conformance,
    description: Option<String>,
    #[serde(default)]
    prepares_for: Vec<String>,
    scenarios: Vec<Spanned<String>>,
}

/// A loaded plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Its id (`probity run --plan ID`).
    pub id: String,
    /// A one-line title.
    pub name: String,
    /// The profile its specs are judged under.
    pub conformance: Conformance,
    /// What it is for.
    pub description: Option<String>,
    /// The OpenID Foundation plans (coverage map ids) it prepares for.
    pub prepares_for: Vec<String>,
    /// `suite` or `suite/scenario` selectors, with where each is written.
    selectors: Vec<Spanned<String>>,
    /// The file.
    pub path: PathBuf,
}

impl Plan {
    /// The selectors, as `--only` takes them.
    pub fn selectors(&self) -> Vec<String> {
        self.selectors.iter().map(|s| s.value.clone()).collect()
    }

    /// Checks that every selector names a loaded suite or scenario.
    pub fn check(&self, suites: &[Suite]) -> Result<(), ConfigError> {
        for sel in &self.selectors {
            let found = suites.iter().any(|s| {
                s.name == sel.value
                    || s.scenarios
                        .iter()
                        .any(|sc| format!("{}/{}", s.name, sc.id.value) == sel.value)
            });
            if !found {
                let m = format!(
                    "`{}` names no suite or `suite/scenario` in the suites loaded (see `probity list`)",
                    sel.value
                );
                return Err(invalid(&self.path, &sel.referenced, m));
            }
        }
        Ok(())
    }
}

/// Loads one plan file.
pub fn load_plan(path: &Path) -> Result<Plan, ConfigError> {
    let f: PlanFile = parse_yaml(path)?;
    let id = f.plan.value.clone();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        let m = format!("a plan id is letters, digits and `-`; got `{id}`");
        return Err(invalid(path, &f.plan.referenced, m));
    }
    Ok(Plan {
        id,
        name: f.name,
        conformance: f.conformance,
        description: f.description,
        prepares_for: f.prepares_for,
        selectors: f.scenarios,
        path: path.to_path_buf(),
    })
}

/// Loads every `*.yaml` plan directly in `dir`, sorted by file name.
pub fn load_plans(dir: &Path) -> Result<Vec<Plan>, ConfigError> {
    let files = crate::suite::discover_suite_files(dir)?;
    let mut plans: Vec<Plan> = Vec::new();
    for file in files {
        let plan = load_plan(&file)?;
        if plans.iter().any(|p| p.id == plan.id) {
            return Err(ConfigError::Other(format!(
                "two plans are named `{}` (the second in {})",
                plan.id,
                file.display()
            )));
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// The plan named `id`; the error lists the plans there are.
pub fn find<'a>(plans: &'a [Plan], id: &str) -> Result<&'a Plan, ConfigError> {
    plans.iter().find(|p| p.id == id).ok_or_else(|| {
        let names: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
        ConfigError::Other(format!(
            "no plan `{id}`; plans: {} (see `probity plans`)",
            names.join(", ")
        ))
    })
}
