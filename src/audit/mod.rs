//! Reviewing a whole Tencent Cloud account's API keys against Tencent's own
//! advice: the account snapshot the checks read, the stable check ids, and
//! the problems and "not checked" answers they give. Pure: no I/O here; the
//! snapshot is fetched by [`crate::verify::tencent::snapshot`].

pub mod checks;
mod duties;
pub mod policy;
pub mod powers;
pub mod report;

use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// The checks, by their stable, documented ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum CheckId {
    /// The root account has an active API key.
    #[serde(rename = "root-key-active")]
    RootKeyActive,
    /// An active key not used for too long (or never, and old).
    #[serde(rename = "key-unused")]
    KeyUnused,
    /// An active key older than the rotation limit.
    #[serde(rename = "key-not-rotated")]
    KeyNotRotated,
    /// A disabled key still kept.
    #[serde(rename = "key-disabled")]
    KeyDisabled,
    /// An identity at the two-key limit.
    #[serde(rename = "user-two-keys")]
    UserTwoKeys,
    /// A key holder with no MFA, neither on login nor on sensitive operations.
    #[serde(rename = "mfa-off")]
    MfaOff,
    /// MFA on sensitive operations but not on login.
    #[serde(rename = "mfa-login-off")]
    MfaLoginOff,
    /// MFA on login but not on sensitive operations.
    #[serde(rename = "mfa-operation-off")]
    MfaOperationOff,
    /// A key held by an identity with full administrative policies.
    #[serde(rename = "admin-key")]
    AdminKey,
    /// One identity with both console login and API keys.
    #[serde(rename = "console-and-api")]
    ConsoleAndApi,
    /// A key holder's policies attached to it directly, not through groups.
    #[serde(rename = "policy-not-via-group")]
    PolicyNotViaGroup,
    /// One key holder manages users and permissions and other resources.
    #[serde(rename = "duties-not-separated")]
    DutiesNotSeparated,
    /// A key holder's broad grant not limited to source addresses.
    #[serde(rename = "policy-condition-missing")]
    PolicyConditionMissing,
    /// Tencent's Cloud Security Center has an open alarm about a key.
    #[serde(rename = "tencent-alarm-open")]
    TencentAlarmOpen,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 14] = [
        CheckId::RootKeyActive,
        CheckId::KeyUnused,
        CheckId::KeyNotRotated,
        CheckId::KeyDisabled,
        CheckId::UserTwoKeys,
        CheckId::MfaOff,
        CheckId::MfaLoginOff,
        CheckId::MfaOperationOff,
        CheckId::AdminKey,
        CheckId::ConsoleAndApi,
        CheckId::PolicyNotViaGroup,
        CheckId::DutiesNotSeparated,
        CheckId::PolicyConditionMissing,
        CheckId::TencentAlarmOpen,
    ];

    /// The stable id (`root-key-active`, ...).
    pub fn id(self) -> &'static str {
        match self {
            CheckId::RootKeyActive => "root-key-active",
            CheckId::KeyUnused => "key-unused",
            CheckId::KeyNotRotated => "key-not-rotated",
            CheckId::KeyDisabled => "key-disabled",
            CheckId::UserTwoKeys => "user-two-keys",
            CheckId::MfaOff => "mfa-off",
            CheckId::MfaLoginOff => "mfa-login-off",
            CheckId::MfaOperationOff => "mfa-operation-off",
            CheckId::AdminKey => "admin-key",
            CheckId::ConsoleAndApi => "console-and-api",
            CheckId::PolicyNotViaGroup => "policy-not-via-group",
            CheckId::TencentAlarmOpen => "tencent-alarm-open",
            CheckId::DutiesNotSeparated => "duties-not-separated",
            CheckId::PolicyConditionMissing => "policy-condition-missing",
        }
    }

    /// The check named `id`.
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.id() == id)
    }

    /// One line saying what the check flags.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::RootKeyActive => "The root account has an active API key",
            CheckId::KeyUnused => "An active API key has not been used for a long time",
            CheckId::KeyNotRotated => "An active API key has not been rotated",
            CheckId::KeyDisabled => "A disabled API key is still kept",
            CheckId::UserTwoKeys => "An identity holds two API keys, the most Tencent allows",
            CheckId::MfaOff => "An API key holder has no MFA on login or on sensitive operations",
            CheckId::MfaLoginOff => "An API key holder has no MFA on login",
            CheckId::MfaOperationOff => "An API key holder has no MFA on sensitive operations",
            CheckId::AdminKey => {
                "An API key is held by an identity with full administrative policies"
            }
            CheckId::ConsoleAndApi => "One identity has both console login and API keys",
            CheckId::PolicyNotViaGroup => {
                "An API key holder has policies attached directly instead of through groups"
            }
            CheckId::TencentAlarmOpen => {
                "Tencent's Cloud Security Center has an open alarm about an API key"
            }
            CheckId::DutiesNotSeparated => {
                "One API key holder manages users and permissions and other resources at once"
            }
            CheckId::PolicyConditionMissing => {
                "An API key holder's broad permissions are not limited to source addresses"
            }
        }
    }

    /// What Tencent's CAM documentation advises doing about it.
    pub fn advice(self) -> &'static str {
        match self {
            CheckId::RootKeyActive => {
                "Tencent advises against API keys for the root account: create a sub-user with \
                 only the permissions the program needs, move the program to its key, then \
                 disable and delete the root key."
            }
            CheckId::KeyUnused => {
                "Disable keys nobody uses, and delete them once you are sure nothing needs them; \
                 an unused key is only a liability."
            }
            CheckId::KeyNotRotated => {
                "Tencent advises changing keys regularly: create a new key, move its users to it, \
                 then disable and delete the old one."
            }
            CheckId::KeyDisabled => {
                "A disabled key can be re-enabled by anyone allowed to: delete it once you are \
                 sure nothing needs it."
            }
            CheckId::UserTwoKeys => {
                "Tencent allows two keys per identity, so there is no room to rotate: delete the \
                 key that is no longer needed before creating its replacement."
            }
            CheckId::MfaOff => {
                "Tencent advises MFA for login and for sensitive operations: turn on login \
                 protection and operation protection for this user (CAM console, user \
                 security settings)."
            }
            CheckId::MfaLoginOff => {
                "Tencent advises MFA for login: turn on login protection for this identity \
                 (CAM console, user security settings; the root account's under Account \
                 Center, security settings)."
            }
            CheckId::MfaOperationOff => {
                "Tencent advises MFA for sensitive operations: turn on operation protection for \
                 this identity (CAM console, user security settings; the root account's under \
                 Account Center, security settings)."
            }
            CheckId::PolicyNotViaGroup => {
                "Tencent advises using groups to assign permissions: put the user in a group \
                 holding the policy and detach it from the user, so permissions are reviewed \
                 and revoked per group."
            }
            CheckId::TencentAlarmOpen => {
                "Tencent saw this key leak or make abnormal calls: treat it as compromised, \
                 disable it (keyhound disable), review what it did (keyhound verify --audit), \
                 then mark the alarm handled in Cloud Security Center."
            }
            CheckId::AdminKey => {
                "Grant least privilege: give the program a sub-user with only the policies it \
                 needs, and keep administrative rights to people who sign in with MFA."
            }
            CheckId::ConsoleAndApi => {
                "Keep people and programs apart: a person signs in to the console, a program \
                 uses a separate sub-user with programmatic access only."
            }
            CheckId::DutiesNotSeparated => {
                "Tencent advises separating user management, permission management and resource \
                 management: give CAM administration and the management of other resources to \
                 different sub-users, so no one account can both change resources and grant \
                 itself the rights to."
            }
            CheckId::PolicyConditionMissing => {
                "Tencent advises policy conditions for extra security: limit the broad grants of \
                 an API key's policies to the addresses its program calls from (condition \
                 ip_equal on qcs:ip, or qcs:vpc), or deny every action from other addresses."
            }
        }
    }

    /// Whether the check looks at one key (else at an identity).
    pub fn per_key(self) -> bool {
        matches!(
            self,
            CheckId::RootKeyActive
                | CheckId::KeyUnused
                | CheckId::KeyNotRotated
                | CheckId::KeyDisabled
                | CheckId::AdminKey
                | CheckId::TencentAlarmOpen
        )
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What kind of identity holds keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// The account owner.
    Root,
    /// A sub-user of the account.
    SubUser,
    /// A collaborator (another account's owner working in this one).
    Collaborator,
    /// A WeCom (WeChat Work) sub-user (`ListAccounts` `WechatCorpUser`).
    WecomUser,
    /// An identity-centre user (`ListAccounts` `CICUser`).
    CicUser,
    /// An agent identity (`ListAccounts` `AgentIdentity`).
    AgentIdentity,
    /// Any other identity type `ListAccounts` lists.
    OtherUser,
}

