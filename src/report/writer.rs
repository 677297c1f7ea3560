//! Writes reports as the run goes, in bounded memory: each scenario's
//! markdown and HTML when it ends, its JSON appended to `report.json`'s
//! stream, then the report is dropped and only a small summary row is kept.
//! The summary, JUnit and the end of the JSON are written once, at the end,
//! followed by one sync.

use super::model::{Credential, Item, RunInfo, RunSummary, ScenarioReport, SummaryRow};
use super::{junit, render, write_atomic, ReportError};
use crate::http::redact::Redactor;
use crate::runner::ScenarioResult;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The version of `report.json`'s layout (`schemas/report.schema.json`).
/// 2: a large string is stored once, later occurrences name it (`same_as`).
pub const SCHEMA_VERSION: u32 = 2;

/// The layouts this probity reads: 1 has no `same_as` references, so it
/// reads as 2 does.
const READABLE_VERSIONS: [u32; 2] = [1, 2];

/// Which files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// `<suite>.<scenario>.md` and `summary.md`.
    pub md: bool,
    /// The same as HTML.
    pub html: bool,
    /// `report.json`.
    pub json: bool,
    /// `junit.xml`.
    pub junit: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            md: true,
            html: true,
            json: true,
            junit: true,
        }
    }
}

impl Formats {
    /// Parses `md,html,json,junit` (any subset; empty means all).
    pub fn parse(list: &str) -> Result<Self, ReportError> {
        if list.trim().is_empty() {
            return Ok(Formats::default());
        }
        let mut f = Formats {
            md: false,
            html: false,
            json: false,
            junit: false,
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "md" => f.md = true,
                "html" => f.html = true,
                "json" => f.json = true,
                "junit" => f.junit = true,
                other => {
                    return Err(ReportError::Usage(format!(
                        "unknown report format `{other}`; choose from md, html, json, junit"
                    )))
                }
            }
        }
        Ok(f)
    }
}

/// How reports are written.
pub struct ReportOptions {
    /// Output directory.
    pub dir: PathBuf,
    /// Masks secrets.
    pub redactor: Redactor,
    /// The command line that reruns one scenario, before the suite path
    /// (e.g. `probity run`), and what follows it (e.g. `--target x.yaml`).
    pub command: (String, String),
    /// Suite name → suite file, for the rerun command.
    pub suite_files: HashMap<String, String>,
    /// Every planned scenario (`suite/scenario`).
    pub planned: Vec<String>,
    /// What identifies the run (target, plans, suites, faults, …).
    pub run: RunInfo,
    /// Each role's client, for the Credentials sections.
    pub clients: Vec<Credential>,
    /// Which files to write.
    pub formats: Formats,
    /// Signs the manifest (`--sign-key`); else a generated key.
    pub sign_key: Option<crate::target::ClientKey>,
    /// A directory of templates overriding the built-in ones.
    pub templates: Option<PathBuf>,
}

/// Renders and writes every report file.
pub struct ReportWriter {
    opts: ReportOptions,
    tera: tera::Tera,
    rows: Vec<SummaryRow>,
    json: Option<JsonStream>,
}

impl ReportWriter {
    /// Compiles the templates once and opens the JSON stream.
    pub fn new(opts: ReportOptions) -> Result<Self, ReportError> {
        let tera = render::templates(opts.templates.as_deref())?;
        std::fs::create_dir_all(&opts.dir).map_err(ReportError::write(&opts.dir))?;
        let json = if opts.formats.json {
            Some(JsonStream::open(&opts.dir, &opts.run)?)
        } else {
            None
        };
        Ok(ReportWriter {
            opts,
            tera,
            rows: Vec::new(),
            json,
        })
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.opts.dir
    }

    /// What every output says first: a development target, `--no-redact`.
    fn banners(&self) -> Vec<String> {
        let mut out: Vec<String> = self.opts.run.development_notice.iter().cloned().collect();
        if self.opts.run.unredacted {
            out.push(
                "UNREDACTED: run with --no-redact; this report shows secrets and must not be shared"
                    .into(),
            );
        }
        out
    }

    /// Writes one scenario's reports, then keeps only its summary row,
    /// which it returns (redacted, for the progress lines).
    pub fn scenario(&mut self, result: &ScenarioResult) -> Result<SummaryRow, ReportError> {
        let name = format!("{}/{}", result.suite, result.id);
        let file = self
            .opts
            .suite_files
            .get(&result.suite)
            .cloned()
            .unwrap_or_default();
        let (before, after) = &self.opts.command;
        let command = format!("{before} {file} --only {name}{after}").replace("  ", " ");
        let report =
            ScenarioReport::build(result, command, &self.opts.redactor, &self.opts.clients);
        for (name, png) in super::model::screenshots(result) {
            self.write(&name, &png)?;
        }
        self.add(&report)
    }

