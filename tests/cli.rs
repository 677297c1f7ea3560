//! The `probity` binary as a user meets it: exit codes and error messages.

use std::path::Path;
use std::process::Command;

fn probity(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

const TYPO: &str = "suite: broken\nscenarios:\n  - id: one\n    name: One\n    steps:\n      - discovery:\n          stge: Discovery\n";
const WRONG_TYPE: &str = "suite: broken\nscenarios:\n  - id: one\n    name: One\n    steps:\n      - request:\n          url: https://x\n          expect:\n            status: two hundred\n";

#[test]
fn a_suite_typo_exits_2_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "typo.yaml", TYPO);
    for cmd in [vec!["validate", f.as_str()], vec!["run", f.as_str()]] {
        let (code, _, err) = probity(&cmd, dir.path());
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(err.contains("typo.yaml:7:11"), "{err}");
        assert!(
            err.contains("unknown field `stge`, expected one of stage, url"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_wrong_type_exits_2_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "type.yaml", WRONG_TYPE);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("type.yaml:9:21"), "{err}");
}

#[test]
fn semantic_errors_are_located_too() {
    let dir = tempfile::tempdir().unwrap();
    let dup = "scenarios:\n  - id: a\n    name: A\n    steps: []\n  - id: a\n    name: B\n    steps: []\n";
    let f = write(dir.path(), "dup.yaml", dup);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("duplicate scenario id `a`") && err.contains("dup.yaml:5:9"),
        "{err}"
    );
    let bad_path = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - request:\n          url: https://x\n          capture:\n            v: \"$.[[[\"\n";
    let f = write(dir.path(), "path.yaml", bad_path);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid JSONPath") && err.contains("path.yaml:8:16"),
        "{err}"
    );
}

#[test]
fn a_target_profile_with_unknown_keys_or_missing_env_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "t.yaml", "issuer: https://as.example\nclient:\n  id: x\n  auth_method: client_secret_basic\n  secrit: y\n");
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("t.yaml:5:3") && err.contains("unknown field `secrit`"),
        "{err}"
    );
    let f = write(dir.path(), "e.yaml", "issuer: https://as.example\nclient:\n  id: x\n  auth_method: client_secret_basic\n  secret: ${env:PROBITY_TEST_UNSET_VAR}\n");
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("`PROBITY_TEST_UNSET_VAR` is not set") && err.contains("e.yaml:5:11"),
        "{err}"
    );
}

