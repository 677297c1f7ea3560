//! probity's standard benchmarks (divan): `cargo bench --bench probity`.
//!
//! - `flows`: full flows in process against the embedded bank, through the
//!   runner, at 1 and 2 scenarios at once (a batch of 20 flows an iteration,
//!   so divan's throughput line is flows/s). After divan's table the run
//!   prints p50 and p99 of the flows' own durations (every flow the bench ran).
//! - `render`: a synthetic run of 1,000 and 10,000 scenarios (one real flow's
//!   result under 10,000 names) through the report writer, every format and
//!   the signed manifest.
//! - `startup`: `probity --version` and `probity list` as whole processes.
//!
//! `PROBITY_BENCH_RSS=N cargo bench --bench probity` instead renders N
//! synthetic scenarios once and prints the seconds and the peak RSS of the
//! rendering alone (the bank that made the one real result is stopped and the
//! kernel's high-water mark reset first: `/proc/self/clear_refs`).
//!
//! Targets live in BENCHMARKS.md; nothing here asserts a time.

use probity::bank::{BankConfig, RunningBank};
use probity::http::HttpClient;
use probity::report::{ReportOptions, ReportWriter, RunInfo};
use probity::runner::{self, Job, RunEvent, ScenarioResult};
use probity::target::Target;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Flows an iteration of `flows`.
const BATCH: usize = 20;

/// One full flow, as in `benches/flows.sh`: discovery and JWKS, PAR with the
/// client's authentication, PKCE, login and consent pages through the form
/// driver, token, ID-token validation.
fn flow_suite(n: usize) -> String {
    let mut s = String::from("suite: flows\nscenarios:\n");
    for i in 1..=n {
        s.push_str(&format!(
            "  - id: flow-{i}\n    name: Full flow {i}\n    steps:\n      - discovery: {{}}\n      \
             - authorize: {{ client: interactive, scope: \"{{{{ target.scope }}}}\", par: true, driver: form }}\n      \
             - token: {{ client: interactive }}\n      - id_token: {{ client: interactive }}\n"
        ));
    }
    s
}

/// The embedded bank on its own runtime, shared by every bench.
struct World {
    rt: tokio::runtime::Runtime,
    bank: RunningBank,
    target: Arc<Target>,
    client: Arc<HttpClient>,
    plan: Vec<Job>,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let bank = rt
            .block_on(RunningBank::start(BankConfig::default()))
            .expect("the bank starts");
        let target = bank.target();
        let client = Arc::new(HttpClient::new(&target.tls, target.http.clone()).expect("client"));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("flows.yaml");
        std::fs::write(&path, flow_suite(BATCH)).expect("suite written");
        let suite = probity::suite::load_suite(&path).expect("suite loads");
        let plan = runner::plan(std::slice::from_ref(&suite), &[]);
        World {
            rt,
            bank,
            target: Arc::new(target),
            client,
            plan,
            _dir: dir,
        }
    })
}

/// Every flow's duration (ms) and whether it passed, by `jobs`.
static DURATIONS: Mutex<Vec<(usize, f64)>> = Mutex::new(Vec::new());
static FAILED: Mutex<usize> = Mutex::new(0);

/// Runs the batch at `jobs` at once through the runner (no report writing).
fn run_batch(w: &World, jobs: usize) {
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    w.rt.block_on(runner::run(
        w.plan.clone(),
        w.target.clone(),
        w.client.clone(),
        jobs,
        stop,
        move |e| {
            if let RunEvent::ScenarioFinished(r) = e {
                if r.verdict() == probity::specs::Verdict::Failed {
                    *FAILED.lock().expect("lock") += 1;
                }
                DURATIONS.lock().expect("lock").push((jobs, r.elapsed_ms));
            }
        },
    ));
}

#[divan::bench(args = [1, 2], sample_count = 20, sample_size = 1)]
fn flows(bencher: divan::Bencher, jobs: usize) {
    let w = world();
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .bench(|| run_batch(w, jobs));
}

/// One real flow's result, the model for the synthetic run.
fn one_result() -> ScenarioResult {
    static ONE: OnceLock<ScenarioResult> = OnceLock::new();
    ONE.get_or_init(|| {
        let w = world();
        let result = Mutex::new(None);
        let result = Arc::new(result);
        let slot = result.clone();
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        w.rt.block_on(runner::run(
            w.plan.iter().take(1).cloned().collect(),
            w.target.clone(),
            w.client.clone(),
            1,
            stop,
            move |e| {
                if let RunEvent::ScenarioFinished(r) = e {
                    *slot.lock().expect("lock") = Some((*r).clone());
                }
            },
        ));
        let taken = result.lock().expect("lock").take();
        taken.expect("the flow ran")
    })
    .clone()
}