    /// Writes a built report (a scenario just run, or one of a shard being
    /// merged) and keeps its summary row.
    pub fn add(&mut self, report: &ScenarioReport) -> Result<SummaryRow, ReportError> {
        self.scenario_files(report)?;
        if let Some(json) = &mut self.json {
            json.push(report)?;
        }
        let row = SummaryRow::of(report);
        self.rows.push(row.clone());
        Ok(row)
    }

    /// Writes the markdown and HTML of one report (also used to re-render).
    pub fn scenario_files(&self, report: &ScenarioReport) -> Result<(), ReportError> {
        let mut ctx = tera::Context::new();
        ctx.insert("r", report);
        ctx.insert("banners", &self.banners());
        if self.opts.formats.md {
            let md = self.render("scenario.md", &ctx)?;
            self.write(&format!("{}.md", report.file), md.as_bytes())?;
        }
        if self.opts.formats.html {
            let html = self.render("scenario.html", &ctx)?;
            self.write(&format!("{}.html", report.file), html.as_bytes())?;
        }
        Ok(())
    }

    /// Writes the summary, JUnit, the end of the JSON and the signed
    /// manifest, then syncs once.
    pub fn finish(&mut self) -> Result<RunSummary, ReportError> {
        let summary = self.build_summary();
        self.summary_files(&summary)?;
        if let Some(json) = self.json.take() {
            json.finish(&self.opts.dir, &summary)?;
        }
        super::manifest::write(
            &self.opts.dir,
            &summary.run.run_id,
            self.opts.sign_key.as_ref(),
        )?;
        super::files::sync_all();
        Ok(summary)
    }

    /// Writes the summary's markdown and HTML and the JUnit file.
    fn summary_files(&self, summary: &RunSummary) -> Result<(), ReportError> {
        let mut ctx = tera::Context::new();
        ctx.insert("s", &summary);
        ctx.insert("banners", &self.banners());
        if self.opts.formats.md {
            self.write("summary.md", self.render("summary.md", &ctx)?.as_bytes())?;
        }
        if self.opts.formats.html {
            self.write(
                "summary.html",
                self.render("summary.html", &ctx)?.as_bytes(),
            )?;
        }
        if self.opts.formats.junit {
            let xml = junit::render(summary, &self.banners())?;
            self.write("junit.xml", xml.as_bytes())?;
        }
        Ok(())
    }

    /// Merges the run directories of shards into `out`: one summary,
    /// HTML, JUnit, JSON and manifest, as if the scenarios had run together.
    pub fn merge(shards: &[PathBuf], out: &Path) -> Result<RunSummary, ReportError> {
        let files: Vec<ReportFile> = shards
            .iter()
            .map(|d| read_report(d))
            .collect::<Result<_, _>>()?;
        let Some(first) = files.first() else {
            return Err(ReportError::Usage(
                "name the shard directories to merge".into(),
            ));
        };
        let mut run = first.summary.run.clone();
        run.run_id = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        run.started_at = files
            .iter()
            .map(|f| f.summary.run.started_at.clone())
            .min()
            .unwrap_or_default();
        for f in files.iter().skip(1) {
            for s in &f.summary.run.suites {
                if !run.suites.iter().any(|x| x.path == s.path) {
                    run.suites.push(s.clone());
                }
            }
        }
        let planned = files
            .iter()
            .flat_map(|f| {
                f.scenarios
                    .iter()
                    .map(|s| format!("{}/{}", s.suite, s.id))
                    .chain(f.summary.unfinished.iter().cloned())
            })
            .collect();
        let mut writer = ReportWriter::new(ReportOptions {
            dir: out.to_path_buf(),
            redactor: Redactor::disabled(),
            command: (String::new(), String::new()),
            suite_files: HashMap::new(),
            planned,
            run,
            clients: vec![],
            formats: Formats::default(),
            sign_key: None,
            templates: None,
        })?;
        for (shard, f) in shards.iter().zip(&files) {
            for report in &f.scenarios {
                copy_screenshots(shard, out, report)?;
                writer.add(report)?;
            }
        }
        writer.finish()
    }

    /// Renders markdown, HTML and JUnit again from `report.json` in `dir`
    /// (`probity report DIR`), e.g. after a template change; re-signs the
    /// manifest.
    pub fn rerender(dir: &Path, templates: Option<PathBuf>) -> Result<RunSummary, ReportError> {
        let file = read_report(dir)?;
        let writer = ReportWriter::new(ReportOptions {
            dir: dir.to_path_buf(),
            redactor: Redactor::disabled(),
            command: (String::new(), String::new()),
            suite_files: HashMap::new(),
            planned: vec![],
            run: file.summary.run.clone(),
            clients: vec![],
            formats: Formats {
                json: false,
                ..Formats::default()
            },
            sign_key: None,
            templates,
        })?;
        for report in &file.scenarios {
            writer.scenario_files(report)?;
        }
        writer.summary_files(&file.summary)?;
        super::manifest::write(dir, &file.summary.run.run_id, None)?;
        super::files::sync_all();
        Ok(file.summary)
    }