impl IdentityKind {
    /// `root`, `sub-user`, `collaborator`.
    pub fn name(self) -> &'static str {
        match self {
            IdentityKind::Root => "root",
            IdentityKind::SubUser => "sub-user",
            IdentityKind::Collaborator => "collaborator",
            IdentityKind::WecomUser => "wecom-user",
            IdentityKind::CicUser => "cic-user",
            IdentityKind::AgentIdentity => "agent-identity",
            IdentityKind::OtherUser => "user",
        }
    }
}

/// Why something could not be read: the action, the CAM permission it
/// needs, and what Tencent answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The action that failed (`ListAccessKeys`).
    pub action: String,
    /// What would let the auditor answer (`cam:ListAccessKeys`, or root
    /// credentials).
    pub needs: String,
    /// Tencent's answer or the transport error.
    pub reason: String,
}

/// Something read from the account, or why it could not be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact<T> {
    /// Read.
    Known(T),
    /// Not readable with the auditor's permissions (or the call failed).
    Unknown(Gap),
}

impl<T> Fact<T> {
    /// The value, or the gap.
    pub fn as_result(&self) -> Result<&T, &Gap> {
        match self {
            Fact::Known(v) => Ok(v),
            Fact::Unknown(g) => Err(g),
        }
    }
}

