//! Every discovery and JWKS fault of the bank makes the matching discovery
//! spec fail (or warn, for SHOULD-level specs), with a reason.

mod common;

use probity::bank::Fault::DiscoveryIssuerMismatch;
use probity::specs::{Severity, Verdict};

#[tokio::test]
async fn every_discovery_spec_has_a_fault_and_every_fault_breaks_its_spec() {
    for spec in probity::specs::DISCOVERY {
        assert!(
            common::DISCOVERY_MATRIX
                .iter()
                .any(|(_, id)| *id == spec.id),
            "no fault breaks {}",
            spec.id
        );
    }
    for (fault, id) in common::DISCOVERY_MATRIX {
        let bank = common::bank(&[*fault]).await;
        let r = common::run(&bank.target(), "discovery.yaml", "provider-metadata").await;
        let spec = probity::specs::find(id).expect("catalogue spec");
        let want = if spec.severity == Severity::Failure {
            Verdict::Failed
        } else {
            Verdict::Warning
        };
        let got = r.spec(id).expect("judged");
        assert_eq!(
            got.verdict,
            want,
            "fault {} should break {id}; results: {:#?}",
            fault.name(),
            common::failures(&r)
        );
        assert!(
            got.explanation().is_some(),
            "{id} under {} fails without a reason",
            fault.name()
        );
    }
}

#[tokio::test]
async fn a_conformant_bank_passes_every_discovery_spec() {
    let bank = common::bank(&[]).await;
    let r = common::run(&bank.target(), "discovery.yaml", "provider-metadata").await;
    assert_eq!(common::failures(&r), Vec::<String>::new());
    assert_eq!(r.counts().passed, probity::specs::DISCOVERY.len());
}

#[tokio::test]
async fn issuer_mismatch_reports_expected_and_actual_values() {
    let bank = common::bank(&[DiscoveryIssuerMismatch]).await;
    let r = common::run(&bank.target(), "discovery.yaml", "provider-metadata").await;
    let spec = r.spec("discovery.issuer_matches").unwrap();
    assert_eq!(spec.verdict, Verdict::Failed);
    assert_eq!(spec.expected.as_deref(), Some(bank.issuer.as_str()));
    assert_eq!(spec.actual, Some(format!("{}/other-tenant", bank.issuer)));

    let dir = tempfile::tempdir().unwrap();
    let mut writer = probity::report::ReportWriter::new(probity::report::ReportOptions {
        dir: dir.path().to_path_buf(),
        redactor: probity::http::redact::Redactor::new(vec![]),
        command: ("probity run".into(), String::new()),
        suite_files: Default::default(),
        planned: vec!["discovery/provider-metadata".into()],
        run: probity::report::RunInfo {
            target: "test target".into(),
            ..Default::default()
        },
        clients: vec![],
        formats: Default::default(),
        sign_key: None,
        templates: None,
    })
    .unwrap();
    writer.scenario(&r).unwrap();
    writer.finish().unwrap();
    let md = std::fs::read_to_string(dir.path().join("discovery.provider-metadata.md")).unwrap();
    let line = md
        .lines()
        .find(|l| l.contains("discovery.issuer_matches"))
        .expect("spec line");
    assert!(line.starts_with("* ❌"), "{line}");
    assert!(
        line.contains(&format!("expected {}", bank.issuer)) && line.contains("/other-tenant"),
        "{line}"
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("❌") && summary.contains("discovery.provider-metadata.md"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_faulty_bank_fails_the_main_job_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let code = probity::commands::run(probity::commands::RunArgs {
        suites: vec![
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/discovery.yaml")
        ],
        out: Some(dir.path().to_path_buf()),
        faults: vec!["discovery.issuer_mismatch".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(code, 1);
    assert!(dir.path().join("summary.md").exists());
}
