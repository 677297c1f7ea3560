//! `poll_status`: GET a resource until its status is terminal, capturing
//! every poll.

use super::kind::{bearer, call_templates, Facts, Kind, Need};
use super::wait::{deadline_after, sleep_until_at_most};
use super::{Artifact, Outcome, StepContext};
use crate::expr::{JsonPathExpr, Template};
use crate::http::OutgoingRequest;
use crate::specs::payment::{STILL_PENDING, TERMINAL_STATUS};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `poll_status:` — GET a resource until its status is terminal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollStatusStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// URL (placeholders filled).
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// JSONPath of the status (default `$.Data.Status`).
    pub status_path: Option<JsonPathExpr>,
    /// Statuses that end the polling successfully.
    pub terminal: Statuses,
    /// Statuses of a payment still on its way (OBIE v3.1: `Pending`,
    /// `AcceptedSettlementInProcess`): one at the deadline is a warning for
    /// the assessor, since no clause sets a settlement time; a status in
    /// neither list fails at once.
    #[serde(default)]
    pub pending: Statuses,
    /// Milliseconds between polls (default 500).
    pub interval_ms: Option<u64>,
    /// Give up after this many seconds (default 10).
    pub timeout_s: Option<u64>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
}

/// The statuses a `poll_status` step names: one list, or one list per Open
/// Banking UK API version (`v3.1: […]`, `v4.0: […]`: v4.0 moved payment
/// statuses to ISO 20022 codes), chosen by the profile's `ob_version`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    /// The same statuses whatever the version.
    Always(Vec<String>),
    /// One list per version segment of the paths (`v3.1`, `v4.0`).
    ByObVersion(BTreeMap<String, Vec<String>>),
}

impl Default for Statuses {
    fn default() -> Self {
        Statuses::Always(Vec::new())
    }
}

impl Statuses {
    /// The statuses under `ob_version`, or the versions the suite does name.
    pub fn for_version(&self, ob_version: &str) -> Result<&[String], Vec<String>> {
        match self {
            Statuses::Always(list) => Ok(list),
            Statuses::ByObVersion(by) => by
                .get(ob_version)
                .map(Vec::as_slice)
                .ok_or_else(|| by.keys().cloned().collect()),
        }
    }
}

impl Facts for PollStatusStep {
    fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    fn templates(&self) -> Vec<&Template> {
        call_templates(&self.url, &self.token, &self.headers)
    }

    fn urls(&self) -> Vec<&Template> {
        vec![&self.url]
    }

    fn needs(&self) -> Vec<(Need, &'static str)> {
        bearer(&self.token).into_iter().collect()
    }
}

impl Kind for PollStatusStep {
    const STAGE: &'static str = "Status Polling";
    type Decided = ();

    fn decide(&self, _: &crate::target::Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, stage, ctx).await
    }
}

/// Runs a poll_status step.
async fn run(step: &PollStatusStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = (|| -> Result<_, String> {
        let url = step.url.render(&*ctx.state)?;
        let token = ctx.state.bearer(&step.token)?;
        let headers = ctx.state.headers(&step.headers)?;
        let path = match &step.status_path {
            Some(p) => p.path.clone(),
            None => serde_json_path::JsonPath::parse("$.Data.Status").map_err(|e| e.to_string())?,
        };
        let version = ctx.state.ob_version();
        let named = |statuses: &Statuses| {
            statuses
                .for_version(version)
                .map(<[String]>::to_vec)
                .map_err(|named| {
                    format!(
                        "the suite names no statuses for Open Banking {version} (only for {})",
                        named.join(", ")
                    )
                })
        };
        let statuses = (named(&step.terminal)?, named(&step.pending)?);
        Ok((url, token, headers, path, statuses))
    })();
    let (url, token, headers, path, (terminal, pending)) = match prepared {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                specs: vec![TERMINAL_STATUS.skip(e)],
                artifacts: vec![],
                ok: false,
            }
        }
    };
    let deadline = deadline_after(Duration::from_secs(step.timeout_s.unwrap_or(10)));
    let mut seen = Vec::new();
    loop {
        let mut req = OutgoingRequest::get(&url);
        match super::dpop::resource_headers(ctx.state, (None, false), &token, "GET", &url) {
            Ok(h) => req.headers = h,
            Err(e) => {
                return Outcome {
                    specs: vec![TERMINAL_STATUS.skip(e)],
                    artifacts: vec![],
                    ok: false,
                }
            }
        }
        let mut req = req.header("accept", "application/json");
        for (k, v) in &headers {
            req = req.header(k.clone(), v.clone());
        }
        let status = super::dpop::send_resource(ctx, stage, req, &token, None)
            .await
            .ok()
            .and_then(|r| r.json().ok())
            .and_then(|b| {
                path.query(&b)
                    .first()
                    .and_then(|v| v.as_str().map(str::to_string))
            });
        let status = status.unwrap_or_else(|| "(no status)".into());
        let done = terminal.contains(&status);
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        let known = done || pending.is_empty() || pending.contains(&status);
        if !known {
            let allowed = [terminal.clone(), pending.clone()].concat();
            return Outcome {
                specs: vec![TERMINAL_STATUS.fail(
                    format!("one of {}", allowed.join(", ")),
                    format!(
                        "{status}, neither settled nor on its way (seen: {})",
                        seen.join(" → ")
                    ),
                )],
                artifacts: vec![],
                ok: false,
            };
        }
        if done {
            let spec = TERMINAL_STATUS.pass_with(format!("statuses seen: {}", seen.join(" → ")));
            return Outcome {
                specs: vec![spec],
                artifacts: vec![Artifact::Note {
                    text: format!("Statuses seen: {}", seen.join(" → ")),
                }],
                ok: true,
            };
        }
        if deadline_after(Duration::from_millis(step.interval_ms.unwrap_or(500))) > deadline {
            // Still on its way is for the assessor (no clause sets a time);
            // anything else at the deadline failed to settle.
            let on_its_way = pending.contains(&status);
            let spec = if on_its_way {
                &STILL_PENDING
            } else {
                &TERMINAL_STATUS
            };
            let result = spec.fail(
                terminal.join(" or "),
                format!(
                    "still {status} after {} s (seen: {})",
                    step.timeout_s.unwrap_or(10),
                    seen.join(" → ")
                ),
            );
            return Outcome {
                specs: vec![result],
                artifacts: vec![],
                ok: on_its_way,
            };
        }
        sleep_until_at_most(
            Duration::from_millis(step.interval_ms.unwrap_or(500)),
            deadline,
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::Statuses;

    #[test]
    fn statuses_are_one_list_or_one_per_open_banking_version() {
        let one: Statuses = serde_saphyr::from_str("[A, B]").unwrap();
        assert_eq!(one.for_version("v4.0").unwrap(), ["A", "B"]);
        let by: Statuses =
            serde_saphyr::from_str("{ v3.1: [AcceptedSettlementCompleted], v4.0: [ACSC] }")
                .unwrap();
        assert_eq!(
            by.for_version("v3.1").unwrap(),
            ["AcceptedSettlementCompleted"]
        );
        assert_eq!(by.for_version("v4.0").unwrap(), ["ACSC"]);
        assert_eq!(by.for_version("v5.0").unwrap_err(), ["v3.1", "v4.0"]);
    }
}
