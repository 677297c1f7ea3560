//! `probity report`, `probity diff`, `probity verify`, and the known
//! deviations of `run --expect-failures`: what nightly regression and an
//! assessor do with a finished run.

use super::{EXIT_CONFIG, EXIT_FAILED, EXIT_OK};
use crate::report::{manifest, ReportWriter, RunSummary};
use crate::specs::Verdict;
use crate::ConfigError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Re-renders markdown, HTML and JUnit from a run directory's report.json.
pub fn report(dir: &Path, templates: Option<std::path::PathBuf>) -> u8 {
    match ReportWriter::rerender(dir, templates) {
        Ok(s) => {
            out!(
                "re-rendered {} scenarios in {}",
                s.scenarios.len(),
                dir.display()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_CONFIG
        }
    }
}

/// Joins the run directories of shards into `out`.
pub fn merge(shards: &[std::path::PathBuf], out: &Path, force: bool) -> u8 {
    let empty = std::fs::read_dir(out)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true);
    if !empty && !force {
        eprintln!(
            "error: --out {} is not empty; add --force to replace it",
            out.display()
        );
        return EXIT_CONFIG;
    }
    match ReportWriter::merge(shards, out) {
        Ok(s) => {
            let c = s.scenario_counts;
            out!(
                "{} {}: {} scenarios from {} shards into {} ({} passed, {} failed, {} skipped, {} incomplete)",
                s.verdict.icon(),
                s.verdict.word(),
                s.scenarios.len(),
                shards.len(),
                out.display(),
                c.passed,
                c.failed,
                c.skipped,
                c.incomplete
            );
            if s.verdict == Verdict::Failed {
                EXIT_FAILED
            } else {
                EXIT_OK
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_CONFIG
        }
    }
}

/// Checks a run directory against its signed manifest.
pub fn verify(dir: &Path, key: Option<&Path>) -> u8 {
    match manifest::verify(dir, key) {
        Ok(problems) if problems.is_empty() => {
            out!("ok: every file of {} is as signed", dir.display());
            EXIT_OK
        }
        Ok(problems) => {
            for p in problems {
                out!("{p}");
            }
            EXIT_FAILED
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILED
        }
    }
}

#[derive(Deserialize)]
struct ReportFile {
    scenarios: Vec<ScenarioSpecs>,
}

#[derive(Deserialize)]
struct ScenarioSpecs {
    suite: String,
    id: String,
    specs: Vec<SpecVerdict>,
}

#[derive(Deserialize)]
struct SpecVerdict {
    id: String,
    verdict: Verdict,
}

/// `suite/scenario spec#n` → verdict; `#n` tells repeated specs apart.
fn verdicts(dir: &Path) -> Result<BTreeMap<String, Verdict>, String> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: ReportFile =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for sc in file.scenarios {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for s in sc.specs {
            let n = seen.entry(s.id.clone()).or_default();
            *n += 1;
            out.insert(format!("{}/{} {}#{n}", sc.suite, sc.id, s.id), s.verdict);
        }
    }
    Ok(out)
}

/// Compares two runs: new failures first, then specs that stopped being
/// executed, then other changes. Markdown on stdout; 1 on a regression.
pub fn diff(old: &Path, new: &Path) -> u8 {
    let (a, b) = match (verdicts(old), verdicts(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return EXIT_CONFIG;
        }
    };
    let ran = |v: Option<&Verdict>| matches!(v, Some(v) if *v != Verdict::Skipped);
    let mut failures = Vec::new();
    let mut stopped = Vec::new();
    let mut changed = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (was, now) = (a.get(key), b.get(key));
        if was == now {
            continue;
        }
        let line = format!("| `{key}` | {} | {} |", word(was), word(now));
        if now == Some(&Verdict::Failed) {
            failures.push(line);
        } else if ran(was) && !ran(now) {
            stopped.push(line);
        } else {
            changed.push(line);
        }
    }
    let regression = !failures.is_empty() || !stopped.is_empty();
    out!(
        "# probity diff\n\n`{}` → `{}`\n",
        old.display(),
        new.display()
    );
    for (title, rows) in [
        ("New failures", &failures),
        ("Specs no longer executed", &stopped),
        ("Other changes", &changed),
    ] {
        if !rows.is_empty() {
            out!(
                "## {title}\n\n| spec | before | after |\n|---|---|---|\n{}\n",
                rows.join("\n")
            );
        }
    }
    if !regression && changed.is_empty() {
        out!("No verdict changed.");
    }
    if regression {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn word(v: Option<&Verdict>) -> &'static str {
    v.map_or("(absent)", |v| v.word())
}

/// A known deviation: this spec is expected to fail in this scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// `suite/scenario`.
    pub scenario: String,
    /// Spec id.
    pub spec: String,
    /// Why it is accepted.
    pub reason: String,
}

/// Reads an `--expect-failures` file.
pub fn load_expected(path: &Path) -> Result<Vec<ExpectedFailure>, ConfigError> {
    crate::yaml::parse_yaml(path)
}

/// What breaks the expectations: a failure not listed, or a listed one that
/// no longer happens (so its entry can be removed).
pub fn unexpected(known: &[ExpectedFailure], summary: &RunSummary) -> Vec<String> {
    let failing: Vec<(String, String)> = summary
        .scenarios
        .iter()
        .flat_map(|row| {
            row.problems
                .iter()
                .filter(|p| p.verdict == Verdict::Failed)
                .map(move |p| (format!("{}/{}", row.suite, row.id), p.id.clone()))
        })
        .collect();
    let listed = |sc: &str, spec: &str| known.iter().any(|k| k.scenario == sc && k.spec == spec);
    let mut out: Vec<String> = failing
        .iter()
        .filter(|(sc, spec)| !listed(sc, spec))
        .map(|(sc, spec)| format!("{sc}: `{spec}` failed and is not a known deviation"))
        .collect();
    out.extend(
        known
            .iter()
            .filter(|k| {
                !failing
                    .iter()
                    .any(|(sc, spec)| *sc == k.scenario && *spec == k.spec)
            })
            .map(|k| {
                format!(
                    "{}: `{}` no longer fails ({}); remove it from the list",
                    k.scenario, k.spec, k.reason
                )
            }),
    );
    out
}
