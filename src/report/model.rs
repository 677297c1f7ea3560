//! The report data model: a redacted projection of the run's results.

use crate::http::redact::Redactor;
use crate::http::Exchange;
use crate::runner::{Counts, ScenarioCounts, ScenarioResult};
use crate::specs::{SpecResult, Verdict};
use crate::steps::Artifact;
use serde::Serialize;

/// A fenced block: language hint and text.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    /// `json`, `html` or `text`.
    pub lang: &'static str,
    /// The (redacted) content.
    pub text: String,
}

/// One item of a scenario report, in the order it happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A request and its response.
    Exchange {
        /// "Stage - N Request".
        title: String,
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
        /// Response headers worth showing (redacted).
        response_headers: Vec<(String, String)>,
        /// Response body.
        response_body: Option<Block>,
        /// Transport error.
        error: Option<String>,
        /// Milliseconds.
        elapsed_ms: String,
    },
    /// Decoded claims.
    Claims {
        /// "Stage - Claims Result".
        title: String,
        /// e.g. "`id_token` claims".
        label: String,
        /// Pretty JSON.
        json: String,
    },
    /// A page the form driver saw.
    Page {
        /// "Login page" / "Consent page".
        label: String,
        /// URL (redacted).
        url: String,
        /// Title.
        title: String,
        /// Form field names.
        fields: Vec<String>,
        /// Text snapshot.
        text: String,
    },
    /// A remark.
    Note {
        /// Stage.
        title: String,
        /// Text.
        text: String,
    },
}

/// A spec line in a report.
#[derive(Debug, Clone, Serialize)]
pub struct SpecLine {
    /// Glyph for the verdict.
    pub icon: &'static str,
    /// The result.
    #[serde(flatten)]
    pub result: SpecResult,
    /// Why it did not pass, in one line.
    pub explanation: Option<String>,
    /// Where the step that judged it is written: `file:line:col`.
    pub at: String,
}

/// Everything shown in one scenario's report.
#[derive(Debug, Clone, Serialize)]
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
    /// Report file name (markdown).
    pub file: String,
    /// The command that runs only this scenario.
    pub command: String,
    /// Generation time.
    pub generated_at: String,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Glyph of the verdict.
    pub icon: &'static str,
    /// Verdict counts.
    pub counts: Counts,
    /// Why it is SKIPPED or INCOMPLETE.
    pub not_judged: Option<String>,
    /// Milliseconds.
    pub elapsed_ms: String,
    /// Exchanges and artifacts in order.
    pub items: Vec<Item>,
    /// Every spec result.
    pub specs: Vec<SpecLine>,
    /// Set for an `insecure_http` development target: the results are not
    /// certifiable ([`crate::target::DEVELOPMENT_NOTICE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development_notice: Option<String>,
}

/// The run summary.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// An `insecure_http` development target: nothing here is certifiable.
    /// Absent from JSON for ordinary targets.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub development_target: bool,
    /// What the outputs say first about such a target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development_notice: Option<String>,
    /// Target name.
    pub target: String,
    /// The plans run, with their conformance profiles (none: every scenario
    /// at catalogue severity).
    pub plans: Vec<String>,
    /// Generation time.
    pub generated_at: String,
    /// Totals.
    pub counts: Counts,
    /// Scenario verdict totals.
    pub scenario_counts: ScenarioCounts,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Glyph.
    pub icon: &'static str,
    /// Whether the run was interrupted before every scenario ended.
    pub interrupted: bool,
    /// Scenarios planned but not finished.
    pub unfinished: Vec<String>,
    /// One row per finished scenario.
    pub scenarios: Vec<SummaryRow>,
}

/// One summary row.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// Suite.
    pub suite: String,
    /// Scenario id.
    pub id: String,
    /// Test name.
    pub name: String,
    /// Report file.
    pub file: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it is SKIPPED or INCOMPLETE.
    pub not_judged: Option<String>,
    /// Glyph.
    pub icon: &'static str,
    /// Counts.
    pub counts: Counts,
    /// Milliseconds.
    pub elapsed_ms: String,
}

