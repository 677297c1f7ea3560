//! The report model: raw values (verdicts, durations in milliseconds as
//! numbers, redacted exchanges), independent of any format. Markdown, HTML,
//! JSON and JUnit are each a projection of it; `report.json` is this model
//! serialized, and `probity report DIR` renders the others back from it.
//!
//! Secrets are redacted while the model is built, so every renderer sees the
//! same shareable data; escaping for a format is the renderer's job.

use crate::http::redact::Redactor;
use crate::http::Exchange;
use crate::runner::{Counts, ScenarioCounts, ScenarioResult};
use crate::specs::{SpecResult, Verdict};
use crate::steps::{Artifact, StepResult};
use serde::{Deserialize, Serialize};

/// A body: language hint and text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Block {
    /// `json`, `html` or `text`.
    pub lang: String,
    /// The (redacted) content.
    pub text: String,
}

/// One item of a scenario report, in the order it happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A request and its response.
    Exchange {
        /// Its number in the scenario, from 1: the anchor specs link to.
        n: usize,
        /// The stage.
        stage: String,
        /// Its number within the stage, from 1.
        in_stage: usize,
        /// Method.
        method: String,
        /// URL (redacted).
        url: String,
        /// Request headers (redacted).
        request_headers: Vec<(String, String)>,
        /// Request body.
        request_body: Option<Block>,
        /// Response status, if any.
        status: Option<u16>,
        /// Every response header (redacted).
        response_headers: Vec<(String, String)>,
        /// Response body.
        response_body: Option<Block>,
        /// Why there is no complete response.
        error: Option<String>,
        /// Milliseconds.
        elapsed_ms: f64,
    },
    /// Decoded claims.
    Claims {
        /// The stage.
        stage: String,
        /// e.g. "`id_token` claims".
        label: String,
        /// Pretty JSON.
        json: String,
    },
    /// A page the form driver saw, placed right after the exchange that
    /// served it and before the one that submitted its form.
    Page {
        /// The stage.
        stage: String,
        /// "Login page" / "Consent page".
        label: String,
        /// The exchange (its `n`) whose response was this page.
        exchange: usize,
        /// URL (redacted).
        url: String,
        /// Title.
        title: String,
        /// The form fields submitted: name and value, secrets masked.
        fields: Vec<(String, String)>,
        /// Text snapshot.
        text: String,
    },
    /// A PNG of a page the browser driver acted on or stopped at, written
    /// beside the report as `file`.
    Screenshot {
        /// The stage.
        stage: String,
        /// e.g. "Browser page `login`".
        label: String,
        /// URL (redacted).
        url: String,
        /// Title (redacted).
        title: String,
        /// Why it was taken, when the driver stopped there (redacted).
        note: String,
        /// The PNG's file name, relative to the report.
        file: String,
    },
    /// A remark.
    Note {
        /// The stage.
        stage: String,
        /// Text.
        text: String,
    },
}

/// One spec result, with the step and exchange that produced it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpecLine {
    /// The result.
    #[serde(flatten)]
    pub result: SpecResult,
    /// Why it did not pass (or what passed), in one line.
    pub explanation: Option<String>,
    /// The stage of the step that judged it.
    pub stage: String,
    /// Where that step is written: `file:line:col`.
    pub at: String,
    /// The last exchange of that step (its `n`), if it made one.
    pub exchange: Option<usize>,
}

/// A client a scenario acted as, for the Credentials section.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    /// The role (`default`, `jwt`, …).
    pub role: String,
    /// Its client id.
    pub client_id: String,
    /// How it authenticates.
    pub auth_method: String,
}

/// Everything shown in one scenario's report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// Suite name.
    pub suite: String,
    /// Scenario id.
    pub id: String,
    /// Test name.
    pub name: String,
    /// Feature line.
    pub feature: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// File name without extension (`suite.scenario`).
    pub file: String,
    /// The command that runs only this scenario.
    pub command: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Verdict counts.
    pub counts: Counts,
    /// Why it is SKIPPED or INCOMPLETE.
    pub not_judged: Option<String>,
    /// Milliseconds.
    pub elapsed_ms: f64,
    /// The clients it acted as.
    pub credentials: Vec<Credential>,
    /// Exchanges and artifacts in order.
    pub items: Vec<Item>,
    /// Every spec result, in step order.
    pub specs: Vec<SpecLine>,
}

