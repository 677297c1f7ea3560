//! Every scenario in `suites/` as its own test (`suite::scenario`), run
//! against the embedded bank. Uses libtest-mimic so `cargo test` and
//! `cargo nextest` list and filter them.

use libtest_mimic::{Arguments, Failed, Trial};
use probity::bank::{BankConfig, RunningBank};
use probity::http::HttpClient;
use probity::runner::{plan, run_scenario};
use probity::specs::Verdict;
use probity::suite::load_suites;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    bank: RunningBank,
    client: Arc<HttpClient>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let bank = runtime
            .block_on(RunningBank::start(BankConfig::default()))
            .expect("bank starts");
        let target = bank.target();
        let client = Arc::new(HttpClient::new(&target.tls, target.http.clone()).expect("client"));
        Fixture {
            runtime,
            bank,
            client,
        }
    })
}

fn main() {
    let args = Arguments::from_args();
    let suites_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites");
    let suites = match load_suites(&[suites_dir]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let trials = plan(&suites, &[])
        .into_iter()
        .map(|job| {
            let name = format!("{}::{}", job.suite().name, job.scenario().id.value);
            Trial::test(name, move || {
                let f = fixture();
                let target = f.bank.target();
                let result = f
                    .runtime
                    .block_on(run_scenario(&job, &target, f.client.clone()));
                let failed: Vec<String> = result
                    .specs()
                    .filter(|s| s.verdict == Verdict::Failed)
                    .map(|s| {
                        format!(
                            "{} ({}): {}",
                            s.should,
                            s.id,
                            s.explanation().unwrap_or_default()
                        )
                    })
                    .collect();
                if failed.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(failed.join("\n")))
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