#[test]
fn the_main_job_writes_reports_and_latest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("suites")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/discovery.yaml");
    std::fs::copy(src, dir.path().join("suites/discovery.yaml")).unwrap();
    let (code, out, err) = probity(&["run"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let latest = dir.path().join("reports/latest");
    let summary = std::fs::read_to_string(latest.join("summary.md")).expect("summary.md");
    assert!(
        summary.contains("discovery.provider-metadata.md"),
        "{summary}"
    );
    let report = std::fs::read_to_string(latest.join("discovery.provider-metadata.md")).unwrap();
    for part in [
        "[< Return to Summary](summary.md)",
        "# discovery >> provider-metadata",
        "**Feature:**",
        "**Test:**",
        "### Running only this test",
        "probity run suites/discovery.yaml --only discovery/provider-metadata",
        "passed with 0 failures",
        "### Discovery - 1 Request",
        "Response status code: 200.",
        "### Specs",
    ] {
        assert!(report.contains(part), "missing {part:?} in:\n{report}");
    }
    for f in [
        "junit.xml",
        "report.json",
        "summary.html",
        "discovery.provider-metadata.html",
    ] {
        assert!(latest.join(f).exists(), "{f}");
    }
}

#[test]
fn a_failed_scenario_line_names_the_failed_spec_and_its_clause_first() {
    let dir = tempfile::tempdir().unwrap();
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/auth-code.yaml");
    let s = suite.to_str().unwrap();
    let args = [
        "run",
        s,
        "--only",
        "auth-code/basic-pkce",
        "--fault",
        "callback.state_dropped",
    ];
    let (code, _, err) = probity(&args, dir.path());
    assert_eq!(code, 1, "{err}");
    let mut lines = err
        .lines()
        .skip_while(|l| !l.contains("FAILED auth-code/basic-pkce"));
    lines.next().expect("the scenario line");
    let cause = lines.next().unwrap_or_default();
    assert!(
        cause
            .trim_start()
            .starts_with("FAILED callback.state_matches [RFC6749-4.1.2]: expected"),
        "{err}"
    );
}

#[test]
fn unknown_fault_and_only_filter_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let s = suites.to_str().unwrap();
    let (code, _, err) = probity(&["run", s, "--fault", "discovery.nope"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown fault `discovery.nope`") && err.contains("discovery.issuer_mismatch"),
        "{err}"
    );
    let (code, _, err) = probity(&["run", s, "--only", "nosuch/x"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("no scenario matches") && err.contains("discovery/provider-metadata"),
        "{err}"
    );
}

#[test]
fn serve_lists_faults_name_first() {
    let (code, out, _) = probity(&["serve", "--list-faults"], Path::new("."));
    assert_eq!(code, 0);
    for f in probity::bank::Fault::ALL {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{}\t", f.name())) && l.ends_with(f.sentence())),
            "{}",
            f.name()
        );
    }
}

/// A running `probity serve` and the quick start it printed.
struct Served {
    child: std::process::Child,
    printed: Vec<String>,
}

impl Served {
    fn start(args: &[&str], dir: &Path) -> Served {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
            .arg("serve")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut printed = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Press Ctrl-C");
            printed.push(line);
            if done {
                break;
            }
        }
        Served { child, printed }
    }

    /// The profile path of the printed `probity run --target PATH`.
    fn target(&self) -> std::path::PathBuf {
        let text = self.printed.join("\n");
        let line = self
            .printed
            .iter()
            .find(|l| l.trim_start().starts_with("probity run --target "))
            .unwrap_or_else(|| panic!("no run command in:\n{text}"));
        line.split("--target ").nth(1).unwrap().trim().into()
    }

    /// Stops it as Ctrl-C does and waits for it to exit.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

#[test]
fn serve_prints_a_quick_start_whose_run_command_works() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&["--out", dir.path().to_str().unwrap()], dir.path());
    let printed = served.printed.join("\n");
    let target = served.target();
    // The written profile has every client role the shipped suites use.
    let profile = std::fs::read_to_string(&target).unwrap();
    for role in ["post", "jwt", "public", "mtls", "interactive"] {
        assert!(
            profile.contains(&format!("\n  {role}:\n")),
            "{role}: {profile}"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = [
        root.join("suites/discovery.yaml"),
        root.join("suites/persisted-consent.yaml"),
        root.join("suites/client-credentials.yaml"),
    ];
    let out = tempfile::tempdir().unwrap();
    // The printed command with this build's binary standing for `probity`;
    // the interactive role's login and consent pages and the mTLS client
    // work from the profile alone.
    let mut args = vec!["run", "--target", target.to_str().unwrap()];
    args.extend(suites.iter().map(|s| s.to_str().unwrap()));
    args.extend(["--out", out.path().to_str().unwrap()]);
    let (code, stdout, stderr) = probity(&args, dir.path());
    served.interrupt();
    assert_eq!(code, 0, "{printed}\n{stdout}{stderr}");
    assert!(
        stdout.contains("(7 passed, 0 failed, 0 skipped, 0 incomplete)"),
        "{stdout}"
    );
    assert!(
        printed.contains("probity-jwt") && printed.contains("private_key_jwt"),
        "{printed}"
    );
    assert!(!printed.contains("cargo run"), "{printed}");
}

#[cfg(unix)]
#[test]
fn serve_keeps_its_files_private_and_removes_them_on_ctrl_c() {
    use std::os::unix::fs::PermissionsExt;
    let cwd = tempfile::tempdir().unwrap();
    let served = Served::start(&["--http"], cwd.path());
    let target = served.target();
    let dir = target.parent().unwrap().to_path_buf();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    for f in ["client.key", "ca.pem", "target.yaml"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    let status = served.interrupt();
    assert_eq!(status.code(), Some(0));
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[cfg(unix)]
#[test]
fn serve_out_is_created_kept_and_never_writes_through_links() {
    use std::os::unix::fs::PermissionsExt;
    let cwd = tempfile::tempdir().unwrap();
    // A missing directory is created, private.
    let fresh = cwd.path().join("a/b");
    let served = Served::start(&["--http", "--out", fresh.to_str().unwrap()], cwd.path());
    assert_eq!(served.target(), fresh.join("target.yaml"));
    served.interrupt();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("client.key")), 0o600);
    assert!(fresh.join("target.yaml").exists(), "--out is kept on exit");

    // A symlink planted where the key goes is replaced, its target untouched.
    let victim = cwd.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::remove_file(fresh.join("client.key")).unwrap();
    std::os::unix::fs::symlink(&victim, fresh.join("client.key")).unwrap();
    let served = Served::start(&["--http", "--out", fresh.to_str().unwrap()], cwd.path());
    served.interrupt();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let key = std::fs::symlink_metadata(fresh.join("client.key")).unwrap();
    assert!(key.is_file() && key.permissions().mode() & 0o777 == 0o600);

    // --out itself may not be a symlink.
    let link = cwd.path().join("link");
    std::os::unix::fs::symlink(&fresh, &link).unwrap();
    let (code, _, err) = probity(&["serve", "--http", "--out", "link"], cwd.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out link is a symbolic link"), "{err}");
}

#[test]
fn a_full_target_profile_validates_and_its_key_must_be_private() {
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    let dir = tempfile::tempdir().unwrap();
    let pair = EcKeyPair::generate(EcCurve::P256).unwrap();
    std::fs::write(dir.path().join("client.pem"), pair.to_pem_private_key()).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id("pub");
    std::fs::write(dir.path().join("public.jwk"), public.to_string()).unwrap();
    let profile = "issuer: https://as.example\nclient:\n  id: a\n  auth_method: private_key_jwt\n  signing_key: client.pem\n  kid: k1\nclients:\n  public:\n    id: b\n    auth_method: none\nconsent:\n  driver: form\n  login:\n    url_contains: /login\n    form: \"form#login\"\n    fields:\n      username: alice\n      password: pw\n";
    let f = write(dir.path(), "full.yaml", profile);
    let (code, out, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let t = probity::target::load_target(&dir.path().join("full.yaml")).unwrap();
    let key = t.client.key.as_ref().unwrap();
    assert_eq!((key.kid.as_str(), key.alg.as_str()), ("k1", "ES256"));
    assert!(
        t.secrets().contains(&"pw".to_string()),
        "PSU passwords are redacted"
    );
    assert_eq!(t.client_named(Some("public")).unwrap().id, "b");
    assert!(t
        .client_named(Some("nope"))
        .unwrap_err()
        .to_string()
        .contains("has: default, public"));

    let f = write(
        dir.path(),
        "pub.yaml",
        &profile.replace("client.pem", "public.jwk"),
    );
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("no private part") && err.contains("pub.yaml:5:16"),
        "{err}"
    );
}

#[test]
fn payment_capture_sources_are_validated_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - payment:\n          url: https://x\n          capture:\n            id: \"Data.ConsentId\"\n";
    let f = write(dir.path(), "pay.yaml", yaml);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid capture source `Data.ConsentId`") && err.contains("pay.yaml:8:17"),
        "{err}"
    );
}

