//! `probity run`: load suites and a target (or start the embedded bank),
//! run the scenarios, write the reports.

use super::serve::parse_faults;
use super::{EXIT_CONFIG, EXIT_FAILED, EXIT_OK};
use crate::bank::{BankConfig, RunningBank};
use crate::http::redact::Redactor;
use crate::http::HttpClient;
use crate::report::{create_run_dir, Formats, ReportOptions, ReportWriter, RunInfo};
use crate::runner::{self, RunEvent};
use crate::specs::Verdict;
use crate::suite::load_suites;
use crate::target::{load_target, Target};
use crate::ConfigError;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};

/// Arguments of `probity run`, parsed by clap in `main.rs` and built
/// directly by tests.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Suite files or directories (default: suites/).
    pub suites: Vec<PathBuf>,
    /// Target profile (YAML); without it the embedded bank is started.
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// Run this plan (repeatable; see `probity plans`): its scenarios, judged under its
    /// conformance profile. Default: the plans the target profile names, else every scenario.
    #[arg(long = "plan")]
    pub plans: Vec<String>,
    /// Also run the slow scenarios (a code reused after 30 s, a request_uri
    /// left to expire); their waits run concurrently with the rest.
    #[arg(long)]
    pub slow: bool,
    /// Run only this suite or suite/scenario (repeatable).
    #[arg(long)]
    pub only: Vec<String>,
    /// Scenarios run at once (default: the number of CPUs, at least 8).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write reports exactly here (default: reports/<run-id>/, linked from reports/latest).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Switch on a fault of the embedded bank (repeatable; see `probity serve --list-faults`).
    #[arg(long = "fault")]
    pub faults: Vec<String>,
    /// Show secrets in reports (they are redacted by default).
    #[arg(long)]
    pub no_redact: bool,
    /// Directory with scenario.md, summary.md, scenario.html or summary.html overriding the built-in ones.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Which reports to write: any of md, html, json, junit, comma-separated.
    #[arg(long, default_value = "md,html,json,junit")]
    pub format: String,
    /// Print only failures and the final line (for CI logs).
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard K of N (`2/5`): a stable share of the scenarios, chosen by a hash of
    /// their names, or balanced by `--shard-durations`. `probity report merge` joins the shards.
    #[arg(long)]
    pub shard: Option<String>,
    /// An earlier run's report.json: shards are balanced by its scenario durations.
    #[arg(long)]
    pub shard_durations: Option<PathBuf>,
    /// Write into a non-empty `--out` directory (its old reports are removed first).
    #[arg(long)]
    pub force: bool,
    /// Private key (PEM or JWK) that signs manifest.json; default: a fresh key,
    /// its public half written as manifest.pub.jwk.
    #[arg(long)]
    pub sign_key: Option<PathBuf>,
    /// Known deviations (YAML: `- { scenario: suite/id, spec: id, reason: … }`): the run
    /// is green when exactly these fail, red when one of them no longer does.
    #[arg(long)]
    pub expect_failures: Option<PathBuf>,
}

/// Runs the suites; returns the exit code.
pub async fn run(args: RunArgs) -> u8 {
    match run_inner(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            EXIT_CONFIG
        }
    }
}

