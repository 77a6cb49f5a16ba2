//! State-changing calls: disabling and re-enabling leaked keys, dry run by
//! default, every action journaled. Reached only from the `disable`,
//! `enable` and `respond` commands.
//!
//! Tencent Cloud keys through CAM, Alibaba Cloud keys through RAM (one
//! [`KeyApi`]). Only keys that the auditor's own account lists
//! (ListAccessKeys) are touched, never the auditor's own credentials, and never deleted: a key is
//! set `Inactive` (reversible) and checked again afterwards. Following
//! Kingfisher's revoker stance, a timed-out UpdateAccessKey is not retried:
//! the post-check tells what happened.

pub mod journal;
pub mod unlisted;

use crate::finding::{KeyStatus, Secret, SecretKind, redact};
use crate::rule::echo::redact_ids;
use crate::verify::alibaba::ram::Ram;
use crate::verify::tencent::account_index::{AccountIndex, KeyInfo};
use crate::verify::tencent::client::{Action, CallError, Client, Credential};
use journal::{Cloud, Entry, EntryResult, Journal};
use serde_json::{Value, json};

/// The status change asked for; journaled as `disable` / `enable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Set `Inactive`.
    Disable,
    /// Set `Active` again.
    Enable,
}

impl Change {
    /// The status this change sets.
    pub fn status(self) -> KeyStatus {
        match self {
            Change::Disable => KeyStatus::Inactive,
            Change::Enable => KeyStatus::Active,
        }
    }

    /// `disable` / `enable`, as the user typed it.
    pub fn verb(self) -> &'static str {
        match self {
            Change::Disable => "disable",
            Change::Enable => "enable",
        }
    }
}

/// A key named by the user: a full or shortened SecretId and where it came from.
#[derive(Clone, Debug)]
pub struct Target {
    /// Full or shortened SecretId.
    pub id: String,
    /// `finding 1a2b…`, `--secret-id`, `journal`.
    pub origin: String,
    /// The SecretKey found with it, to tell a dead key from another
    /// account's when the auditor's account does not list it.
    pub key: Option<Secret>,
    /// The session token found with it.
    pub token: Option<Secret>,
    /// Where the journal says the key belongs; checked against the
    /// account before anything is done.
    pub claimed: Option<Claimed>,
}

/// The account and UIN a journal entry names for a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    /// The root account's UIN.
    pub owner_uin: String,
    /// The UIN the key belongs to.
    pub uin: String,
}

/// What will happen to one target.
#[derive(Clone, Debug)]
pub enum Step {
    /// The status will be changed.
    Change(KeyInfo),
    /// The key already has the wanted status.
    NothingToDo(KeyInfo),
    /// Not touched, and why.
    Refused(String),
    /// Not in the account and not live (checked with its own SecretKey):
    /// nothing to do.
    NotLive(String),
    /// Live, and a key of another account: refused, with the owner to
    /// notify.
    Foreign(crate::verify::Owner),
}

/// One line of a plan.
#[derive(Clone, Debug)]
pub struct PlanItem {
    /// The target.
    pub target: Target,
    /// What happens.
    pub step: Step,
}

/// Plans `change` for `targets` against the auditor's account.
pub fn plan(index: &AccountIndex, targets: &[Target], change: Change) -> Vec<PlanItem> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in targets {
        let claim = t.claimed.as_ref();
        let step = match index.resolve(&t.id) {
            _ if claim.is_some_and(|c| c.owner_uin != index.owner_uin) => Step::Refused(format!(
                "the journal names account {}, not the auditor's account {}: not touched",
                claim.map_or("", |c| c.owner_uin.as_str()),
                index.owner_uin
            )),
            Err(e) => Step::Refused(format!("{e}: only keys of your own account are touched")),
            Ok(k) if claim.is_some_and(|c| c.uin != k.uin) => Step::Refused(format!(
                "the journal says uin {}, but the account lists this key under uin {}: \
                 not touched",
                claim.map_or("", |c| c.uin.as_str()),
                k.uin
            )),
            Ok(k) if !seen.insert(k.id.clone()) => continue,
            Ok(k) if k.id == index.auditor_id => Step::Refused(
                "these are the credentials keyhound is running with; use other ones".to_string(),
            ),
            Ok(k) if k.status == change.status() => Step::NothingToDo(k.clone()),
            Ok(k) => Step::Change(k.clone()),
        };
        out.push(PlanItem {
            target: t.clone(),
            step,
        });
    }
    out
}