pub use crate::finding::verification::KeyStatus;

/// One access key of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    /// The full SecretId (shortened in reports unless asked).
    pub id: String,
    /// Active or Inactive.
    pub state: KeyStatus,
    /// Creation time, unix seconds, when Tencent gave one.
    pub created: Option<i64>,
    /// Last use, unix seconds (`None`: never used).
    pub last_used: Fact<Option<i64>>,
}

/// MFA methods on for login and for sensitive operations
/// (DescribeSafeAuthFlagColl's `LoginFlag` and `ActionFlag`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mfa {
    /// Methods asked at login (`Phone`, `Stoken`, ...).
    pub login: Vec<String>,
    /// Methods asked before sensitive operations.
    pub action: Vec<String>,
}

/// A policy an identity holds, and what it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// CAM policy id.
    pub id: u64,
    /// Policy name.
    pub name: String,
    /// Groups it comes through (empty: attached to the user directly).
    pub via_groups: Vec<String>,
    /// Whether it is full administrative access, and why.
    pub admin: Fact<Option<String>>,
    /// What it lets its holder change, and which broad grants are not
    /// limited to source addresses.
    pub powers: Fact<powers::Powers>,
}

/// An identity of the account and what the checks need about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// UIN.
    pub uin: String,
    /// Name (sub-users and collaborators).
    pub name: Option<String>,
    /// Root, sub-user or collaborator.
    pub kind: IdentityKind,
    /// Whether it may sign in to the console.
    pub console_login: Fact<bool>,
    /// Its access keys.
    pub keys: Fact<Vec<AccessKey>>,
    /// MFA settings (read only for identities holding an active key).
    pub mfa: Option<Fact<Mfa>>,
    /// Attached policies, direct and through groups (read only for
    /// identities holding an active key).
    pub policies: Option<Fact<Vec<AttachedPolicy>>>,
}

impl Identity {
    /// Whether it is known to hold an active key.
    pub fn holds_active_key(&self) -> bool {
        matches!(&self.keys, Fact::Known(ks) if ks.iter().any(|k| k.state == KeyStatus::Active))
    }
}

/// What was read of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The root account's UIN.
    pub owner_uin: String,
    /// The account's AppId.
    pub app_id: Option<u64>,
    /// The auditor's own UIN.
    pub auditor_uin: String,
    /// Root first, then sub-users and collaborators.
    pub identities: Vec<Identity>,
    /// Account-wide reads that failed (the sub-user or collaborator list).
    pub gaps: Vec<Gap>,
    /// Open Cloud Security Center alarms by SecretId, one line each (read
    /// only when `tencent-alarm-open` runs).
    pub alarms: Option<Fact<std::collections::BTreeMap<String, Vec<String>>>>,
}

/// Thresholds and the checks to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The checks to run.
    pub checks: BTreeSet<CheckId>,
    /// `--max-unused DAYS`.
    pub max_unused_days: u32,
    /// `--max-key-age DAYS`.
    pub max_key_age_days: u32,
    /// "Now", unix seconds.
    pub now: i64,
}

impl Settings {
    /// Every check, default thresholds (90 days each).
    pub fn new(now: i64) -> Settings {
        Settings {
            checks: CheckId::ALL.into_iter().collect(),
            max_unused_days: 90,
            max_key_age_days: 90,
            now,
        }
    }