/// The markdown file name of a scenario report.
pub fn file_name(suite: &str, id: &str) -> String {
    format!("{}.{}.md", sanitize(suite), sanitize(id))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn now() -> String {
    chrono::Utc::now().to_rfc2822()
}

impl ScenarioReport {
    /// Builds the report of one scenario; `command` runs only it.
    pub fn build(r: &ScenarioResult, command: String, redactor: &Redactor) -> Self {
        let counts = r.counts();
        let verdict = r.verdict();
        let mut items = Vec::new();
        let mut per_stage: std::collections::HashMap<String, usize> = Default::default();
        for step in &r.steps {
            for ex in &step.exchanges {
                let n = per_stage.entry(ex.stage.clone()).or_default();
                *n += 1;
                items.push(exchange_item(ex, *n, redactor));
            }
            for a in &step.artifacts {
                items.push(artifact_item(&step.stage, a, redactor));
            }
        }
        let specs = r
            .steps
            .iter()
            .flat_map(|step| step.specs.iter().map(move |s| (step, s)))
            .map(|(step, s)| SpecLine {
                icon: s.verdict.icon(),
                explanation: s.explanation(),
                result: s.clone(),
                at: step.location.clone(),
            })
            .collect();
        ScenarioReport {
            suite: r.suite.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            feature: r.feature.clone(),
            description: r.description.clone(),
            file: file_name(&r.suite, &r.id),
            command,
            generated_at: now(),
            verdict,
            icon: verdict.icon(),
            counts,
            not_judged: r.not_judged(),
            elapsed_ms: format!("{:.1}", r.elapsed_ms),
            items,
            specs,
            development_notice: None,
        }
    }
}

/// Headers of a response shown in reports: the ones that carry meaning for
/// the specs, not transport noise.
const SHOWN_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "location",
    "www-authenticate",
    "cache-control",
    "x-jws-signature",
    "x-fapi-interaction-id",
    "set-cookie",
    "retry-after",
];

fn exchange_item(ex: &Exchange, n: usize, redactor: &Redactor) -> Item {
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
                .filter(|(n, _)| SHOWN_RESPONSE_HEADERS.contains(&n.as_str()))
                .map(|(n, v)| (n.clone(), redactor.header(n, v)))
                .collect(),
            (!r.body.is_empty()).then(|| block(&redactor.body(&r.body))),
        ),
        None => (None, vec![], None),
    };
    Item::Exchange {
        title: format!("{} - {n} Request", ex.stage),
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
        error: ex.error.clone(),
        elapsed_ms: format!("{:.1}", ex.elapsed_ms),
    }
}

fn artifact_item(stage: &str, a: &Artifact, redactor: &Redactor) -> Item {
    match a {
        Artifact::Claims { label, claims } => Item::Claims {
            title: format!("{stage} - Claims Result"),
            label: label.clone(),
            json: serde_json::to_string_pretty(&redactor.json(claims)).unwrap_or_default(),
        },
        Artifact::Note { text } => Item::Note {
            title: stage.to_string(),
            text: text.clone(),
        },
        Artifact::Page {
            label,
            url,
            title,
            fields,
            text,
        } => Item::Page {
            label: label.clone(),
            url: redactor.url(url),
            title: title.clone(),
            fields: fields.clone(),
            text: redactor.body(text),
        },
    }
}

/// A body as a block: pretty JSON when it parses, else HTML or text. Fences
/// inside the text are broken up so the markdown stays well-formed.
fn block(text: &str) -> Block {
    let trimmed = text.trim_start();
    let lang = if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        "json"
    } else if trimmed.starts_with('<') {
        "html"
    } else {
        "text"
    };
    let text = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => text.to_string(),
    };
    Block {
        lang,
        text: text.replace("```", "`\u{200b}``"),
    }
}

impl RunSummary {
    /// Builds the summary from the finished scenarios.
    pub fn build(target: &str, reports: &[ScenarioReport], unfinished: Vec<String>) -> Self {
        let mut counts = Counts::default();
        let mut scenario_counts = ScenarioCounts::default();
        let scenarios: Vec<SummaryRow> = reports
            .iter()
            .map(|r| {
                counts.merge(r.counts);
                scenario_counts.add(r.verdict);
                SummaryRow {
                    suite: r.suite.clone(),
                    id: r.id.clone(),
                    name: r.name.clone(),
                    file: r.file.clone(),
                    verdict: r.verdict,
                    not_judged: r.not_judged.clone(),
                    icon: r.icon,
                    counts: r.counts,
                    elapsed_ms: r.elapsed_ms.clone(),
                }
            })
            .collect();
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
            development_target: false,
            development_notice: None,
            target: target.to_string(),
            plans: vec![],
            generated_at: now(),
            counts,
            scenario_counts,
            verdict,
            icon: verdict.icon(),
            interrupted: !unfinished.is_empty(),
            unfinished,
            scenarios,
        }
    }
}