impl ScenarioReport {
    /// Builds the report of one scenario; `command` runs only it, `clients`
    /// names each role's client.
    pub fn build(
        r: &ScenarioResult,
        command: String,
        redactor: &Redactor,
        clients: &[Credential],
    ) -> Self {
        // What the scenario learned (a page's password) is masked in all
        // of it, the exchanges before the page included.
        let mut learned = crate::http::redact::Learned::default();
        r.steps.iter().for_each(|s| learned.extend(&s.secrets));
        let redactor = &redactor.learning(&learned);
        let mut items = Vec::new();
        let mut specs = Vec::new();
        let mut per_stage: std::collections::HashMap<String, usize> = Default::default();
        let mut n = 0;
        let file = file_name(&r.suite, &r.id);
        let mut shots = 0;
        for step in &r.steps {
            let first = n + 1;
            for (i, ex) in step.exchanges.iter().enumerate() {
                n += 1;
                let in_stage = per_stage.entry(ex.stage.clone()).or_default();
                *in_stage += 1;
                items.push(exchange_item(ex, n, *in_stage, redactor));
                items.extend(pages_after(step, i + 1, first, redactor));
            }
            for a in step
                .artifacts
                .iter()
                .filter(|a| !placed(a, step.exchanges.len()))
            {
                items.push(match a {
                    Artifact::Screenshot {
                        label,
                        url,
                        title,
                        note,
                        ..
                    } => {
                        shots += 1;
                        Item::Screenshot {
                            stage: step.stage.clone(),
                            label: label.clone(),
                            url: redactor.url(url),
                            title: redactor.text(title),
                            note: redactor.text(note),
                            file: screenshot_file(&file, shots),
                        }
                    }
                    a => artifact_item(&step.stage, a, first, redactor),
                });
            }
            let last = (!step.exchanges.is_empty()).then_some(n);
            specs.extend(spec_lines(step, last, redactor));
        }
        let credentials = r
            .roles
            .iter()
            .filter_map(|role| clients.iter().find(|c| &c.role == role).cloned())
            .collect();
        ScenarioReport {
            suite: r.suite.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            feature: r.feature.clone(),
            description: r.description.clone(),
            file,
            command,
            started_at: r.started_at.clone(),
            verdict: r.verdict(),
            counts: r.counts(),
            not_judged: r.not_judged().map(|w| redactor.text(&w)),
            elapsed_ms: r.elapsed_ms,
            credentials,
            items,
            specs,
        }
    }

    /// The specs that did not pass, failures first: what a reader looks at.
    pub fn problems(&self) -> Vec<&SpecLine> {
        let mut out: Vec<&SpecLine> = self
            .specs
            .iter()
            .filter(|s| s.result.verdict.is_problem())
            .collect();
        out.sort_by_key(|s| s.result.verdict != Verdict::Failed);
        out
    }
}

/// Whether an artifact is shown between the step's exchanges (a page
/// served by one of them) rather than after them.
fn placed(a: &Artifact, exchanges: usize) -> bool {
    matches!(a, Artifact::Page { exchange, .. } if (1..=exchanges).contains(exchange))
}

/// The pages the step's exchange `i` (from 1) served; `first` is the
/// scenario-wide number of the step's first exchange.
fn pages_after<'a>(
    step: &'a StepResult,
    i: usize,
    first: usize,
    redactor: &'a Redactor,
) -> impl Iterator<Item = Item> + 'a {
    step.artifacts
        .iter()
        .filter(move |a| matches!(a, Artifact::Page { exchange, .. } if *exchange == i))
        .map(move |a| artifact_item(&step.stage, a, first, redactor))
}

fn spec_lines<'a>(
    step: &'a StepResult,
    exchange: Option<usize>,
    redactor: &'a Redactor,
) -> impl Iterator<Item = SpecLine> + 'a {
    step.specs.iter().map(move |s| {
        let mut result = s.clone();
        for v in [&mut result.reason, &mut result.expected, &mut result.actual]
            .into_iter()
            .flatten()
        {
            *v = redactor.text(v);
        }
        SpecLine {
            explanation: result.explanation(),
            result,
            stage: step.stage.clone(),
            at: step.location.clone(),
            exchange,
        }
    })
}