/// The shortened form of a SecretId used in journals and output.
pub fn short(id: &str) -> String {
    redact(id, SecretKind::Identifier)
}

fn target_uin(k: &KeyInfo) -> Value {
    k.uin.parse::<u64>().map_or(json!(k.uin), |n| json!(n))
}

/// The calls a status change needs from the provider that holds the key.
pub trait KeyApi {
    /// Whose keys these are, as the journal records it.
    fn cloud(&self) -> Cloud;
    /// The status the account lists for `k` now (`None`: not listed).
    fn status(&self, k: &KeyInfo) -> Result<Option<KeyStatus>, String>;
    /// Sets `k`'s status with `UpdateAccessKey`, sent once: the RequestId,
    /// or what failed and the RequestId of the failure.
    fn update(
        &self,
        k: &KeyInfo,
        status: KeyStatus,
    ) -> Result<Option<String>, (String, Option<String>)>;
}

/// Tencent Cloud's CAM, called with the auditor's credentials.
pub struct TencentKeys<'a> {
    /// The client.
    pub client: &'a Client,
    /// The auditor's credentials.
    pub auditor: &'a Credential,
}

impl KeyApi for TencentKeys<'_> {
    fn cloud(&self) -> Cloud {
        Cloud::Tencent
    }

    /// ListAccessKeys of the key's UIN.
    fn status(&self, k: &KeyInfo) -> Result<Option<KeyStatus>, String> {
        let a = self
            .client
            .call(
                self.auditor,
                Action::ListAccessKeys,
                &json!({ "TargetUin": target_uin(k) }),
            )
            .map_err(|e| error_text(&e))?;
        let Some(listed) = a
            .body
            .get("AccessKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|x| x.get("AccessKeyId").and_then(Value::as_str) == Some(&k.id))
        else {
            return Ok(None);
        };
        let status = listed.get("Status").and_then(Value::as_str).unwrap_or("");
        KeyStatus::parse(status)
            .map(Some)
            .ok_or_else(|| format!("ListAccessKeys shows status {status:?}"))
    }

    fn update(
        &self,
        k: &KeyInfo,
        status: KeyStatus,
    ) -> Result<Option<String>, (String, Option<String>)> {
        let mut params = json!({ "AccessKeyId": k.id, "Status": status });
        if k.principal != "root" {
            params["TargetUin"] = target_uin(k);
        }
        match self
            .client
            .call(self.auditor, Action::UpdateAccessKey, &params)
        {
            Ok(a) => Ok(Some(a.request_id)),
            Err(e) => {
                let rid = match &e {
                    CallError::Api(a) => Some(a.request_id.clone()),
                    _ => None,
                };
                Err((error_text(&e), rid))
            }
        }
    }
}

/// Alibaba Cloud's RAM, called with the auditor's AccessKey.
impl KeyApi for Ram {
    fn cloud(&self) -> Cloud {
        Cloud::Alibaba
    }

    fn status(&self, k: &KeyInfo) -> Result<Option<KeyStatus>, String> {
        Ram::status(self, k).map_err(|e| e.to_string())
    }

    fn update(
        &self,
        k: &KeyInfo,
        status: KeyStatus,
    ) -> Result<Option<String>, (String, Option<String>)> {
        Ram::update(self, k, status).map_err(|e| (e.to_string(), e.request_id))
    }
}

/// How a failed call reads in the journal and on the terminal: the error
/// once (its RequestId is journaled on its own), SecretIds shortened.
fn error_text(e: &CallError) -> String {
    let text = match e {
        CallError::Api(a) => format!("{}: {}", a.code, a.message),
        other => other.to_string(),
    };
    redact_ids(&text).into_owned()
}

