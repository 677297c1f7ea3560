//! Specs: every check probity makes.
//!
//! A [`Spec`] has a stable id, a sentence in the "should …" form, a
//! [`Severity`] and the [`Clause`] it enforces. Checks produce a
//! [`SpecResult`]; a failed spec keeps what was expected and what was seen.
//! The id string of a catalogue spec appears exactly once in the source, in
//! the area file that defines it (`discovery.rs`, …), inside that file's one
//! `specs!` invocation, which also lists it in the area; `areas!` lists the
//! areas once, and [`catalogue`] reads that list. A `Spec` cannot be built
//! outside this module tree, so no spec escapes the catalogue.

/// Defines an area's specs and the area's list from one invocation, so a
/// spec cannot be defined without being listed (and so catalogued).
///
/// Each entry is `NAME = "id", Severity, "TAG", url, "should …";` and
/// becomes `pub static NAME: Spec`. Optional `field: value` pairs after the
/// sentence set the spec's other facts where it is defined: `under:` how
/// conformance profiles treat it, `refusal: true` that it judges a refusal. `area LIST;` names the area's list, in
/// entry order. `group NAME { … }` wraps entries that steps handle together
/// (e.g. skip as one): they stay in the area and also form `pub static NAME`.
///
/// ```text
/// specs! {
///     /// Every token spec.
///     area TOKEN;
///     /// The core token specs.
///     group CORE {
///         STATUS_OK = "token.status_ok", Failure, "RFC6749-5.1", R5_1,
///             "should answer a valid token request with 200 OK";
///     }
/// }
/// ```
macro_rules! specs {
    ($(#[$meta:meta])* area $area:ident; $($body:tt)*) => {
        specs!(@define $($body)*);
        $(#[$meta])*
        pub static $area: &[&$crate::specs::Spec] = specs!(@list [] $($body)*);
    };
    (@define) => {};
    (@define $(#[$meta:meta])* group $group:ident { $($inner:tt)* } $($rest:tt)*) => {
        specs!(@define $($inner)*);
        $(#[$meta])*
        pub static $group: &[&$crate::specs::Spec] = specs!(@list [] $($inner)*);
        specs!(@define $($rest)*);
    };
    (@define $name:ident = $id:literal, $sev:ident, $tag:literal, $url:expr, $should:literal
        $(, $field:ident: $value:expr)*; $($rest:tt)*) => {
        #[doc = $should]
        pub static $name: $crate::specs::Spec = $crate::specs::Spec {
            id: $id,
            should: $should,
            severity: $crate::specs::Severity::$sev,
            clause: $crate::specs::Clause {
                tag: $tag,
                url: $url,
            },
            $($field: $value,)*
            ..$crate::specs::Spec::BASE
        };
        specs!(@define $($rest)*);
    };
    (@list [$($acc:tt)*]) => { &[$($acc)*] };
    (@list [$($acc:tt)*] $(#[$meta:meta])* group $group:ident { $($inner:tt)* } $($rest:tt)*) => {
        specs!(@list [$($acc)*] $($inner)* $($rest)*)
    };
    (@list [$($acc:tt)*] $name:ident = $id:literal, $sev:ident, $tag:literal, $url:expr,
        $should:literal $(, $field:ident: $value:expr)*; $($rest:tt)*) => {
        specs!(@list [$($acc)* &$name,] $($rest)*)
    };
}

/// Lists the areas once, as `module::LIST`: `AREAS` (and so the catalogue)
/// is built from this list alone.
macro_rules! areas {
    ($($module:ident::$area:ident),+ $(,)?) => {
        $(pub use $module::$area;)+

        /// Every area, by the name of its list, in listing order: the one
        /// registry `catalogue()` reads, so no area is listed by hand twice.
        pub static AREAS: &[(&str, &[&Spec])] = &[$((stringify!($area), $module::$area)),+];
    };
}

pub mod accounts;
pub mod authorize;
mod conformance;
pub mod decoupled;
pub mod discovery;
pub mod dpop;
pub mod id_token;
pub mod payment;
pub mod request;
mod result;
pub mod runner;
pub mod schema;
pub mod token;
pub mod userinfo;

pub use conformance::{Conformance, NotCertifiable, Rule, FAPI1, FAPI2, OPEN_BANKING, PLAIN_OIDC};
pub use result::{SpecResult, Verdict};

areas! {
    discovery::DISCOVERY,
    request::REQUEST,
    token::TOKEN,
    dpop::DPOP,
    authorize::AUTHORIZE,
    id_token::ID_TOKEN,
    decoupled::DECOUPLED,
    userinfo::USERINFO,
    payment::PAYMENT,
    accounts::ACCOUNT_INFO,
    schema::SCHEMA,
    runner::RUNNER,
}

use serde::{Deserialize, Serialize};

/// How much a failing spec matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST/SHALL of the clause: failing makes the run fail.
    Failure,
    /// A SHOULD or a profile recommendation: reported, does not fail the run.
    Warning,
    /// A suggestion that needs a human to review.
    Info,
}

/// The requirement a spec enforces: a short tag and the URL of the clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// Short requirement tag, e.g. `OIDC-DISC-4.3`.
    pub tag: &'static str,
    /// Link to the clause.
    pub url: &'static str,
}

/// A check with a stable identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spec {
    /// Stable id, e.g. `discovery.issuer_matches`.
    pub id: &'static str,
    /// The sentence shown in reports, in the "should …" form.
    pub should: &'static str,
    /// How much a failure matters.
    pub severity: Severity,
    /// The clause enforced.
    pub clause: Clause,
    /// How conformance profiles depart from the catalogue severity, first
    /// match wins: a FAPI clause is not judged under plain OpenID Connect,
    /// a profile that makes a SHOULD a MUST raises it. Profiles not named
    /// judge the spec at its severity.
    #[serde(skip)]
    pub under: &'static [(&'static [Conformance], Rule)],
    /// The spec judges a refusal the server must make: after a failed step
    /// a refusal proves nothing (a server that refuses everything passes
    /// it), so it is then SKIPPED, never PASSED.
    #[serde(skip)]
    pub refusal: bool,
    /// Keeps specs from being built outside `specs` and its area modules,
    /// where `specs!` lists each one.
    #[serde(skip)]
    sealed: Sealed,
}