    /// The summary of what finished so far.
    pub fn build_summary(&self) -> RunSummary {
        let done: BTreeSet<String> = self
            .rows
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
        let mut run = self.opts.run.clone();
        run.finished_at = now();
        RunSummary::build(run, self.rows.clone(), unfinished)
    }

    fn render(&self, template: &str, ctx: &tera::Context) -> Result<String, ReportError> {
        self.tera
            .render(template, ctx)
            .map_err(|e| ReportError::Template(format!("cannot render {template}: {e:?}")))
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.opts.dir.join(name);
        write_atomic(&path, bytes).map_err(ReportError::write(&path))
    }
}

/// Copies the PNGs a shard's scenario report shows into the merged
/// directory under the same names, so the merged markdown and HTML (which
/// link them by name) still show them, and the merged manifest lists them.
/// A name that is not a PNG file of that very report (a `report.json`
/// edited to point elsewhere) is refused, never followed.
fn copy_screenshots(shard: &Path, out: &Path, report: &ScenarioReport) -> Result<(), ReportError> {
    for item in &report.items {
        let Item::Screenshot { file, .. } = item else {
            continue;
        };
        let own = Path::new(file).file_name() == Some(std::ffi::OsStr::new(file))
            && file.starts_with(&format!("{}.", report.file))
            && file.ends_with(".png");
        if !own {
            return Err(ReportError::NotAReport {
                path: shard.to_path_buf(),
                reason: format!(
                    "scenario {}/{} names a screenshot {file:?} that is not its own PNG",
                    report.suite, report.id
                ),
            });
        }
        let from = shard.join(file);
        let png = std::fs::read(&from).map_err(ReportError::read(&from))?;
        let to = out.join(file);
        write_atomic(&to, &png).map_err(ReportError::write(&to))?;
    }
    Ok(())
}

/// A run directory's `report.json`, read back.
#[derive(serde::Deserialize)]
struct ReportFile {
    scenarios: Vec<ScenarioReport>,
    summary: RunSummary,
}

fn read_report(dir: &Path) -> Result<ReportFile, ReportError> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(ReportError::read(&path))?;
    let not_a_report = |reason: String| ReportError::NotAReport {
        path: path.clone(),
        reason,
    };
    let mut json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_a_report(e.to_string()))?;
    let version = json
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if !READABLE_VERSIONS.iter().any(|v| u64::from(*v) == version) {
        return Err(not_a_report(format!(
            "it has schema_version {version}; this probity reads {READABLE_VERSIONS:?}"
        )));
    }
    // Large values are stored once: put them back where they are named.
    if let Some(scenarios) = json.get_mut("scenarios") {
        super::values::Resolver::default()
            .decode(scenarios)
            .map_err(not_a_report)?;
    }
    serde_json::from_value(json).map_err(|e| not_a_report(e.to_string()))
}

/// Now, as reports show it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `report.json`, written as the run goes: the header and each scenario
/// into a temporary file, the summary at the end, then renamed into place.
struct JsonStream {
    tmp: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    first: bool,
    /// The large strings already written, which later scenarios name.
    once: super::values::Once,
}

impl JsonStream {
    fn open(dir: &Path, run: &RunInfo) -> Result<Self, ReportError> {
        let tmp = dir.join(format!(".report.json.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(ReportError::write(&tmp))?;
        let mut s = JsonStream {
            tmp,
            out: std::io::BufWriter::new(file),
            first: true,
            once: Default::default(),
        };
        let head = serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "probity_version": run.probity_version,
            "run_id": run.run_id,
            "development_target": run.development_notice.is_some(),
            "development_notice": run.development_notice,
        });
        let head = head.to_string();
        let open = head.trim_end_matches('}');
        s.put(&format!("{open},\"scenarios\":[\n"))?;
        Ok(s)
    }

    fn put(&mut self, text: &str) -> Result<(), ReportError> {
        self.out
            .write_all(text.as_bytes())
            .map_err(ReportError::write("report.json"))
    }

    fn push(&mut self, report: &ScenarioReport) -> Result<(), ReportError> {
        let mut json = serde_json::to_value(report)?;
        self.once.encode(&mut json);
        let text = json.to_string();
        let sep = if self.first { "" } else { ",\n" };
        self.first = false;
        self.put(&format!("{sep}{text}"))
    }

    fn finish(mut self, dir: &Path, summary: &RunSummary) -> Result<(), ReportError> {
        let text = serde_json::to_string(summary)?;
        self.put(&format!("\n],\"summary\":{text}}}\n"))?;
        let path = dir.join("report.json");
        self.out.flush().map_err(ReportError::write(&path))?;
        std::fs::rename(&self.tmp, &path).map_err(ReportError::write(&path))
    }
}
