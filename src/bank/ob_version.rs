//! The OBIE Read/Write API versions the bank serves, and what differs
//! between them for the resources it has.
//!
//! The bank keeps its consents and payments in the v3.1 vocabulary and
//! speaks each version's on the way out. v4.0 moved the statuses and
//! several enumerations to ISO 20022 codes and renamed two account fields
//! (the OBIE v3.1.11 and v4.0 OpenAPI files, `OBWriteDomesticConsentResponse5`,
//! `OBWriteDomesticResponse5`, `OBWritePaymentDetailsResponse1`,
//! `OBReadConsentResponse1`, `OBReadAccount6`, `OBReadBalance1`,
//! `OBReadTransaction6`); request bodies of the resources served here did
//! not change.

use serde_json::Value;

/// An OBIE Read/Write API version, as it appears in paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObVersion {
    /// `/open-banking/v3.1/…` (v3.1.11).
    V3_1,
    /// `/open-banking/v4.0/…`.
    V4_0,
}

/// What kind of resource a status belongs to: each has its own code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOf {
    /// A domestic payment consent.
    PaymentConsent,
    /// A domestic payment, or an entry of its payment details.
    Payment,
    /// An account-access consent.
    AccountConsent,
}

/// v3.1 status → v4.0 code, per kind. A status outside the table (a fault's
/// invented one) is sent as it is, and is as wrong in v4.0 as in v3.1.
const PAYMENT_CONSENT: &[(&str, &str)] = &[
    ("AwaitingAuthorisation", "AWAU"),
    ("Authorised", "AUTH"),
    ("Rejected", "RJCT"),
    ("Consumed", "COND"),
];
const PAYMENT: &[(&str, &str)] = &[
    ("Pending", "PDNG"),
    ("AcceptedSettlementInProcess", "ACSP"),
    ("AcceptedSettlementCompleted", "ACSC"),
    ("AcceptedCreditSettlementCompleted", "ACCC"),
    ("AcceptedWithoutPosting", "ACWP"),
    ("Rejected", "RJCT"),
];
const ACCOUNT_CONSENT: &[(&str, &str)] = &[
    ("AwaitingAuthorisation", "AWAU"),
    ("Authorised", "AUTH"),
    ("Rejected", "RJCT"),
    ("Revoked", "CANC"),
    ("Expired", "EXPD"),
];
/// `AccountSubType` (v3.1) → `AccountTypeCode` (v4.0, ISO 20022 `CashAccountType`).
/// Only the two the bank's accounts have.
const ACCOUNT_TYPE: &[(&str, &str)] = &[("CurrentAccount", "CACC"), ("Savings", "SVGS")];
/// Balance `Type` (v3.1) → ISO 20022 `BalanceType` code (v4.0).
const BALANCE_TYPE: &[(&str, &str)] = &[
    ("ClosingAvailable", "CLAV"),
    ("ClosingBooked", "CLBD"),
    ("ForwardAvailable", "FWAV"),
    ("Information", "INFO"),
    ("InterimAvailable", "ITAV"),
    ("InterimBooked", "ITBD"),
    ("OpeningAvailable", "OPAV"),
    ("OpeningBooked", "OPBD"),
    ("PreviouslyClosedBooked", "PRCD"),
    ("Expected", "XPCD"),
];
/// Transaction `Status` (v3.1) → ISO 20022 entry status (v4.0).
const TRANSACTION_STATUS: &[(&str, &str)] = &[
    ("Booked", "BOOK"),
    ("Pending", "PDNG"),
    ("Rejected", "RJCT"),
];

fn lookup(table: &[(&str, &str)], v3: &str) -> String {
    table
        .iter()
        .find(|(from, _)| *from == v3)
        .map_or(v3, |(_, to)| *to)
        .to_string()
}

impl ObVersion {
    /// Every version the bank serves.
    pub const ALL: [ObVersion; 2] = [ObVersion::V3_1, ObVersion::V4_0];

