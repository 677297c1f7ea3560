//! `poll_status`: GET a resource until its status is terminal, capturing
//! every poll.

use super::wait::{deadline_after, sleep_until_at_most};
use super::{Artifact, Outcome, StepContext};
use crate::http::OutgoingRequest;
use crate::specs::payment::{STILL_PENDING, TERMINAL_STATUS};
use crate::suite::{PollStatusStep, Statuses};
use std::time::Duration;

/// Runs a poll_status step.
pub(crate) async fn run(step: &PollStatusStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
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