/// Carries out the `Change` steps of a plan: pre-check, an `intent` entry
/// written and synced, UpdateAccessKey, post-check, the outcome entry. The
/// journal is opened before the first call; a journal that cannot be
/// written stops the run before the key is touched. Returns the outcomes.
pub fn apply(
    api: &dyn KeyApi,
    index: &AccountIndex,
    plan: &[PlanItem],
    change: Change,
    journal: &mut Journal,
) -> Result<Vec<Entry>, journal::JournalError> {
    let mut done = Vec::new();
    for item in plan {
        let Step::Change(k) = &item.step else {
            continue;
        };
        let log = |result: EntryResult, detail: Option<String>, rid: Option<String>| {
            record(api.cloud(), index, k, change, result, detail, rid)
        };
        let refused = match api.status(k) {
            Ok(Some(s)) if s == change.status() => continue,
            Ok(Some(_)) => None,
            Ok(None) => Some("the key is no longer listed".to_string()),
            Err(e) => Some(format!("pre-check failed: {e}")),
        };
        if let Some(why) = refused {
            let entry = log(EntryResult::Failed, Some(why), None);
            journal.append(&entry)?;
            done.push(entry);
            continue;
        }
        let intent = format!(
            "UpdateAccessKey Status={} about to be sent",
            change.status()
        );
        journal.append(&log(EntryResult::Intent, Some(intent), None))?;
        let entry = match api.update(k, change.status()) {
            Err((why, rid)) => {
                // Even a timeout may have been applied: journal what the
                // post-check sees, so enable can undo what did happen.
                match api.status(k) {
                    Ok(Some(s)) if s == change.status() => log(
                        EntryResult::Confirmed,
                        Some(format!(
                            "UpdateAccessKey failed ({why}), but the post-check shows status {s}"
                        )),
                        rid,
                    ),
                    Ok(s) => log(
                        EntryResult::Failed,
                        Some(format!(
                            "{why}; the post-check shows status {}",
                            s.map_or("missing", KeyStatus::as_str)
                        )),
                        rid,
                    ),
                    Err(post) => log(
                        EntryResult::Unconfirmed,
                        Some(format!("{why}; the post-check failed too: {post}")),
                        rid,
                    ),
                }
            }
            Ok(rid) => match api.status(k) {
                Ok(Some(s)) if s == change.status() => log(EntryResult::Confirmed, None, rid),
                Ok(s) => log(
                    EntryResult::Unconfirmed,
                    Some(format!(
                        "post-check shows status {}",
                        s.map_or("missing", KeyStatus::as_str)
                    )),
                    rid.clone(),
                ),
                Err(e) => log(
                    EntryResult::Unconfirmed,
                    Some(format!("post-check failed: {e}")),
                    rid.clone(),
                ),
            },
        };
        journal.append(&entry)?;
        done.push(entry);
    }
    Ok(done)
}

fn record(
    cloud: Cloud,
    index: &AccountIndex,
    k: &KeyInfo,
    change: Change,
    result: EntryResult,
    detail: Option<String>,
    request_id: Option<String>,
) -> Entry {
    Entry {
        cloud,
        time: journal::now_rfc3339(),
        key: short(&k.id),
        owner_uin: index.owner_uin.clone(),
        uin: k.uin.clone(),
        action: change,
        result,
        detail: detail.map(|d| redact_ids(&d).into_owned()),
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const OWN: &str = "AKIDownownownownownownownownown00001";
    const SUB: &str = "AKIDsubsubsubsubsubsubsubsubsub00002";
    const OLD: &str = "AKIDoldoldoldoldoldoldoldoldold00003";

    fn index() -> AccountIndex {
        let mut keys = BTreeMap::new();
        for (id, status) in [
            (OWN, KeyStatus::Active),
            (SUB, KeyStatus::Active),
            (OLD, KeyStatus::Inactive),
        ] {
            keys.insert(
                id.to_string(),
                KeyInfo {
                    id: id.into(),
                    uin: "2".into(),
                    principal: "sub-user".into(),
                    name: None,
                    status,
                    created: None,
                },
            );
        }
        AccountIndex {
            owner_uin: "1".into(),
            app_id: None,
            auditor_id: OWN.into(),
            keys,
            users: vec![],
            gaps: vec![],
            root_unchecked: false,
        }
    }

    fn target(id: &str) -> Target {
        Target {
            key: None,
            token: None,
            claimed: None,
            id: id.into(),
            origin: "test".into(),
        }
    }

    #[test]
    fn plans_refuse_foreign_and_own_keys_and_skip_done_ones() {
        let targets = [
            target(SUB),
            target(&short(SUB)),
            target(OLD),
            target(OWN),
            target("AKIDforeignforeignforeignforei00004"),
        ];
        let p = plan(&index(), &targets, Change::Disable);
        assert_eq!(p.len(), 4, "the shortened duplicate of SUB is planned once");
        assert!(matches!(&p[0].step, Step::Change(k) if k.id == SUB));
        assert!(matches!(&p[1].step, Step::NothingToDo(k) if k.id == OLD));
        assert!(matches!(&p[2].step, Step::Refused(why) if why.contains("running with")));
        assert!(matches!(&p[3].step, Step::Refused(why) if why.contains("no key of account")));
        let p = plan(&index(), &[target(OLD)], Change::Enable);
        assert!(matches!(&p[0].step, Step::Change(_)));
    }
}
