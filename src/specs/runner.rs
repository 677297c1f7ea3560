//! Specs about probity itself: a scenario that hit a bug in probity is
//! reported as failed with the bug's message, never silently dropped.

use super::Severity::*;

/// What a Rust panic is: the clause a panicking scenario broke is probity's own.
const PANIC: &str = "https://doc.rust-lang.org/std/macro.panic.html";

spec!(
    COMPLETED,
    "runner.completed",
    Failure,
    "PROBITY-INTERNAL",
    PANIC,
    "should run to completion without an internal error"
);

/// Every runner spec.
pub static RUNNER: &[&super::Spec] = &[&COMPLETED];
