//! Writes reports as the run goes: each scenario's markdown and HTML when it
//! ends, the summary after every scenario (so an interrupted run still has
//! one), JUnit and JSON at the end.

use super::model::{RunSummary, ScenarioReport};
use super::{junit, write_atomic};
use crate::http::redact::Redactor;
use crate::runner::ScenarioResult;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const SCENARIO_TEMPLATE: &str = include_str!("../../templates/scenario.md");
const SUMMARY_TEMPLATE: &str = include_str!("../../templates/summary.md");

/// How reports are written.
pub struct ReportOptions {
    /// Output directory.
    pub dir: PathBuf,
    /// Target name shown in the summary.
    pub target: String,
    /// Masks secrets.
    pub redactor: Redactor,
    /// The command line that reruns one scenario, before the suite path
    /// (e.g. `probity run`), and what follows it (e.g. `--target x.yaml`).
    pub command: (String, String),
    /// Suite name → suite file, for the rerun command.
    pub suite_files: HashMap<String, String>,
    /// Every planned scenario (`suite/scenario`).
    pub planned: Vec<String>,
    /// The plans run, with their conformance profiles, for the summary.
    pub plans: Vec<String>,
    /// A directory of templates overriding the built-in ones.
    pub templates: Option<PathBuf>,
}

/// Renders and writes every report file.
pub struct ReportWriter {
    opts: ReportOptions,
    tera: tera::Tera,
    reports: Vec<ScenarioReport>,
    development_notice: Option<String>,
}

impl ReportWriter {
    /// Compiles the templates once.
    pub fn new(opts: ReportOptions) -> Result<Self, String> {
        let mut tera = tera::Tera::default();
        let (scenario, summary) = match &opts.templates {
            Some(dir) => (read(dir, "scenario.md")?, read(dir, "summary.md")?),
            None => (SCENARIO_TEMPLATE.to_string(), SUMMARY_TEMPLATE.to_string()),
        };
        tera.add_raw_templates([("scenario.md", scenario), ("summary.md", summary)])
            .map_err(|e| format!("report template error: {e:?}"))?;
        Ok(ReportWriter {
            opts,
            tera,
            reports: Vec::new(),
            development_notice: None,
        })
    }

    /// Marks every output as from an `insecure_http` development target:
    /// the summary, each scenario report, JSON and JUnit say first that the
    /// results are not certifiable.
    pub fn development_target(mut self) -> Self {
        self.development_notice = Some(crate::target::DEVELOPMENT_NOTICE.to_string());
        self
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.opts.dir
    }

    /// Writes one scenario's report and refreshes the summary.
    pub fn scenario(&mut self, result: &ScenarioResult) -> Result<(), String> {
        let name = format!("{}/{}", result.suite, result.id);
        let file = self
            .opts
            .suite_files
            .get(&result.suite)
            .cloned()
            .unwrap_or_default();
        let (before, after) = &self.opts.command;
        let command = format!("{before} {file} --only {name}{after}").replace("  ", " ");
        let mut report = ScenarioReport::build(result, command, &self.opts.redactor);
        report.development_notice = self.development_notice.clone();
        let markdown = self.render("scenario.md", "r", &report)?;
        self.write(&report.file, markdown.as_bytes())?;
        self.write(
            &report.file.replace(".md", ".html"),
            html(&report.name, &markdown).as_bytes(),
        )?;
        self.reports.push(report);
        self.summary()
    }

    /// Writes the summary, JUnit and JSON files.
    pub fn finish(&mut self) -> Result<(), String> {
        self.summary()?;
        self.reports
            .sort_by(|a, b| (&a.suite, &a.id).cmp(&(&b.suite, &b.id)));
        self.write(
            "junit.xml",
            junit::render(&self.reports, self.development_notice.as_deref())?.as_bytes(),
        )?;
        let mut json = serde_json::Map::new();
        if let Some(notice) = &self.development_notice {
            json.insert("development_target".into(), true.into());
            json.insert("development_notice".into(), notice.as_str().into());
        }
        json.insert("summary".into(), serde_json::json!(self.build_summary()));
        json.insert("scenarios".into(), serde_json::json!(self.reports));
        self.write(
            "report.json",
            serde_json::to_string_pretty(&json)
                .unwrap_or_default()
                .as_bytes(),
        )
    }

    /// The summary of what finished so far.
    pub fn build_summary(&self) -> RunSummary {
        let done: BTreeSet<String> = self
            .reports
            .iter()
            .map(|r| format!("{}/{}", r.suite, r.id))
            .collect();
        let unfinished = self
            .opts
            .planned
            .iter()
            .filter(|p| !done.contains(*p))
            .cloned()
            .collect();
        let mut reports = self.reports.clone();
        reports.sort_by(|a, b| (&a.suite, &a.id).cmp(&(&b.suite, &b.id)));
        let mut summary = RunSummary::build(&self.opts.target, &reports, unfinished);
        summary.plans = self.opts.plans.clone();
        summary.development_target = self.development_notice.is_some();
        summary.development_notice = self.development_notice.clone();
        summary
    }

    fn summary(&self) -> Result<(), String> {
        let markdown = self.render("summary.md", "s", &self.build_summary())?;
        self.write("summary.md", markdown.as_bytes())?;
        self.write(
            "summary.html",
            html("probity summary", &markdown).as_bytes(),
        )
    }

    fn render(
        &self,
        template: &str,
        key: &str,
        value: &impl serde::Serialize,
    ) -> Result<String, String> {
        let mut ctx = tera::Context::new();
        ctx.insert(key, value);
        self.tera
            .render(template, &ctx)
            .map_err(|e| format!("cannot render {template}: {e:?}"))
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.opts.dir.join(name);
        write_atomic(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    let p = dir.join(name);
    std::fs::read_to_string(&p).map_err(|e| format!("cannot read template {}: {e}", p.display()))
}

/// Markdown → a standalone HTML page; links to `.md` reports become `.html`.
fn html(title: &str, markdown: &str) -> String {
    use pulldown_cmark::{html::push_html, CowStr, Event, Options, Parser, Tag};
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if dest_url.ends_with(".md") => {
            let dest = CowStr::from(format!("{}.html", dest_url.trim_end_matches(".md")));
            Event::Start(Tag::Link {
                link_type,
                dest_url: dest,
                title,
                id,
            })
        }
        other => other,
    });
    let mut body = String::new();
    push_html(&mut body, parser);
    let title = title.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>{}</style></head>\n<body>\n{body}</body></html>\n",
        "body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}pre{background:#f5f5f5;padding:.8em;overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
    )
}