/// The `k`th (from 1) screenshot of the scenario whose report is `file`.
pub fn screenshot_file(file: &str, k: usize) -> String {
    format!("{file}.shot-{k}.png")
}

/// The PNGs of a scenario's browser pages, with the names its report
/// gives them (the order of [`ScenarioReport::build`]).
pub fn screenshots(r: &ScenarioResult) -> Vec<(String, std::sync::Arc<Vec<u8>>)> {
    let file = file_name(&r.suite, &r.id);
    r.steps
        .iter()
        .flat_map(|s| &s.artifacts)
        .filter_map(|a| match a {
            Artifact::Screenshot { png, .. } => Some(png.clone()),
            _ => None,
        })
        .enumerate()
        .map(|(i, png)| (screenshot_file(&file, i + 1), png))
        .collect()
}

/// The base file name of a scenario report (`suite.scenario`).
pub fn file_name(suite: &str, id: &str) -> String {
    format!("{}.{}", sanitize(suite), sanitize(id))
}

/// A name safe for a file: ASCII letters, digits, `-` and `_`; a long name
/// is cut and made unique again with a digest of the whole (file systems
/// refuse names over 255 bytes).
fn sanitize(s: &str) -> String {
    use sha2::Digest;
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.len() <= 64 {
        return clean;
    }
    let digest = sha2::Sha256::digest(s.as_bytes());
    let tag: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}-{tag}", clean.chars().take(55).collect::<String>())
}

fn exchange_item(ex: &Exchange, n: usize, in_stage: usize, redactor: &Redactor) -> Item {
    let request_body = ex
        .request
        .body
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| block(&redactor.body(b)));
    let (status, response_headers, response_body) = match &ex.response {
        Some(r) => (
            Some(r.status),
            r.headers
                .iter()
                .map(|(n, v)| (n.clone(), redactor.header(n, v)))
                .collect(),
            (!r.body.is_empty()).then(|| block(&redactor.body(&r.body))),
        ),
        None => (None, vec![], None),
    };
    Item::Exchange {
        n,
        stage: ex.stage.clone(),
        in_stage,
        method: ex.request.method.clone(),
        url: redactor.url(&ex.request.url),
        request_headers: ex
            .request
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.header(n, v)))
            .collect(),
        request_body,
        status,
        response_headers,
        response_body,
        error: ex.error.as_deref().map(|e| redactor.text(e)),
        elapsed_ms: ex.elapsed_ms,
    }
}

/// `first` is the scenario-wide number of the step's first exchange.
fn artifact_item(stage: &str, a: &Artifact, first: usize, redactor: &Redactor) -> Item {
    match a {
        Artifact::Claims { label, claims } => Item::Claims {
            stage: stage.to_string(),
            label: label.clone(),
            json: serde_json::to_string_pretty(&redactor.json(claims)).unwrap_or_default(),
        },
        // Numbered in [`ScenarioReport::build`], which handles them.
        Artifact::Screenshot { label, .. } => Item::Note {
            stage: stage.to_string(),
            text: redactor.text(label),
        },
        Artifact::Note { text } => Item::Note {
            stage: stage.to_string(),
            text: redactor.text(text),
        },
        Artifact::Page {
            label,
            url,
            title,
            fields,
            text,
            exchange,
        } => Item::Page {
            stage: stage.to_string(),
            label: label.clone(),
            exchange: (first + exchange).saturating_sub(1),
            url: redactor.url(url),
            title: redactor.text(title),
            fields: fields
                .iter()
                .map(|f| {
                    let value = redactor.field(&f.name, &f.value, f.secret);
                    (redactor.text(&f.name), value)
                })
                .collect(),
            text: redactor.body(text),
        },
    }
}

/// A body as a block: pretty JSON when it parses, else HTML or text.
fn block(text: &str) -> Block {
    let (lang, text) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => ("json", serde_json::to_string_pretty(&v).unwrap_or_default()),
        Err(_) if text.trim_start().starts_with('<') => ("html", text.to_string()),
        Err(_) => ("text", text.to_string()),
    };
    Block {
        lang: lang.to_string(),
        text,
    }
}