    /// Whether `c` runs.
    pub fn runs(&self, c: CheckId) -> bool {
        self.checks.contains(&c)
    }
}

/// Who a problem is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Subject {
    /// Root, sub-user or collaborator.
    #[serde(rename = "type")]
    pub kind: IdentityKind,
    /// UIN.
    pub uin: String,
    /// Name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Subject {
    /// The subject naming `i`.
    pub fn of(i: &Identity) -> Subject {
        Subject {
            kind: i.kind,
            uin: i.uin.clone(),
            name: i.name.clone(),
        }
    }

    /// `sub-user alice (100000000011)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n} ({})", self.kind.name(), self.uin),
            None => format!("{} ({})", self.kind.name(), self.uin),
        }
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The check.
    pub check: CheckId,
    /// Who.
    pub identity: Subject,
    /// The keys concerned (full SecretIds; reports shorten them): one for
    /// per-key checks, all the identity's keys otherwise.
    pub keys: Vec<String>,
    /// What was seen (dates, policies, flags).
    pub evidence: String,
}

/// A check that could not be answered for an identity (or at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotChecked {
    /// The check.
    pub check: CheckId,
    /// Who (`None`: account-wide).
    pub identity: Option<Subject>,
    /// What failed and what would fix it.
    pub gap: Gap,
}

/// The outcome of an audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// The root account's UIN.
    pub owner_uin: String,
    /// The account's AppId.
    pub app_id: Option<u64>,
    /// The auditor's UIN.
    pub auditor_uin: String,
    /// The settings used.
    pub settings: Settings,
    /// Identities looked at.
    pub identities: usize,
    /// Keys looked at.
    pub keys: usize,
    /// Problems, sorted by check, identity, key.
    pub problems: Vec<Problem>,
    /// Checks not answered, sorted the same way.
    pub not_checked: Vec<NotChecked>,
}

/// `tencent-alarm-open`: each key of the account with an open alarm.
fn alarms(
    snapshot: &Snapshot,
    settings: &Settings,
    problems: &mut Vec<Problem>,
    not_checked: &mut Vec<NotChecked>,
) {
    if !settings.runs(CheckId::TencentAlarmOpen) {
        return;
    }
    match &snapshot.alarms {
        None => {}
        Some(Fact::Unknown(gap)) => not_checked.push(NotChecked {
            check: CheckId::TencentAlarmOpen,
            identity: None,
            gap: gap.clone(),
        }),
        Some(Fact::Known(by_key)) => {
            for i in &snapshot.identities {
                for k in i.keys.as_result().into_iter().flatten() {
                    if let Some(lines) = by_key.get(&k.id) {
                        problems.push(Problem {
                            check: CheckId::TencentAlarmOpen,
                            identity: Subject::of(i),
                            keys: vec![k.id.clone()],
                            evidence: lines.join("; "),
                        });
                    }
                }
            }
        }
    }
}

/// Runs the chosen checks over a snapshot.
pub fn run(snapshot: &Snapshot, settings: &Settings) -> Audit {
    let mut problems = Vec::new();
    let mut not_checked = Vec::new();
    for identity in &snapshot.identities {
        checks::identity(identity, settings, &mut problems, &mut not_checked);
    }
    alarms(snapshot, settings, &mut problems, &mut not_checked);
    for gap in &snapshot.gaps {
        for &check in &settings.checks {
            not_checked.push(NotChecked {
                check,
                identity: None,
                gap: gap.clone(),
            });
        }
    }
    problems.sort_by(|a, b| {
        (a.check, &a.identity, &a.keys, &a.evidence).cmp(&(
            b.check,
            &b.identity,
            &b.keys,
            &b.evidence,
        ))
    });
    not_checked.sort_by(|a, b| {
        (a.check, &a.identity, &a.gap.action).cmp(&(b.check, &b.identity, &b.gap.action))
    });
    not_checked.dedup();
    let keys = snapshot
        .identities
        .iter()
        .filter_map(|i| i.keys.as_result().ok())
        .map(Vec::len)
        .sum();
    Audit {
        owner_uin: snapshot.owner_uin.clone(),
        app_id: snapshot.app_id,
        auditor_uin: snapshot.auditor_uin.clone(),
        settings: settings.clone(),
        identities: snapshot.identities.len(),
        keys,
        problems,
        not_checked,
    }
}