/// A private marker: only `crate::specs` and its children can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sealed;

impl Spec {
    /// The facts an entry of `specs!` does not set.
    const BASE: Spec = Spec {
        id: "",
        should: "",
        severity: Severity::Failure,
        clause: Clause { tag: "", url: "" },
        under: &[],
        refusal: false,
        sealed: Sealed,
    };

    /// What `profile` does with this spec.
    pub fn rule(&self, profile: Conformance) -> Rule {
        if profile == Conformance::All {
            return Rule::Judge(self.severity);
        }
        self.under
            .iter()
            .find(|(profiles, _)| profiles.contains(&profile))
            .map_or(Rule::Judge(self.severity), |(_, rule)| *rule)
    }

    /// The spec held.
    pub fn pass(&'static self) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Passed, None)
    }

    /// The spec held; `note` says what was seen (shown in reports).
    pub fn pass_with(&'static self, note: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Passed, Some(note.into()))
    }

    /// The spec did not hold, with expected and actual values.
    pub fn fail(
        &'static self,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> SpecResult {
        let mut r = SpecResult::from_spec(self, self.failing_verdict(), None);
        r.expected = Some(expected.into());
        r.actual = Some(actual.into());
        r
    }

    /// The spec did not hold, for the reason given.
    pub fn fail_because(&'static self, reason: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, self.failing_verdict(), Some(reason.into()))
    }

