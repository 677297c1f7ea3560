//! Golden tests of what a user reads for a broken suite: every file in
//! `tests/bad_inputs/` must make `probity validate` exit 2 before any
//! request, with the message pinned in `tests/snapshots/`.

use std::process::Command;

#[test]
fn every_bad_input_is_a_located_validate_error() {
    insta::glob!("bad_inputs/*.yaml", |path| {
        let root = env!("CARGO_MANIFEST_DIR");
        let relative = path.strip_prefix(root).expect("under the crate");
        let out = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args([
                "validate",
                "--target",
                "tests/bad_inputs/target.profile.yml",
            ])
            .arg(relative)
            .current_dir(root)
            .output()
            .expect("probity runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {stderr}",
            relative.display()
        );
        assert!(
            stderr.contains(&format!("--> {}:", relative.display())),
            "no file:line:col in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        insta::assert_snapshot!(stderr);
    });
}

#[test]
fn the_bad_inputs_target_profile_itself_is_valid() {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["validate", "tests/bad_inputs/target.profile.yml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_client_role_is_checked_only_against_a_named_target() {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["validate", "tests/bad_inputs/unknown-client-role.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[tokio::test]
async fn every_shipped_suite_names_only_roles_the_embedded_bank_has() {
    let bank = probity::bank::RunningBank::start(probity::bank::BankConfig::default())
        .await
        .expect("bank starts");
    let roles = bank.target().roles();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = probity::suite::load_suites(&[root.join("suites")]).expect("suites load");
    assert!(suites.len() >= 9);
    for suite in &suites {
        if let Err(e) = probity::suite::check_roles(suite, &roles) {
            panic!("{}: {e}", suite.name);
        }
    }
    bank.shutdown();
}

#[test]
fn a_yaml_error_snippet_masks_the_secrets_on_its_lines() {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args([
            "validate",
            "tests/bad_inputs/profile-error-near-a-secret.profile.yml",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("probity runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("profile-error-near-a-secret.profile.yml:7:17"),
        "{stderr}"
    );
    assert!(stderr.contains("secret: [redacted]"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// `secret_fields` is a list of non-empty names; anything else is refused
/// where it is written.
#[test]
fn secret_fields_must_be_a_list_of_names() {
    for (file, at, message) in [
        (
            "secret-fields-empty",
            "6:22",
            "`secret_fields` lists form field or JSON member names; this one is empty",
        ),
        (
            "secret-fields-not-a-list",
            "6:16",
            "expected sequence start",
        ),
        ("secret-fields-number", "8:5", "expected string scalar"),
    ] {
        let path = format!("tests/bad_inputs/{file}.profile.yml");
        let out = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args(["validate", &path])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("probity runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(&format!("{path}:{at}")), "{file}: {stderr}");
        assert!(stderr.contains(message), "{file}: {stderr}");
    }
}
