//! Plans: named selections of scenarios under a conformance profile, the
//! way the OpenID Foundation organises certification (a plan of modules run
//! under one profile), and the map of its modules to probity's scenarios.

pub mod coverage;
mod plan;
pub mod roles;

/// Plans name a conformance profile; each spec declares how it treats it.
pub use crate::specs::{Conformance, Rule};
pub use plan::{find, load_plan, load_plans, Plan};
