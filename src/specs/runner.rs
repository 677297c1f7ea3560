//! Specs about probity itself: a scenario that hit a bug in probity is
//! reported as failed with the bug's message, never silently dropped.

/// What a Rust panic is: the clause a panicking scenario broke is probity's own.
const PANIC: &str = "https://doc.rust-lang.org/std/macro.panic.html";

specs! {
    /// Every runner spec.
    area RUNNER;

    COMPLETED = "runner.completed", Failure, "PROBITY-INTERNAL", PANIC,
        "should run to completion without an internal error";
}
