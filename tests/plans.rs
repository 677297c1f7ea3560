//! Plans: every shipped plan passes on the embedded bank, conformance
//! profiles decide which specs apply, and PLANS.md / SPECS.md are what the
//! commands print.

mod common;

use probity::plans::{coverage, load_plans, Conformance};
use probity::runner::{plan_under, run_scenario};
use probity::specs::Verdict;
use probity::suite::load_suites;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn probity(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn plans_md_and_specs_md_are_in_sync() {
    for (file, args) in [
        ("PLANS.md", vec!["plans", "--format", "md"]),
        ("SPECS.md", vec!["specs", "--format", "md"]),
    ] {
        let committed = std::fs::read_to_string(root().join(file)).expect(file);
        let printed = probity(&args);
        assert!(
            committed.trim_end() == printed.trim_end(),
            "{file} is stale: run `probity {} > {file}`",
            args.join(" ")
        );
    }
}

#[test]
fn the_coverage_map_lists_every_oidf_module_and_only_real_scenarios() {
    let map = coverage::load(&root().join("plans/coverage/oidf.yaml")).expect("map loads");
    let suites = load_suites(&[root().join("suites")]).expect("suites");
    assert_eq!(
        coverage::unknown_scenarios(&map, &suites),
        Vec::<String>::new()
    );
    for (id, file) in [
        ("oidcc-basic", "oidcc-basic.txt"),
        ("fapi2-security-profile", "fapi2-sp.txt"),
        ("fapi1-advanced", "fapi1-advanced.txt"),
    ] {
        // A copy of ../shared/oidf-modules (the suite's plan classes, 2026-08 snapshot).
        let names = std::fs::read_to_string(root().join("tests/fixtures/oidf-modules").join(file))
            .expect("module list");
        let want: Vec<&str> = names.lines().filter(|l| !l.trim().is_empty()).collect();
        let plan = map.plans.iter().find(|p| p.id == id).expect(id);
        let have: Vec<&str> = plan.modules.iter().map(|m| m.module.as_str()).collect();
        assert_eq!(have, want, "{id}");
    }
}

#[test]
fn every_plan_names_only_existing_scenarios_and_roles_are_described() {
    let suites = load_suites(&[root().join("suites")]).expect("suites");
    let plans = load_plans(&root().join("plans")).expect("plans load");
    assert!(plans.len() >= 7);
    for p in &plans {
        p.check(&suites).expect("selectors resolve");
    }
    assert_eq!(
        probity::plans::roles::undescribed(&suites),
        Vec::<String>::new()
    );
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    assert!(
        readme.contains(probity::plans::roles::table(&suites).trim_end()),
        "README's roles table differs from `probity plans --roles`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plan_passes_on_the_embedded_bank() {
    let suites = load_suites(&[root().join("suites")]).expect("suites");
    let plans = load_plans(&root().join("plans")).expect("plans load");
    let bank = common::bank(&[]).await;
    let target = bank.target();
    let client =
        Arc::new(probity::http::HttpClient::new(&target.tls, target.http.clone()).expect("client"));
    let mut runs = Vec::new();
    for p in &plans {
        for job in plan_under(&suites, &p.selectors(), p.conformance) {
            let (target, client, plan) = (target.clone(), client.clone(), p.id.clone());
            runs.push(async move {
                let r = run_scenario(&job, &target, client).await;
                (plan, job.name(), r)
            });
        }
    }
    let mut problems = Vec::new();
    for (plan, name, r) in futures::future::join_all(runs).await {
        if !matches!(
            r.verdict(),
            Verdict::Passed | Verdict::Warning | Verdict::Review
        ) {
            problems.push(format!(
                "{plan}: {name} is {:?}: {:?} {:?}",
                r.verdict(),
                r.not_judged(),
                common::failures(&r)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn acr_is_not_judged_under_oidc_and_fails_under_obie() {
    let bank = common::bank(&[probity::bank::Fault::IdTokenNoAcr]).await;
    let suites = load_suites(&[root().join("suites/auth-code.yaml")]).expect("suite");
    let client = Arc::new(
        probity::http::HttpClient::new(&bank.target().tls, bank.target().http.clone())
            .expect("client"),
    );
    let only = ["auth-code/signed-request-object".to_string()];
    let judged = |c: Conformance| {
        let job = plan_under(&suites, &only, c).pop().expect("job");
        let (target, client) = (bank.target(), client.clone());
        async move { run_scenario(&job, &target, client).await }
    };
    let oidc = judged(Conformance::Oidc).await;
    assert!(oidc.spec("id_token.acr_present").is_none());
    assert_eq!(
        oidc.verdict(),
        Verdict::Passed,
        "{:?}",
        common::failures(&oidc)
    );
    let obie = judged(Conformance::Obie).await;
    assert_eq!(
        common::verdict(&obie, "id_token.acr_present"),
        Verdict::Failed
    );
    let all = judged(Conformance::All).await;
    assert_eq!(
        common::verdict(&all, "id_token.acr_present"),
        Verdict::Warning
    );
}

#[test]
fn run_with_a_plan_names_it_in_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["run", "--plan", "idura", "--out"])
        .arg(dir.path())
        .current_dir(root())
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(
        summary.contains("**Plans:** idura (conformance profile idura)"),
        "{summary}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["run", "--plan", "nope"])
        .current_dir(root())
        .output()
        .expect("probity runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no plan `nope`; plans: "));
}