    /// Passes when `ok`, else fails with expected and actual.
    pub fn check(
        &'static self,
        ok: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> SpecResult {
        if ok {
            self.pass()
        } else {
            self.fail(expected, actual)
        }
    }

    /// The spec could not be judged (a step it depends on failed).
    pub fn skip(&'static self, reason: impl Into<String>) -> SpecResult {
        SpecResult::from_spec(self, Verdict::Skipped, Some(reason.into()))
    }

    fn failing_verdict(&self) -> Verdict {
        match self.severity {
            Severity::Failure => Verdict::Failed,
            Severity::Warning => Verdict::Warning,
            Severity::Info => Verdict::Review,
        }
    }
}

/// Every catalogue spec, by area, for `probity specs` and for the fault matrix.
pub fn catalogue() -> impl Iterator<Item = &'static Spec> {
    AREAS.iter().flat_map(|(_, specs)| specs.iter().copied())
}

/// Looks a catalogue spec up by id.
pub fn find(id: &str) -> Option<&'static Spec> {
    static BY_ID: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static Spec>> =
        std::sync::OnceLock::new();
    BY_ID
        .get_or_init(|| catalogue().map(|s| (s.id, s)).collect())
        .get(id)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The area files' text: what `specs!` was given.
    fn area_sources() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/specs");
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .filter(|(_, text)| text.lines().any(|l| l == "specs! {"))
            .collect();
        files.sort();
        files
    }

    /// `NAME = "id", …` entry lines of a `specs!` invocation.
    fn entry_count(text: &str) -> usize {
        text.lines()
            .filter_map(|l| l.trim().split_once(" = \""))
            .filter(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .count()
    }

    #[test]
    fn every_area_file_is_registered_and_every_entry_catalogued() {
        let names: Vec<&str> = AREAS.iter().map(|(n, _)| *n).collect();
        let sources = area_sources();
        let mut entries = 0;
        for (file, text) in &sources {
            let areas: Vec<&str> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("area "))
                .map(|a| a.trim_end_matches(';'))
                .collect();
            assert_eq!(areas.len(), 1, "{file} should define one area");
            assert!(
                names.contains(&areas[0]),
                "{file}: {} not in AREAS",
                areas[0]
            );
            entries += entry_count(text);
        }
        assert_eq!(sources.len(), AREAS.len(), "an area file is not in AREAS");
        assert_eq!(entries, catalogue().count(), "entries vs catalogue");
    }

    #[test]
    fn areas_are_non_empty_and_ids_unique() {
        for (name, specs) in AREAS {
            assert!(!specs.is_empty(), "area {name} is empty");
        }
        let mut seen = HashSet::new();
        for s in catalogue() {
            assert!(seen.insert(s.id), "duplicate spec id {}", s.id);
            assert_eq!(find(s.id), Some(s));
        }
    }

    #[test]
    fn groups_are_non_empty_runs_of_their_area() {
        for (group, area) in [(token::CORE, TOKEN), (discovery::JWKS_SPECS, DISCOVERY)] {
            assert!(!group.is_empty());
            assert!(
                area.windows(group.len()).any(|w| w == group),
                "{} … not a run of its area",
                group[0].id
            );
        }
    }

    /// `RFC6749-4.1.2.1` → (`6749`, `4.1.2.1`).
    fn rfc_tag(tag: &str) -> Option<(&str, &str)> {
        let (num, section) = tag.strip_prefix("RFC")?.split_once('-')?;
        num.chars()
            .all(|c| c.is_ascii_digit())
            .then_some((num, section))
    }

    #[test]
    fn clause_urls_match_their_tags() {
        for s in catalogue() {
            let Clause { tag, url } = s.clause;
            assert!(url.starts_with("https://"), "{}: {url}", s.id);
            let Some((num, section)) = rfc_tag(tag) else {
                continue;
            };
            let prefix = format!("https://www.rfc-editor.org/rfc/rfc{num}#section-");
            let linked = url.strip_prefix(&prefix);
            // The link may name the tag's section or one that contains it.
            let ok = linked.is_some_and(|l| section == l || section.starts_with(&format!("{l}.")));
            assert!(ok, "{}: tag {tag} links to {url}", s.id);
        }
    }

    /// Rust files under `dir`, recursively.
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_step_rewrites_a_spec_sentence() {
        let mut files = Vec::new();
        rust_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !text.contains(&[".should", " ="].concat()),
                "{} rewrites a `should`: a variant is a spec of its own",
                file.display()
            );
        }
    }
}
