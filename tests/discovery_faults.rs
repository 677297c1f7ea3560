//! Every discovery and JWKS fault of the bank makes the matching discovery
//! spec fail (or warn, for SHOULD-level specs), with a reason.

mod common;

use probity::bank::Fault::{self, *};
use probity::specs::{Severity, Verdict};

/// Fault → the spec it must break.
const MATRIX: &[(Fault, &str)] = &[
    (DiscoveryStatusError, "discovery.status_ok"),
    (DiscoveryWrongContentType, "discovery.content_type_json"),
    (DiscoveryNotJson, "discovery.json_object"),
    (DiscoveryIssuerMismatch, "discovery.issuer_matches"),
    (DiscoveryIssuerQuery, "discovery.issuer_https"),
    (
        DiscoveryNoAuthorizationEndpoint,
        "discovery.authorization_endpoint_present",
    ),
    (DiscoveryNoTokenEndpoint, "discovery.token_endpoint_present"),
    (DiscoveryNoJwksUri, "discovery.jwks_uri_present"),
    (
        DiscoveryNoResponseTypes,
        "discovery.response_types_supported_present",
    ),
    (
        DiscoveryNoSubjectTypes,
        "discovery.subject_types_supported_present",
    ),
    (DiscoveryNoIdTokenAlgs, "discovery.id_token_algs_present"),
    (DiscoveryNoRs256, "discovery.id_token_alg_rs256"),
    (DiscoveryRs256Only, "discovery.id_token_alg_fapi"),
    (DiscoveryHttpEndpoint, "discovery.endpoints_https"),
    (DiscoveryNoOpenidScope, "discovery.scopes_include_openid"),
    (DiscoveryNoCodeResponseType, "discovery.response_type_code"),
    (
        DiscoveryNoAuthCodeGrant,
        "discovery.grant_type_authorization_code",
    ),
    (DiscoverySecretAuthOnly, "discovery.token_auth_methods_fapi"),
    (DiscoveryNoPkceS256, "discovery.pkce_s256"),
    (DiscoveryPkcePlainOffered, "discovery.pkce_no_plain"),
    (DiscoveryNoIssParameter, "discovery.iss_parameter_supported"),
    (DiscoveryNoParEndpoint, "discovery.par_endpoint_present"),
    (
        DiscoveryUnknownAlgAdvertised,
        "discovery.jwks_covers_id_token_algs",
    ),
    (JwksUnreachable, "discovery.jwks_reachable"),
    (JwksEncryptionOnly, "discovery.jwks_signing_key"),
    (JwksMissingKid, "discovery.jwks_kid_present"),
    (JwksDuplicateKid, "discovery.jwks_kid_unique"),
    (JwksPrivateMaterial, "discovery.jwks_no_private_material"),
    (JwksSmallRsaKey, "discovery.jwks_rsa_2048"),
    (JwksAlgMismatch, "discovery.jwks_alg_matches_kty"),
];

#[tokio::test]
async fn every_discovery_spec_has_a_fault_and_every_fault_breaks_its_spec() {
    for spec in probity::specs::DISCOVERY {
        assert!(
            MATRIX.iter().any(|(_, id)| *id == spec.id),
            "no fault breaks {}",
            spec.id
        );
    }
    for (fault, id) in MATRIX {
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
        target: "bank".into(),
        redactor: probity::http::redact::Redactor::new(vec![]),
        command: ("probity run".into(), String::new()),
        suite_files: Default::default(),
        planned: vec!["discovery/provider-metadata".into()],
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
