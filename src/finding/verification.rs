//! What a live check of a finding concluded: the outcome, the owner and
//! the key's state. Filled in by `verify`, carried by a [`Finding`](super::Finding)
//! into every report. Fields may be added; existing ones keep their names.

use serde::{Deserialize, Serialize};

/// What a live check concluded. Never a bool: "could not tell" is not "dead".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The credential authenticates.
    Live,
    /// Tencent says it does not: the SecretId is unknown, deleted or
    /// disabled (or a temporary credential expired).
    NotLive,
    /// The SecretId exists but the SecretKey found with it is not its key
    /// (`AuthFailure.SignatureFailure`): the id may well be live.
    WrongKey,
    /// No answer could be had (network, throttling, clock skew...).
    Unknown,
    /// Not checked (no key to sign with, not a verifiable rule...).
    Skipped,
}

/// An access key's status in CAM, as `ListAccessKeys` shows it and
/// `UpdateAccessKey` sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Disabled (reversible).
    Inactive,
}

impl KeyStatus {
    /// Tencent's spelling: `Active` or `Inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    /// Reads Tencent's spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<KeyStatus> {
        match s {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

impl std::fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns a key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The account's AppId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
    /// The root account's UIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_uin: Option<String>,
    /// The UIN the key belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uin: Option<String>,
    /// `root`, `sub-user`, `collaborator`, `role`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Sub-user name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The caller's ARN (GetCallerIdentity): for temporary credentials the
    /// assumed role's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The role id of temporary role credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

/// The result of checking one credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The conclusion.
    pub outcome: Outcome,
    /// One line saying why (Tencent's error code, "wrong SecretKey", ...).
    pub detail: String,
    /// Tencent's RequestId of the deciding call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Owner, when it could be found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// `Active` / `Inactive`, from an auditor's ListAccessKeys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
    /// When the key was created, from an auditor's ListAccessKeys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the key was last used (GetSecurityLastUsed), in UTC: the
    /// precise `LastSecretUsedDate` as `YYYY-MM-DDThh:mm:ssZ`, else the
    /// day-lagged `LastUsedDate` as `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// Where `last_used` comes from and what it may include (keyhound's own
    /// check, when it was read with the found key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_note: Option<String>,
    /// The auditor's GetSecurityLastUsed had no date for the key: never
    /// used (keyhound's own checks, when recognised, do not count).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_used: bool,
    /// The calls keyhound signed with this key, this run's and those
    /// earlier runs recorded, so a later run given this report leaves them
    /// out of the key's activity and last use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyhound_calls: Vec<SignedCheck>,
    /// For a live key in auditor mode: what it did, can do and left
    /// behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<super::incident::Incident>,
}

/// One call keyhound signed with a found key, as a later run needs it to
/// recognise the call in CloudAudit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SignedCheck {
    /// When it was signed (`X-TC-Timestamp`), RFC 3339 UTC.
    pub time: String,
    /// The action.
    pub action: String,
    /// Tencent's RequestId of the answer, when one came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// How keyhound named itself (`X-TC-RequestClient`).
    pub client: String,
}