#[test]
fn a_jwt_bearer_token_step_without_claims_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenarios:\n  - id: a\n    name: A\n    steps:\n      - discovery: {}\n      - token:\n          grant: jwt_bearer\n";
    let f = write(dir.path(), "bearer.yaml", text);
    let (code, _, err) = probity(&["validate", &f], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("`grant: jwt_bearer` needs `assertion:` claims")
            && err.contains("bearer.yaml:6:"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_listings_quietly() {
    use std::process::Stdio;
    for args in [vec!["specs"], vec!["serve", "--list-faults"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the listing is written (like `| head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// Validates a profile in `dir`; asserts exit 2 and that stderr holds every
/// one of `parts` (a `file:line:col` among them).
fn rejected(dir: &Path, name: &str, profile: &str, parts: &[&str]) {
    let f = write(dir, name, profile);
    let started = std::time::Instant::now();
    let (code, out, err) = probity(&["validate", &f], dir);
    assert_eq!(code, 2, "{name}: {out}{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{name} took {:?}",
        started.elapsed()
    );
    for p in parts {
        assert!(err.contains(p), "{name}: missing {p:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

const CLIENT: &str = "client:\n  id: x\n  auth_method: none\n";

#[test]
fn profile_urls_and_limits_are_checked_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, issuer) in [("rel.yaml", "as.example"), ("ftp.yaml", "ftp://as.example")] {
        rejected(
            d,
            name,
            &format!("issuer: {issuer}\n{CLIENT}"),
            &[
                "`issuer` must be an absolute http(s) URL",
                &format!("{name}:1:9"),
            ],
        );
    }
    let ok = format!("issuer: https://as.example\n{CLIENT}");
    rejected(
        d,
        "timeout.yaml",
        &format!("{ok}http:\n  timeout_ms: 0\n"),
        &["`timeout_ms` must be between 1 and", "timeout.yaml:6:15"],
    );
    rejected(
        d,
        "hour.yaml",
        &format!("{ok}http:\n  timeout_ms: 3600001\n"),
        &["`timeout_ms` must be between 1 and", "hour.yaml:6:15"],
    );
    rejected(
        d,
        "body.yaml",
        &format!("{ok}http:\n  max_body_bytes: 0\n"),
        &["`max_body_bytes` must be between 1 and", "body.yaml:6:19"],
    );
}

#[test]
fn plain_http_needs_insecure_http_and_a_loopback_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rejected(
        d,
        "plain.yaml",
        &format!("issuer: http://as.example\n{CLIENT}"),
        &[
            "`issuer` is plain http (`http://as.example`)",
            "add `insecure_http: true`",
            "plain.yaml:1:9",
        ],
    );
    rejected(
        d,
        "disco.yaml",
        &format!("issuer: https://as.example\ndiscovery_url: http://as.example/d\n{CLIENT}"),
        &["`discovery_url` is plain http", "disco.yaml:2:16"],
    );
    rejected(
        d,
        "remote.yaml",
        &format!("issuer: http://as.example\ninsecure_http: true\n{CLIENT}"),
        &[
            "`insecure_http: true` is allowed only for loopback hosts (127.0.0.1, ::1, localhost)",
            "remote.yaml:1:9",
        ],
    );
    rejected(
        d,
        "api.yaml",
        &format!(
            "issuer: http://127.0.0.1:8080\napi_base: https://api.example\ninsecure_http: true\n{CLIENT}"
        ),
        &["`api_base` is `https://api.example`", "api.yaml:2:11"],
    );
    for host in ["127.0.0.1:8080", "localhost:3000", "[::1]"] {
        let f = write(
            d,
            "dev.yaml",
            &format!("issuer: http://{host}\ninsecure_http: true\n{CLIENT}"),
        );
        let (code, out, err) = probity(&["validate", &f], d);
        assert_eq!(code, 0, "{host}: {out}{err}");
    }
}

#[test]
fn client_assertion_audience_is_set_per_profile_and_per_client() {
    use probity::target::ClientAssertionAudience::*;
    let dir = tempfile::tempdir().unwrap();
    let text = "issuer: https://as.example\nclient_assertion_audience: token_endpoint\nclient:\n  id: a\n  auth_method: none\nclients:\n  b:\n    id: b\n    auth_method: none\n    client_assertion_audience: endpoint\n";
    write(dir.path(), "aud.yaml", text);
    let t = probity::target::load_target(&dir.path().join("aud.yaml")).unwrap();
    assert_eq!(t.client.assertion_audience, TokenEndpoint);
    assert_eq!(t.clients["b"].assertion_audience, Endpoint);
    rejected(
        dir.path(),
        "bad-aud.yaml",
        &text.replace("endpoint\n", "audience\n"),
        &["client_assertion_audience", "bad-aud.yaml:"],
    );
}

#[test]
fn serve_http_writes_a_development_profile_and_every_output_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        &["--http", "--out", dir.path().to_str().unwrap()],
        dir.path(),
    );
    let target = served.target();
    let profile = std::fs::read_to_string(&target).unwrap();
    assert!(profile.contains("insecure_http: true"), "{profile}");
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/discovery.yaml");
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = probity(
        &[
            "run",
            "--target",
            target.to_str().unwrap(),
            suites.to_str().unwrap(),
            "--only",
            "discovery/provider-metadata",
            "--out",
            out.path().to_str().unwrap(),
        ],
        dir.path(),
    );
    served.interrupt();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let notice = "not certifiable";
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or("")
            .contains("DEVELOPMENT TARGET"),
        "{stderr}"
    );
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    let summary = read("summary.md");
    let head: String = summary.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(head.contains(notice), "{summary}");
    assert!(read("summary.html").contains(notice));
    assert!(read("discovery.provider-metadata.md").contains(notice));
    let junit = read("junit.xml");
    assert!(
        junit.contains(r#"<property name="development_target" value="true"/>"#),
        "{junit}"
    );
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(json["development_target"], true);
    assert!(json["development_notice"]
        .as_str()
        .unwrap()
        .contains(notice));
    let specs = json["scenarios"][0]["specs"].as_array().unwrap();
    for id in ["discovery.issuer_https", "discovery.endpoints_https"] {
        let s = specs.iter().find(|s| s["id"] == id).unwrap();
        assert_eq!(
            (s["verdict"].as_str(), s["reason"].as_str()),
            (
                Some("SKIPPED"),
                Some("insecure_http: a development target over plain http")
            ),
            "{id}"
        );
    }
}

#[test]
fn profile_files_must_be_small_regular_files_of_the_right_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = probity::bank::Pki::generate(&["localhost".into()]).unwrap();
    let other = probity::bank::Pki::generate(&["localhost".into()]).unwrap();
    write(d, "ca.pem", &pki.ca_pem);
    write(d, "client.pem", &pki.client_cert_pem);
    write(d, "client.key", &pki.client_key_pem);
    write(d, "other.key", &other.client_key_pem);
    write(d, "notes.txt", "just some text\n");
    std::fs::write(d.join("big.pem"), vec![b'a'; 1024 * 1024 + 10]).unwrap();
    let base = format!("issuer: https://as.example\n{CLIENT}");
    let good =
        format!("{base}tls:\n  ca: ca.pem\n  client_cert: client.pem\n  client_key: client.key\n");
    let f = write(d, "good.yaml", &good);
    let (code, out, err) = probity(&["validate", &f], d);
    assert_eq!(code, 0, "{out}{err}");

    let tls = |ca: &str| format!("{base}tls:\n  ca: {ca}\n");
    rejected(
        d,
        "zero.yaml",
        &tls("/dev/zero"),
        &["`ca: /dev/zero` is not a regular file", "zero.yaml:6:7"],
    );
    rejected(
        d,
        "dir.yaml",
        &tls("."),
        &["`ca: .` is not a regular file", "dir.yaml:6:7"],
    );
    rejected(
        d,
        "big.yaml",
        &tls("big.pem"),
        &["`ca: big.pem` is larger than 1024 KiB", "big.yaml:6:7"],
    );
    rejected(
        d,
        "gone.yaml",
        &tls("gone.pem"),
        &["`ca: gone.pem` cannot be read", "gone.yaml:6:7"],
    );
    rejected(
        d,
        "text.yaml",
        &tls("notes.txt"),
        &["`ca: notes.txt` holds no PEM certificate", "text.yaml:6:7"],
    );

    let mtls =
        |cert: &str, key: &str| format!("{base}tls:\n  client_cert: {cert}\n  client_key: {key}\n");
    rejected(
        d,
        "keycert.yaml",
        &mtls("client.key", "client.key"),
        &[
            "`client_cert: client.key` holds no PEM certificate",
            "keycert.yaml:6:16",
        ],
    );
    rejected(
        d,
        "certkey.yaml",
        &mtls("client.pem", "client.pem"),
        &[
            "`client_key: client.pem` holds no PEM private key",
            "certkey.yaml:7:15",
        ],
    );
    rejected(
        d,
        "mismatch.yaml",
        &mtls("client.pem", "other.key"),
        &[
            "`client_key: other.key` does not belong to the certificate",
            "mismatch.yaml:7:15",
        ],
    );

    let jwt = |key: &str| {
        format!("issuer: https://as.example\nclient:\n  id: x\n  auth_method: private_key_jwt\n  signing_key: {key}\n")
    };
    rejected(
        d,
        "sigcert.yaml",
        &jwt("client.pem"),
        &[
            "`signing_key: client.pem` is not a private key: it holds a certificate",
            "sigcert.yaml:5:16",
        ],
    );
    rejected(
        d,
        "sigzero.yaml",
        &jwt("/dev/zero"),
        &[
            "`signing_key: /dev/zero` is not a regular file",
            "sigzero.yaml:5:16",
        ],
    );
    rejected(
        d,
        "api.yaml",
        &format!("{base}openapi:\n  - /dev/zero\n"),
        &["`openapi: /dev/zero` is not a regular file", "api.yaml:6:5"],
    );
}