/// An empty directory for a run, after syncing what earlier samples wrote:
/// the writer's one `sync` at the end then flushes only this run's files
/// (and whatever other processes write meanwhile).
fn fresh_dir() -> tempfile::TempDir {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    tempfile::tempdir().expect("tempdir")
}

/// Writes `n` copies of `model` (each its own scenario id) with every format
/// and the signed manifest, as `probity run` does.
fn render_into(
    dir: &std::path::Path,
    model: &ScenarioResult,
    redactor: &probity::http::redact::Redactor,
    n: usize,
) {
    let ids: Vec<String> = (1..=n).map(|i| format!("flow-{i}")).collect();
    let mut writer = ReportWriter::new(ReportOptions {
        dir: dir.to_path_buf(),
        redactor: redactor.clone(),
        command: ("probity run".into(), String::new()),
        suite_files: [("flows".to_string(), "flows.yaml".to_string())].into(),
        planned: ids.iter().map(|id| format!("flows/{id}")).collect(),
        run: RunInfo {
            target: "probity reference bank".into(),
            run_id: "bench".into(),
            ..Default::default()
        },
        clients: vec![],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .expect("writer");
    let mut r = model.clone();
    for id in ids {
        r.id = id;
        writer.scenario(&r).expect("scenario written");
    }
    writer.finish().expect("finished");
}

#[divan::bench(args = [1_000, 10_000], sample_count = 2, sample_size = 1)]
fn render_run(bencher: divan::Bencher, n: usize) {
    let model = one_result();
    let redactor = world().target.redactor();
    // The directory is made and removed outside the timing.
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .with_inputs(fresh_dir)
        .bench_local_values(|dir| {
            render_into(dir.path(), &model, &redactor, n);
            dir
        });
}

#[divan::bench(args = ["--version", "list"], sample_count = 30, sample_size = 1)]
fn startup(bencher: divan::Bencher, arg: &str) {
    let bin = env!("CARGO_BIN_EXE_probity");
    let root = env!("CARGO_MANIFEST_DIR");
    bencher.bench(|| {
        let out = std::process::Command::new(bin)
            .arg(arg)
            .current_dir(root)
            .output()
            .expect("probity runs");
        assert!(out.status.success(), "probity {arg} failed");
    });
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

/// p50 and p99 of the flows the `flows` bench ran, per `jobs`.
fn print_percentiles() {
    let all = DURATIONS.lock().expect("lock");
    if all.is_empty() {
        return;
    }
    println!("\nper flow (the runner's own elapsed_ms of every flow the bench ran):");
    println!(
        "{:>5} {:>7} {:>9} {:>9}",
        "jobs", "flows", "p50_ms", "p99_ms"
    );
    for jobs in [1, 2] {
        let mut d: Vec<f64> = all
            .iter()
            .filter(|(j, _)| *j == jobs)
            .map(|(_, ms)| *ms)
            .collect();
        if d.is_empty() {
            continue;
        }
        d.sort_by(f64::total_cmp);
        println!(
            "{jobs:>5} {:>7} {:>9.2} {:>9.2}",
            d.len(),
            percentile(&d, 0.50),
            percentile(&d, 0.99)
        );
    }
    let failed = *FAILED.lock().expect("lock");
    if failed > 0 {
        println!("warning: {failed} flows FAILED; the figures are not of full flows");
    }
}

/// `PROBITY_BENCH_RSS=N`: render N scenarios once; seconds and peak RSS.
fn rss_mode(n: usize) {
    let model = one_result();
    let redactor = world().target.redactor();
    world().bank.shutdown();
    // Drop what is no longer needed from the high-water mark: "5" resets
    // VmHWM to the current RSS (Linux 4.0+).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = vm("VmRSS:");
    let dir = fresh_dir();
    let (cpu0, t) = (cpu_seconds(), Instant::now());
    render_into(dir.path(), &model, &redactor, n);
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    let bytes: u64 = walk(dir.path());
    println!(
        "rendered {n} scenarios in {secs:.2} s ({:.0}/s, {cpu:.2} s CPU); output {:.1} MiB",
        n as f64 / secs,
        bytes as f64 / 1048576.0
    );
    println!(
        "RSS before rendering {:.1} MiB; peak while rendering (VmHWM{}) {:.1} MiB",
        before / 1024.0,
        if reset {
            ", reset before"
        } else {
            ", NOT reset: includes the bank"
        },
        vm("VmHWM:") / 1024.0
    );
}

/// User and system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: rusage is plain integers, valid when zeroed; getrusage only
    // writes into the struct it is given.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn vm(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse().ok())
        .unwrap_or(f64::NAN)
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn main() {
    if let Some(n) = std::env::var("PROBITY_BENCH_RSS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        rss_mode(n);
        return;
    }
    divan::main();
    print_percentiles();
}
