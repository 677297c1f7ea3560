//! Suites: the YAML model of what to run, loaded into a typed plan.
//!
//! A suite file holds scenarios; a scenario is an ordered list of steps,
//! whose shapes the step kinds define (`crate::steps`). Unknown keys are
//! errors, every template, JSONPath, method and capture source is parsed
//! when the file loads, and every value a step uses must be provided by the
//! profile or an earlier step. Every error names the file, line and column.

pub(crate) mod load;
mod plan;
mod scenario;

pub use load::{check_roles, discover_suite_files, load_suite, load_suites};
pub use plan::{client_roles, uses_default_client};
pub use scenario::{Requires, Scenario, Suite, SuiteVariant};