#[test]
fn the_example_profile_validates() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/target.example.yaml");
    let (code, out, err) = probity(&["validate", example.to_str().unwrap()], Path::new("."));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: "), "{out}");
}

#[test]
fn a_variant_needs_its_credentials_and_a_plan_refuses_a_variant_it_cannot_certify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let basic = "issuer: https://as.example\nclient:\n  id: x\n  auth_method: client_secret_basic\n  secret: s\n";
    rejected(
        d,
        "jwt.yaml",
        &format!("{basic}variant:\n  client_auth: private_key_jwt\n"),
        &[
            "variant: `client_auth: private_key_jwt` needs the client's `signing_key`",
            "jwt.yaml:7:3",
        ],
    );
    rejected(
        d,
        "mtls.yaml",
        &format!("{basic}variant:\n  sender_constraint: mtls\n"),
        &[
            "`sender_constraint: mtls` needs `tls.client_cert`",
            "mtls.yaml:7:3",
        ],
    );
    rejected(
        d,
        "typo.yaml",
        &format!("{basic}variant:\n  sender_constraint: dpopp\n"),
        &["dpopp", "typo.yaml:7:22"],
    );
    let plain = write(
        d,
        "plain.yaml",
        &format!("{basic}variant:\n  sender_constraint: dpop\n  request_style: plain\n"),
    );
    let (code, _, err) = probity(&["validate", &plain], d);
    assert_eq!(code, 0, "{err}");
    // Refused before any request: the issuer is never contacted.
    let repo = env!("CARGO_MANIFEST_DIR");
    let (code, _, err) = probity(
        &[
            "run",
            "--plan",
            "fapi2-security-profile",
            "--target",
            &d.join(&plain).display().to_string(),
            "--out",
            &d.join("out").display().to_string(),
        ],
        Path::new(repo),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot run plan `fapi2-security-profile`")
            && err.contains(
                "client_auth=client_secret_basic, sender_constraint=dpop, request_style=plain"
            )
            && err.contains("§5.3.2.2 requires pushed authorization requests"),
        "{err}"
    );
}