/// A spec that did not pass, kept in the summary row for the failures-first
/// panel and JUnit, so the full report can be dropped once written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    /// Spec id.
    pub id: String,
    /// Its sentence.
    pub should: String,
    /// FAILED, WARNING or REVIEW.
    pub verdict: Verdict,
    /// Clause tag.
    pub clause_tag: Option<String>,
    /// Why.
    pub explanation: Option<String>,
    /// The stage that judged it.
    pub stage: String,
    /// Where that step is written.
    pub at: String,
    /// The exchange (its `n`) to look at.
    pub exchange: Option<usize>,
}

/// One summary row: a scenario, small enough to keep for thousands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Suite.
    pub suite: String,
    /// Scenario id.
    pub id: String,
    /// Test name.
    pub name: String,
    /// Report file, without extension.
    pub file: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it is SKIPPED or INCOMPLETE.
    pub not_judged: Option<String>,
    /// Counts.
    pub counts: Counts,
    /// Milliseconds.
    pub elapsed_ms: f64,
    /// What did not pass, failures first.
    pub problems: Vec<Problem>,
}

impl SummaryRow {
    /// The row of a scenario report.
    pub fn of(r: &ScenarioReport) -> Self {
        SummaryRow {
            suite: r.suite.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            file: r.file.clone(),
            verdict: r.verdict,
            not_judged: r.not_judged.clone(),
            counts: r.counts,
            elapsed_ms: r.elapsed_ms,
            problems: r
                .problems()
                .into_iter()
                .map(|s| Problem {
                    id: s.result.id.clone(),
                    should: s.result.should.clone(),
                    verdict: s.result.verdict,
                    clause_tag: s.result.clause_tag.clone(),
                    explanation: s.explanation.clone(),
                    stage: s.stage.clone(),
                    at: s.at.clone(),
                    exchange: s.exchange,
                })
                .collect(),
        }
    }
}

/// A suite file the run read, with its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteFile {
    /// Suite name.
    pub name: String,
    /// Path as given.
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// What identifies a run: the summary's header.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// probity's version.
    pub probity_version: String,
    /// The run id (the report directory's name).
    pub run_id: String,
    /// Target name.
    pub target: String,
    /// The plans run, with their conformance profiles.
    pub plans: Vec<String>,
    /// Suite files with their SHA-256.
    pub suites: Vec<SuiteFile>,
    /// Faults switched on in the embedded bank.
    pub faults: Vec<String>,
    /// The target profile's variant (`client_auth=…, sender_constraint=…`),
    /// how every scenario that does not pin its own style ran.
    #[serde(default)]
    pub variant: String,
    /// When the run started and ended (RFC 3339).
    pub started_at: String,
    /// When the run ended.
    pub finished_at: String,
    /// `--no-redact`: secrets are shown.
    pub unredacted: bool,
    /// Set for an `insecure_http` development target: nothing is certifiable.
    pub development_notice: Option<String>,
}

/// The run summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// What identifies the run.
    pub run: RunInfo,
    /// Spec verdict totals.
    pub counts: Counts,
    /// Scenario verdict totals.
    pub scenario_counts: ScenarioCounts,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Whether the run was interrupted before every scenario ended.
    pub interrupted: bool,
    /// Scenarios planned but not finished.
    pub unfinished: Vec<String>,
    /// One row per finished scenario, in suite and scenario order.
    pub scenarios: Vec<SummaryRow>,
}

impl RunSummary {
    /// Builds the summary from the rows of the finished scenarios.
    pub fn build(run: RunInfo, mut rows: Vec<SummaryRow>, unfinished: Vec<String>) -> Self {
        rows.sort_by(|a, b| (&a.suite, &a.id).cmp(&(&b.suite, &b.id)));
        let mut counts = Counts::default();
        let mut scenario_counts = ScenarioCounts::default();
        for r in &rows {
            counts.merge(r.counts);
            scenario_counts.add(r.verdict);
        }
        let verdict = if counts.failed > 0 || !unfinished.is_empty() {
            Verdict::Failed
        } else if scenario_counts.incomplete > 0 {
            Verdict::Incomplete
        } else if counts.warnings > 0 {
            Verdict::Warning
        } else {
            Verdict::Passed
        };
        RunSummary {
            run,
            counts,
            scenario_counts,
            verdict,
            interrupted: !unfinished.is_empty(),
            unfinished,
            scenarios: rows,
        }
    }
}
