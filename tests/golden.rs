//! Golden output of `probity specs`: the catalogue as users and CI see it.
//! A changed id, sentence, severity or clause tag shows as a snapshot diff
//! to review (`INSTA_UPDATE=always cargo test --test golden` rewrites it).

use std::process::Command;

/// stdout of the built `probity` binary run with `args`.
fn probity_stdout(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .output()
        .expect("runs");
    assert!(out.status.success(), "probity {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn specs_listing_is_unchanged() {
    insta::assert_snapshot!("specs", probity_stdout(&["specs"]));
}

#[test]
fn specs_lists_every_catalogue_spec_once_in_catalogue_order() {
    let listed: Vec<String> = probity_stdout(&["specs"])
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    let catalogue: Vec<&str> = probity::specs::catalogue().map(|s| s.id).collect();
    assert_eq!(listed, catalogue);
}