async fn run_inner(args: RunArgs) -> Result<u8, ConfigError> {
    // Listening starts before anything slow (loading, the bank's keys), so
    // a signal during start-up stops the run instead of killing it unwritten.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(stop_on_signals(Signals::listen(), stop_tx));
    let paths = if args.suites.is_empty() {
        vec![PathBuf::from("suites")]
    } else {
        args.suites.clone()
    };
    let suites = load_suites(&paths)?;
    let (target, bank) = resolve_target(&args).await?;
    let (plan, plan_names) = select_jobs(&args, &suites, &target)?;
    // The embedded bank has every role the shipped suites use; a missing
    // one is a suite mistake. Against a user's profile a missing role
    // leaves the step's specs skipped with the role named.
    if bank.is_some() {
        for suite in &suites {
            crate::suite::check_roles(suite, &target.roles())?;
        }
    }
    if target.insecure_http() {
        eprintln!("warning: {}", crate::target::DEVELOPMENT_NOTICE);
    }
    let client = Arc::new(HttpClient::new(&target.tls, target.http.clone())?);
    let expected = match &args.expect_failures {
        Some(p) => Some(super::evidence::load_expected(p)?),
        None => None,
    };
    let sign_key = match &args.sign_key {
        Some(p) => Some(load_sign_key(p)?),
        None => None,
    };
    let dir = match &args.out {
        Some(d) => prepare_out(d, args.force)?,
        None => create_run_dir(&PathBuf::from("reports"))
            .map_err(|e| ConfigError::Other(format!("cannot create reports/: {e}")))?,
    };
    let redactor = if args.no_redact {
        Redactor::disabled()
    } else {
        target.redactor()
    };
    let formats = Formats::parse(&args.format).map_err(|e| ConfigError::Other(e.to_string()))?;
    let writer = ReportWriter::new(ReportOptions {
        dir: dir.clone(),
        redactor,
        command: (command_prefix(), command_suffix(&args)),
        suite_files: suites
            .iter()
            .map(|s| (s.name.clone(), s.path.display().to_string()))
            .collect(),
        planned: plan.iter().map(|j| j.name()).collect(),
        run: run_info(&args, &dir, &target, &suites, plan_names),
        clients: credentials(&target),
        formats,
        sign_key,
        templates: args.templates.clone(),
    })
    .map_err(|e| ConfigError::Other(e.to_string()))?;
    // The jobs share their own copy of each suite; this one is no longer needed.
    drop(suites);
    // Scenarios mostly wait on the target (polling, status progressions),
    // so more run at once than there are CPUs.
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(8)
    });
    // A bounded queue: when the reports are slower to write than the
    // scenarios to run, the runner waits instead of piling results up.
    let (tx, rx) = mpsc::sync_channel::<RunEvent>(jobs.saturating_mul(2).max(4));
    let quiet = args.quiet;
    let reporter = std::thread::spawn(move || report_events(writer, rx, quiet));
    let tx = Mutex::new(tx);
    runner::run(
        plan,
        Arc::new(target),
        client,
        jobs,
        stop_rx.clone(),
        move |e| {
            let send = || {
                let _ = tx.lock().map(|t| t.send(e));
            };
            // The send may wait for the writer: on a multi-threaded runtime
            // the worker hands its other tasks on first; a current-thread
            // runtime (a library caller's test) simply waits.
            let flavor = tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor());
            match flavor {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(send),
                _ => send(),
            }
        },
    )
    .await;
    let interrupted = *stop_rx.borrow();
    let summary = reporter
        .join()
        .unwrap_or(Err("the report writer panicked".into()))
        .map_err(ConfigError::Other)?;
    eprintln!("reports: {}", dir.display());
    let failed = match &expected {
        Some(known) => {
            let problems = super::evidence::unexpected(known, &summary);
            for p in &problems {
                eprintln!("expected failures: {p}");
            }
            !problems.is_empty()
        }
        None => summary.verdict == Verdict::Failed,
    };
    Ok(if interrupted {
        eprintln!("interrupted: the reports hold what finished");
        130
    } else if failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// The first SIGINT or SIGTERM asks the runner to stop (no new scenario;
/// the running ones get a short grace, then are cancelled; the reports are
/// written); a second one exits at once.
async fn stop_on_signals(mut signals: Signals, stop: tokio::sync::watch::Sender<bool>) {
    signals.next().await;
    eprintln!(
        "interrupted: no new scenario starts; running ones get {} s, then the reports are written \
         (interrupt again to quit now)",
        runner::STOP_GRACE.as_secs()
    );
    let _ = stop.send(true);
    signals.next().await;
    eprintln!("interrupted twice: quitting without finishing the reports");
    // Exiting runs no destructors: the run's browser would outlive it.
    crate::steps::kill_browsers_now();
    std::process::exit(130);
}

/// SIGINT (Ctrl-C) and SIGTERM, registered when made: from then on
/// neither kills the process, each is waited for with [`Signals::next`].
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Waits for the next SIGINT or SIGTERM.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.interrupt) => {}
                _ = recv(&mut self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The `--out` directory: created, or emptied of an earlier run's reports
/// with `--force`; a non-empty one is refused, so no run is ever mixed.
fn prepare_out(dir: &std::path::Path, force: bool) -> Result<PathBuf, ConfigError> {
    let entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(e) => e.flatten().collect(),
        Err(_) => vec![],
    };
    if !entries.is_empty() && !force {
        return Err(ConfigError::Other(format!(
            "--out {} is not empty; choose an empty directory or add --force to replace its reports",
            dir.display()
        )));
    }
    for e in entries {
        let p = e.path();
        let removed = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        removed
            .map_err(|err| ConfigError::Other(format!("cannot remove {}: {err}", p.display())))?;
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ConfigError::Other(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.to_path_buf())
}

/// The manifest's signing key, checked before the run starts.
fn load_sign_key(path: &std::path::Path) -> Result<crate::target::ClientKey, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::Other(format!("cannot read --sign-key {}: {e}", path.display()))
    })?;
    crate::target::parse_client_key(&text, None, None)
        .map_err(|e| ConfigError::Other(format!("--sign-key {}: {e}", path.display())))
}

