//! The client roles suites name (`client: jwt`) and what each must be in a
//! target profile. `probity plans --roles`, PLANS.md and README show this
//! table; `probity serve` writes a profile with every role.

use crate::suite::{client_roles, uses_default_client, Suite};

/// A client role and what the profile's client for it must be.
pub struct Role {
    /// The name steps use.
    pub name: &'static str,
    /// What it must be.
    pub must_be: &'static str,
}

/// Every role the shipped suites use, `default` first.
pub const ROLES: &[Role] = &[
    Role {
        name: "default",
        must_be: "the profile's `client:`: a confidential client (`client_secret_basic` or any method) with a `redirect_uri`, allowed the authorization code and client credentials grants",
    },
    Role {
        name: "post",
        must_be: "`client_secret_post`, with a `redirect_uri`; registered to sign its request objects, so an unsigned one is refused",
    },
    Role {
        name: "jwt",
        must_be: "`private_key_jwt` with a `signing_key`; signs request objects and client assertions; allowed PAR, CIBA and client credentials",
    },
    Role {
        name: "public",
        must_be: "a public client (`auth_method: none`) that uses PKCE",
    },
    Role {
        name: "mtls",
        must_be: "`tls_client_auth` with the profile's `tls.client_cert`; its access tokens are certificate-bound (RFC 8705)",
    },
    Role {
        name: "interactive",
        must_be: "a client whose authorizations go through the ASPSP's login and consent pages (the `form` driver) and whose grants the ASPSP remembers",
    },
    Role {
        name: "interactive-js",
        must_be: "a client whose login and consent pages need a real browser (the `browser` driver and the profile's `consent.pages`) and whose grants the ASPSP remembers",
    },
    Role {
        name: "fapi2",
        must_be: "a FAPI 2.0 client (`private_key_jwt` with a `signing_key`) the ASPSP holds to FAPI 2.0 SP: pushed requests only, PKCE S256, `response_type=code`, assertions addressed to the issuer. It stands in for the default client of the `fapi2` suite when the profile declares no `variant:`; with a FAPI 2 variant, the default client is used",
    },
    Role {
        name: "fapi2-second",
        must_be: "a second FAPI 2.0 client, registered like `fapi2`: its credentials must not redeem the first client's code or `request_uri`",
    },
    Role {
        name: "fapi2-mtls",
        must_be: "a FAPI 2.0 client that authenticates by `tls_client_auth` with the profile's `tls.client_cert`: the default client of a `client_auth: tls_client_auth` FAPI 2 variant",
    },
];

/// The roles table as markdown, with the scenarios that use each role.
pub fn table(suites: &[Suite]) -> String {
    let mut out = String::from("| role | must be | used by |\n|---|---|---|\n");
    for role in ROLES {
        let users: Vec<String> = suites
            .iter()
            .flat_map(|s| {
                s.scenarios
                    .iter()
                    .filter(|sc| uses(sc, role.name))
                    .map(move |sc| format!("`{}/{}`", s.name, sc.id.value))
            })
            .collect();
        let used_by = if users.is_empty() {
            "—".to_string()
        } else {
            users.join(", ")
        };
        out.push_str(&format!(
            "| `{}` | {} | {used_by} |\n",
            role.name, role.must_be
        ));
    }
    out
}

fn uses(scenario: &crate::suite::Scenario, role: &str) -> bool {
    let named = client_roles(scenario);
    if role == "default" {
        return uses_default_client(scenario) || named.contains("default");
    }
    named.contains(role)
}

/// Roles a suite names that this table does not describe.
pub fn undescribed(suites: &[Suite]) -> Vec<String> {
    let mut out: Vec<String> = suites
        .iter()
        .flat_map(|s| s.scenarios.iter().flat_map(client_roles))
        .filter(|r| !ROLES.iter().any(|d| d.name == r))
        .collect();
    out.sort();
    out.dedup();
    out
}
