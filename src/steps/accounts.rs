//! `accounts`: the PSU's accounts, then each account's balances and
//! transactions, judged for shape, permissions and the FAPI interaction id.

use super::kind::{bearer, call_templates, Facts, Kind, Need};
use super::{Outcome, StepContext};
use crate::expr::Template;
use crate::http::{OutgoingRequest, RecordedResponse};
use crate::specs::accounts::*;
use crate::specs::SpecResult;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An account resource below `/accounts/{AccountId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountResource {
    /// `/balances`
    Balances,
    /// `/transactions`
    Transactions,
}

impl AccountResource {
    /// The path segment.
    pub fn path(self) -> &'static str {
        match self {
            AccountResource::Balances => "balances",
            AccountResource::Transactions => "transactions",
        }
    }
}

fn both_resources() -> Vec<AccountResource> {
    vec![AccountResource::Balances, AccountResource::Transactions]
}

/// `accounts:` — list the PSU's accounts with `token.access_token`, then
/// read each account's balances and transactions; resources the consent
/// does not cover must be refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsStep {
    /// Stage name in reports.
    pub stage: Option<String>,
    /// Base URL of the account API, e.g. `{{ target.api_base }}/open-banking/v3.1/aisp`.
    pub url: Template,
    /// Bearer token (default `{{ token.access_token }}`).
    pub token: Option<Template>,
    /// Extra headers (placeholders filled).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// What to read for each account (default both).
    #[serde(default = "both_resources")]
    pub read: Vec<AccountResource>,
    /// What the consent does not cover: each must be refused with 403.
    #[serde(default)]
    pub forbidden: Vec<AccountResource>,
    /// Read at most this many accounts in detail (default 3).
    pub max_accounts: Option<usize>,
}

impl Facts for AccountsStep {
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

impl Kind for AccountsStep {
    const STAGE: &'static str = "Account Information";
    type Decided = ();

    fn decide(&self, _: &crate::target::Target) -> Result<(), crate::target::UnknownClient> {
        Ok(())
    }

    async fn run(&self, _: &(), stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
        run(self, stage, ctx).await
    }
}

/// Fields every item of a resource list must carry.
fn required(resource: AccountResource) -> &'static [&'static str] {
    match resource {
        AccountResource::Balances => &["Amount", "CreditDebitIndicator", "Type", "DateTime"],
        AccountResource::Transactions => &[
            "Amount",
            "CreditDebitIndicator",
            "Status",
            "BookingDateTime",
        ],
    }
}

/// The `Data` member holding a resource's items.
fn list_key(resource: AccountResource) -> &'static str {
    match resource {
        AccountResource::Balances => "Balance",
        AccountResource::Transactions => "Transaction",
    }
}

/// What an accounts step needs before its first request: the base URL, the
/// bearer token and the extra headers.
type Prepared = (String, String, Vec<(String, String)>);

/// Runs an accounts step.
async fn run(step: &AccountsStep, stage: &str, ctx: &mut StepContext<'_>) -> Outcome {
    let prepared = (|| -> Result<Prepared, String> {
        let base = step.url.render(&*ctx.state)?;
        let token = ctx.state.bearer(&step.token)?;
        let headers = ctx.state.headers(&step.headers)?;
        Ok((base.trim_end_matches('/').to_string(), token, headers))
    })();
    let (base, token, headers) = match prepared {
        Ok(p) => p,
        Err(e) => return skipped(&e),
    };
    let mut reader = Reader {
        ctx,
        stage,
        token,
        headers,
        interaction: None,
    };
    let listed = reader.get(&format!("{base}/accounts")).await;
    let (mut specs, ids) = judge_list(&listed);
    let ids: Vec<String> = ids
        .into_iter()
        .take(step.max_accounts.unwrap_or(3))
        .collect();
    for resource in &step.read {
        specs.push(reader.read_all(&base, &ids, *resource).await);
    }
    if !step.forbidden.is_empty() {
        specs.push(reader.forbidden(&base, &ids, &step.forbidden).await);
    }
    specs.push(reader.interaction.unwrap_or_else(|| INTERACTION_ID.pass()));
    let ok = !ids.is_empty();
    Outcome {
        specs,
        artifacts: vec![],
        ok,
    }
}

fn skipped(reason: &str) -> Outcome {
    Outcome {
        specs: vec![LISTED.skip(reason)],
        artifacts: vec![],
        ok: false,
    }
}

/// Sends the step's reads and remembers the first interaction-id mismatch.
struct Reader<'a, 'b> {
    ctx: &'a mut StepContext<'b>,
    stage: &'a str,
    token: String,
    headers: Vec<(String, String)>,
    interaction: Option<SpecResult>,
}

impl Reader<'_, '_> {
    async fn get(&mut self, url: &str) -> Result<RecordedResponse, String> {
        let sent = crate::ids::uuid();
        let mut req = OutgoingRequest::get(url);
        req.headers =
            super::dpop::resource_headers(self.ctx.state, (None, false), &self.token, "GET", url)?;
        let mut req = req
            .header("accept", "application/json")
            .header("x-fapi-interaction-id", sent.clone());
        for (k, v) in &self.headers {
            req = req.header(k.clone(), v.clone());
        }
        let r = super::dpop::send_resource(self.ctx, self.stage, req, &self.token, None).await?;
        let echoed = r.header("x-fapi-interaction-id").unwrap_or("(absent)");
        if echoed != sent && self.interaction.is_none() {
            let seen = format!("{echoed} on GET {url}");
            self.interaction = Some(INTERACTION_ID.fail(sent, seen));
        }
        Ok(r)
    }

    /// Reads one resource of every account; one spec result for all.
    async fn read_all(
        &mut self,
        base: &str,
        ids: &[String],
        resource: AccountResource,
    ) -> SpecResult {
        let spec = match resource {
            AccountResource::Balances => &BALANCES_RETURNED,
            AccountResource::Transactions => &TRANSACTIONS_RETURNED,
        };
        if ids.is_empty() {
            return spec.skip("no account to read");
        }
        let mut items = 0;
        for id in ids {
            let url = format!("{base}/accounts/{id}/{}", resource.path());
            match self.get(&url).await.and_then(|r| judge_items(&r, resource)) {
                Ok(n) => items += n,
                Err(e) => return spec.fail_because(format!("account {id}: {e}")),
            }
        }
        spec.pass_with(format!(
            "{items} {} across {} accounts",
            resource.path(),
            ids.len()
        ))
    }

    /// Every forbidden resource of the first account must be refused with 403.
    async fn forbidden(
        &mut self,
        base: &str,
        ids: &[String],
        resources: &[AccountResource],
    ) -> SpecResult {
        let Some(id) = ids.first() else {
            return PERMISSIONS_ENFORCED.skip("no account to read");
        };
        for resource in resources {
            let url = format!("{base}/accounts/{id}/{}", resource.path());
            let status = self.get(&url).await.map(|r| r.status);
            if status != Ok(403) {
                let seen = status.map_or_else(|e| e, |s| s.to_string());
                return PERMISSIONS_ENFORCED.fail(format!("403 for {}", resource.path()), seen);
            }
        }
        PERMISSIONS_ENFORCED.pass()
    }
}

/// Judges `GET /accounts`; returns the spec and the account ids.
fn judge_list(r: &Result<RecordedResponse, String>) -> (Vec<SpecResult>, Vec<String>) {
    let body = match r {
        Ok(r) if r.status == 200 => r.json(),
        Ok(r) => Err(format!(
            "status {}: {}",
            r.status,
            r.body.chars().take(200).collect::<String>()
        )),
        Err(e) => Err(e.clone()),
    };
    let accounts = body.and_then(|b| {
        b.pointer("/Data/Account")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| "no `Data.Account` array".to_string())
    });
    let ids: Result<Vec<String>, String> = accounts.and_then(|list| {
        list.iter()
            .map(|a| {
                a["AccountId"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("an account without `AccountId`: {a}"))
            })
            .collect()
    });
    match ids {
        Ok(ids) if ids.is_empty() => (
            vec![LISTED.fail("at least one account", "an empty list")],
            ids,
        ),
        Ok(ids) => (
            vec![LISTED.pass_with(format!("{} accounts", ids.len()))],
            ids,
        ),
        Err(e) => (vec![LISTED.fail_because(e)], vec![]),
    }
}

/// Checks a balances or transactions page; returns its item count.
fn judge_items(r: &RecordedResponse, resource: AccountResource) -> Result<usize, String> {
    if r.status != 200 {
        return Err(format!("status {}", r.status));
    }
    let body = r.json()?;
    let key = list_key(resource);
    let items = body
        .pointer(&format!("/Data/{key}"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no `Data.{key}` array"))?;
    for item in items {
        if let Some(missing) = required(resource).iter().find(|f| item.get(**f).is_none()) {
            return Err(format!("a {key} without `{missing}`: {item}"));
        }
    }
    Ok(items.len())
}