/// The embedded bank (with faults) or the target profile given.
async fn resolve_target(args: &RunArgs) -> Result<(Target, Option<RunningBank>), ConfigError> {
    match &args.target {
        Some(path) => {
            if !args.faults.is_empty() {
                return Err(ConfigError::Other(
                    "--fault applies to the embedded bank only; drop --target or --fault".into(),
                ));
            }
            Ok((load_target(path)?, None))
        }
        None => {
            let faults = parse_faults(&args.faults).map_err(ConfigError::Other)?;
            let bank = RunningBank::start(BankConfig {
                faults,
                ..BankConfig::default()
            })
            .await
            .map_err(|e| ConfigError::Other(format!("cannot start the embedded bank: {e}")))?;
            Ok((bank.target(), Some(bank)))
        }
    }
}

/// The scenarios to run: those of the plans asked for (`--plan`, else the
/// profile's `plans:` when no suite is named), each judged under its plan's
/// conformance profile, else every scenario; `--only` narrows either. A
/// scenario two plans select runs once, under the first.
fn select_jobs(
    args: &RunArgs,
    suites: &[crate::suite::Suite],
    target: &Target,
) -> Result<(Vec<runner::Job>, Vec<String>), ConfigError> {
    let names = if !args.plans.is_empty() || !args.suites.is_empty() {
        args.plans.clone()
    } else {
        target.plans.clone()
    };
    let mut jobs: Vec<runner::Job> = Vec::new();
    let mut shown = Vec::new();
    if names.is_empty() {
        jobs = runner::plan_with(suites, &args.only, Default::default(), args.slow);
    } else {
        let plans = crate::plans::load_plans(&PathBuf::from("plans"))?;
        for name in &names {
            let plan = crate::plans::find(&plans, name)?;
            plan.check(suites)?;
            if target.variant.declared {
                plan.conformance
                    .check_variant(&target.variant, target.client.auth_method)
                    .map_err(|why| {
                        ConfigError::Other(format!(
                            "the profile's `variant:` ({}) cannot run plan `{}`: {why}",
                            target.variant.describe(&target.client),
                            plan.id
                        ))
                    })?;
            }
            shown.push(format!(
                "{} (conformance profile {})",
                plan.id, plan.conformance
            ));
            for job in runner::plan_with(suites, &plan.selectors(), plan.conformance, true) {
                let named = args.only.contains(&job.name());
                let wanted = (args.only.is_empty()
                    || named
                    || args.only.iter().any(|o| o == &job.suite().name))
                    && (!job.scenario().slow || args.slow || named);
                if wanted && !jobs.iter().any(|j| j.name() == job.name()) {
                    jobs.push(job);
                }
            }
        }
    }
    if let Some(spec) = &args.shard {
        let durations = match &args.shard_durations {
            Some(p) => super::shard::durations(p)?,
            None => Default::default(),
        };
        jobs = super::shard::select(jobs, spec, &durations)?;
        if jobs.is_empty() {
            return Ok((jobs, shown));
        }
    }
    if jobs.is_empty() {
        let all: Vec<String> = runner::plan(suites, &[]).iter().map(|j| j.name()).collect();
        return Err(ConfigError::Other(format!(
            "no scenario matches {:?}{}; available: {}",
            args.only,
            if names.is_empty() {
                String::new()
            } else {
                format!(" in plans {names:?}")
            },
            all.join(", ")
        )));
    }
    Ok((jobs, shown))
}

