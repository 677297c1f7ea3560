//! `probity plans`: the plans, the client roles, and PLANS.md.

use super::{EXIT_CONFIG, EXIT_OK};
use crate::plans::{coverage, load_plans, roles};
use crate::suite::load_suites;
use crate::ConfigError;
use std::path::{Path, PathBuf};

/// What `probity plans` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PlansFormat {
    /// One line per plan.
    #[default]
    Text,
    /// PLANS.md: plans, roles and the OpenID Foundation coverage map.
    Md,
}

/// Lists the plans (or the roles table, or PLANS.md).
pub fn plans(format: PlansFormat, roles_only: bool) -> u8 {
    match render(format, roles_only) {
        Ok(text) => {
            out!("{}", text.trim_end());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{e}");
            EXIT_CONFIG
        }
    }
}

fn render(format: PlansFormat, roles_only: bool) -> Result<String, ConfigError> {
    let suites = load_suites(&[PathBuf::from("suites")])?;
    if roles_only {
        return Ok(roles::table(&suites));
    }
    let plans = load_plans(Path::new("plans"))?;
    for p in &plans {
        p.check(&suites)?;
    }
    Ok(match format {
        PlansFormat::Md => {
            let map = coverage::load(Path::new("plans/coverage/oidf.yaml"))?;
            coverage::markdown(&plans, &map, &suites)
        }
        PlansFormat::Text => plans
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{} selectors",
                    p.id,
                    p.conformance,
                    p.name,
                    p.selectors().len()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    })
}
