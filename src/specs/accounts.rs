//! Specs of the account information APIs (OBIE Read/Write AIS, FAPI 1).

const ACCOUNTS: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/resources-and-data-models/aisp/accounts.html";
const BALANCES: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/resources-and-data-models/aisp/balances.html";
const TRANSACTIONS: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/resources-and-data-models/aisp/transactions.html";
const PERMISSIONS: &str = "https://openbankinguk.github.io/read-write-api-site3/v3.1.11/resources-and-data-models/aisp/account-access-consents.html#permissions";
const FAPI_6_2_1: &str =
    "https://openid.net/specs/openid-financial-api-part-1-1_0.html#protected-resources-provisions";

use super::{Rule::NotApplicable, PLAIN_OIDC};

specs! {
    /// Every account information spec.
    area ACCOUNT_INFO;

    LISTED = "accounts.listed", Failure, "OBIE-RW-AIS-ACCOUNTS", ACCOUNTS,
        "should list the PSU's accounts, each with an `AccountId`, for an authorised consent";

    BALANCES_RETURNED = "accounts.balances", Failure, "OBIE-RW-AIS-BALANCES", BALANCES,
        "should return each account's balances with `Amount`, `CreditDebitIndicator`, `Type` and `DateTime`";

    TRANSACTIONS_RETURNED = "accounts.transactions", Failure, "OBIE-RW-AIS-TRANSACTIONS",
        TRANSACTIONS,
        "should return each account's transactions with `Amount`, `CreditDebitIndicator`, `Status` and `BookingDateTime`";

    PERMISSIONS_ENFORCED = "accounts.permissions_enforced", Failure, "OBIE-RW-AIS-PERMISSIONS",
        PERMISSIONS,
        "should refuse (403) resources the consent's permissions do not cover";

    INTERACTION_ID = "accounts.interaction_id", Failure, "FAPI1-BASELINE-6.2.1-11", FAPI_6_2_1,
        "should send back the `x-fapi-interaction-id` the client sent",
        under: &[(PLAIN_OIDC, NotApplicable)];
}