/// What identifies the run in every summary.
fn run_info(
    args: &RunArgs,
    dir: &std::path::Path,
    target: &Target,
    suites: &[crate::suite::Suite],
    plans: Vec<String>,
) -> RunInfo {
    use sha2::Digest;
    let suites = suites
        .iter()
        .map(|s| crate::report::model::SuiteFile {
            name: s.name.clone(),
            path: s.path.display().to_string(),
            sha256: std::fs::read(&s.path)
                .map(|b| hex(&sha2::Sha256::digest(&b)))
                .unwrap_or_default(),
        })
        .collect();
    RunInfo {
        probity_version: env!("CARGO_PKG_VERSION").into(),
        run_id: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        target: target.name.clone(),
        plans,
        suites,
        faults: args.faults.clone(),
        variant: target.variant.describe(&target.client),
        started_at: crate::report::now(),
        finished_at: String::new(),
        unredacted: args.no_redact,
        // An `insecure_http` development target: every output says first
        // that nothing here is certifiable.
        development_notice: target
            .insecure_http()
            .then(|| crate::target::DEVELOPMENT_NOTICE.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each role's client, for the reports' Credentials sections.
fn credentials(target: &Target) -> Vec<crate::report::Credential> {
    std::iter::once(("default".to_string(), &target.client))
        .chain(target.clients.iter().map(|(k, c)| (k.clone(), c)))
        .map(|(role, c)| crate::report::Credential {
            role,
            client_id: c.id.clone(),
            auth_method: serde_json::to_value(c.auth_method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| format!("{:?}", c.auth_method)),
        })
        .collect()
}

fn command_prefix() -> String {
    "probity run".into()
}

fn command_suffix(args: &RunArgs) -> String {
    let mut s = String::new();
    if let Some(t) = &args.target {
        s.push_str(&format!(" --target {}", t.display()));
    }
    for f in &args.faults {
        s.push_str(&format!(" --fault {f}"));
    }
    s
}

/// Consumes runner events on a plain thread (file I/O stays off the async
/// runtime): progress lines on stderr, reports on disk.
fn report_events(
    mut writer: ReportWriter,
    rx: mpsc::Receiver<RunEvent>,
    quiet: bool,
) -> Result<crate::report::RunSummary, String> {
    let mut progress = super::progress::Progress::new(quiet);
    loop {
        let event = match rx.recv_timeout(progress.tick_every()) {
            Ok(e) => e,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                progress.refresh();
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        match event {
            RunEvent::RunStarted { total } => progress.started(total),
            RunEvent::ScenarioStarted { name } => progress.scenario_started(name),
            RunEvent::ScenarioFinished(r) => {
                let row = writer.scenario(&r)?;
                progress.scenario_finished(&row);
            }
            RunEvent::RunFinished => break,
        }
    }
    progress.finish();
    let summary = writer.finish()?;
    let c = summary.counts;
    let sc = summary.scenario_counts;
    out!(
        "{} {}: {} passed, {} failed, {} warnings, {} to review, {} skipped across {} scenarios \
         ({} passed, {} failed, {} skipped, {} incomplete)",
        summary.verdict.icon(),
        summary.verdict.word(),
        c.passed,
        c.failed,
        c.warnings,
        c.review,
        c.skipped,
        summary.scenarios.len(),
        sc.passed,
        sc.failed,
        sc.skipped,
        sc.incomplete
    );
    Ok(summary)
}