    /// The version segment of paths.
    pub fn segment(self) -> &'static str {
        match self {
            ObVersion::V3_1 => "v3.1",
            ObVersion::V4_0 => "v4.0",
        }
    }

    /// The payment initiation API's base path.
    pub fn pisp(self) -> String {
        format!("/open-banking/{}/pisp", self.segment())
    }

    /// The account information API's base path.
    pub fn aisp(self) -> String {
        format!("/open-banking/{}/aisp", self.segment())
    }

    fn iso(self, table: &[(&str, &str)], v3: &str) -> String {
        match self {
            ObVersion::V3_1 => v3.to_string(),
            ObVersion::V4_0 => lookup(table, v3),
        }
    }

    /// A status (kept in the v3.1 vocabulary) as this version names it.
    pub fn status(self, of: StatusOf, v3: &str) -> String {
        let table = match of {
            StatusOf::PaymentConsent => PAYMENT_CONSENT,
            StatusOf::Payment => PAYMENT,
            StatusOf::AccountConsent => ACCOUNT_CONSENT,
        };
        self.iso(table, v3)
    }

    /// A resource's `Data` with its `Status` in this version's vocabulary.
    pub fn with_status(self, of: StatusOf, data: &Value) -> Value {
        let mut data = data.clone();
        if let Some(Value::String(s)) = data.get("Status") {
            let status = self.status(of, s);
            super::fields::set(&mut data, "Status", Value::String(status));
        }
        data
    }

    /// An account's type fields: `AccountType`/`AccountSubType` in v3.1,
    /// `AccountCategory`/`AccountTypeCode` in v4.0.
    pub fn account_type(self, category: &str, sub_type: &str) -> [(&'static str, String); 2] {
        match self {
            ObVersion::V3_1 => [
                ("AccountType", category.to_string()),
                ("AccountSubType", sub_type.to_string()),
            ],
            ObVersion::V4_0 => [
                ("AccountCategory", category.to_string()),
                ("AccountTypeCode", lookup(ACCOUNT_TYPE, sub_type)),
            ],
        }
    }

    /// A balance `Type`.
    pub fn balance_type(self, v3: &str) -> String {
        self.iso(BALANCE_TYPE, v3)
    }

    /// A transaction `Status`.
    pub fn transaction_status(self, v3: &str) -> String {
        self.iso(TRANSACTION_STATUS, v3)
    }
}

#[cfg(test)]
mod tests {
    use super::{ObVersion, StatusOf};
    use serde_json::json;

    #[test]
    fn v3_1_keeps_its_words_and_v4_0_speaks_iso_20022() {
        let data = json!({ "ConsentId": "c", "Status": "AwaitingAuthorisation" });
        assert_eq!(
            ObVersion::V3_1.with_status(StatusOf::PaymentConsent, &data),
            data
        );
        assert_eq!(
            ObVersion::V4_0.with_status(StatusOf::PaymentConsent, &data)["Status"],
            "AWAU"
        );
        assert_eq!(
            ObVersion::V4_0.status(StatusOf::Payment, "AcceptedSettlementCompleted"),
            "ACSC"
        );
        assert_eq!(
            ObVersion::V4_0.status(StatusOf::AccountConsent, "Revoked"),
            "CANC"
        );
        assert_eq!(ObVersion::V4_0.balance_type("InterimAvailable"), "ITAV");
        assert_eq!(ObVersion::V4_0.transaction_status("Booked"), "BOOK");
        assert_eq!(
            ObVersion::V4_0.account_type("Personal", "CurrentAccount"),
            [
                ("AccountCategory", "Personal".to_string()),
                ("AccountTypeCode", "CACC".to_string())
            ]
        );
    }

    #[test]
    fn a_status_outside_the_model_stays_as_wrong_as_it_was() {
        assert_eq!(
            ObVersion::V4_0.status(StatusOf::Payment, "Settled"),
            "Settled"
        );
    }
}
