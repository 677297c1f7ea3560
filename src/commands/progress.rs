//! What `probity run` shows while it runs: on a terminal, an indicatif bar
//! with scenarios done of total, failures so far and the running scenarios
//! with their elapsed time; elsewhere (CI logs, pipes), one plain line per
//! finished scenario. `--quiet` keeps only failures.

use crate::report::SummaryRow;
use crate::specs::Verdict;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The run's progress display.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    running: BTreeMap<String, Instant>,
    failed: usize,
}

impl Progress {
    /// A bar on a terminal (unless quiet), else plain lines.
    pub(super) fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal() && std::env::var_os("PROBITY_NO_BAR").is_none();
        let bar = (tty && !quiet).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} scenarios  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            quiet,
            running: BTreeMap::new(),
            failed: 0,
        }
    }

    /// The run starts with `total` scenarios.
    pub(super) fn started(&mut self, total: usize) {
        match &self.bar {
            Some(bar) => bar.set_length(total as u64),
            None if !self.quiet => eprintln!("running {total} scenarios"),
            None => {}
        }
    }

    /// A scenario began.
    pub(super) fn scenario_started(&mut self, name: String) {
        self.running.insert(name, Instant::now());
        self.refresh();
    }

    /// A scenario ended, with its (redacted) row.
    pub(super) fn scenario_finished(&mut self, row: &SummaryRow) {
        self.running.remove(&format!("{}/{}", row.suite, row.id));
        if row.verdict == Verdict::Failed {
            self.failed += 1;
        }
        let show = !self.quiet || row.verdict == Verdict::Failed;
        if show {
            let text = line(row);
            match &self.bar {
                // Printed above the bar, which stays at the bottom.
                Some(bar) => bar.println(text),
                None => eprintln!("{text}"),
            }
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.refresh();
    }

    /// Redraws the running scenarios' elapsed times.
    pub(super) fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let running: Vec<String> = self
            .running
            .iter()
            .take(3)
            .map(|(name, t)| format!("{name} {:.1}s", t.elapsed().as_secs_f64()))
            .collect();
        let more = self.running.len().saturating_sub(3);
        let more = if more > 0 {
            format!(" +{more}")
        } else {
            String::new()
        };
        bar.set_message(format!(
            "{} failed · running: {}{more}",
            self.failed,
            running.join(", ")
        ));
        bar.tick();
    }

    /// How often to redraw while waiting for an event.
    pub(super) fn tick_every(&self) -> Duration {
        if self.bar.is_some() {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(3600)
        }
    }

    /// Removes the bar before the final line.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn line(row: &SummaryRow) -> String {
    let c = row.counts;
    let mut text = format!(
        "{} {} {}/{}  {} passed, {} failed, {} warnings, {} skipped  ({:.1} ms)",
        row.verdict.icon(),
        row.verdict.word(),
        row.suite,
        row.id,
        c.passed,
        c.failed,
        c.warnings,
        c.skipped,
        row.elapsed_ms
    );
    // The cause first: the first failed spec, with its clause and what was
    // seen; what did not run comes after, cut short.
    if let Some(p) = row.problems.iter().find(|p| p.verdict == Verdict::Failed) {
        let clause = p
            .clause_tag
            .as_deref()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        let why = p
            .explanation
            .as_deref()
            .map(|e| format!(": {}", crate::steps::shown(e)))
            .unwrap_or_default();
        text.push_str(&format!("\n   {} {}{clause}{why}", p.verdict.word(), p.id));
    }
    if let Some(why) = &row.not_judged {
        text.push_str(&format!(
            "\n   {}: {}",
            if row.verdict == Verdict::Failed {
                "also"
            } else {
                row.verdict.word()
            },
            crate::steps::shown(why)
        ));
    }
    text
}
