//! The account index of auditor mode: read with the user's own
//! credentials, every access key in their account (owner, sub-user or
//! collaborator, status, creation time) and its last-use dates, so found
//! SecretIds can be attributed even without their SecretKey. (Not the
//! `audit` command: that is `crate::audit` over a `snapshot`.)

use super::check::{last_used_answers, utc_time};
use super::client::{Action, CallError, Client, Credential};
use super::snapshot::parse_time;
use crate::finding::{KeyStatus, SecretKind, redact};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// One access key of the auditor's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The full SecretId.
    pub id: String,
    /// The UIN the key belongs to.
    pub uin: String,
    /// `root`, `sub-user` or `collaborator`.
    pub principal: String,
    /// Sub-user or collaborator name.
    pub name: Option<String>,
    /// `Active` or `Inactive`.
    pub status: KeyStatus,
    /// Creation time as Tencent gives it (`YYYY-MM-DD hh:mm:ss`).
    pub created: Option<String>,
}

/// One identity of the auditor's account (the root included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// Its UIN.
    pub uin: String,
    /// `root`, `sub-user`, `collaborator`, `wecom-user`, ...
    pub principal: String,
    /// Its name.
    pub name: Option<String>,
    /// Creation time as Tencent gives it (`YYYY-MM-DD hh:mm:ss`), when listed.
    pub created: Option<String>,
}

/// Every key of the auditor's account.
#[derive(Clone, Debug)]
pub struct AccountIndex {
    /// The root account's UIN.
    pub owner_uin: String,
    /// The account's AppId.
    pub app_id: Option<u64>,
    /// The auditor credential's own SecretId.
    pub auditor_id: String,
    /// Keys by SecretId.
    pub keys: BTreeMap<String, KeyInfo>,
    /// Every identity listed, the root first.
    pub users: Vec<UserInfo>,
    /// Users whose keys could not be listed, with the reason.
    pub gaps: Vec<String>,
    /// The root account's keys could not be listed (a sub-user auditor):
    /// an id missing from the index may still be the root's.
    pub root_unchecked: bool,
}

type Identity = UserInfo;

fn identity(u: &Value, principal: &str) -> Option<UserInfo> {
    Some(UserInfo {
        uin: text(u, "Uin")?,
        principal: principal.to_string(),
        name: text(u, "Name"),
        created: text(u, "CreateTime").filter(|c| !c.is_empty()).map(utc),
    })
}

/// A CAM time (Beijing time, no zone) as `YYYY-MM-DDThh:mm:ssZ`, so every
/// time keyhound compares and shows is in one zone; kept as given when it
/// does not parse.
fn utc(cam: String) -> String {
    parse_time(&cam).map_or(cam, utc_time)
}

/// The principal word for a ListAccounts `UserType`; `None` for the owner
/// (listed on its own) and message receivers (they have no keys).
fn principal_of(user_type: &str) -> Option<&'static str> {
    Some(match user_type {
        "SubUser" => "sub-user",
        "Collaborator" => "collaborator",
        "WechatCorpUser" => "wecom-user",
        "CICUser" => "cic-user",
        "AgentIdentity" => "agent-identity",
        "Owner" | "MessageReceiver" => return None,
        _ => "user",
    })
}

/// Every identity but the owner, with ListAccounts (`MaxItems` 100, paged
/// by `Marker` while `IsTruncated`).
fn list_accounts(client: &Client, auditor: &Credential) -> Result<Vec<Identity>, CallError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..1000 {
        let mut params = json!({ "MaxItems": 100 });
        if let Some(m) = &marker {
            params["Marker"] = json!(m);
        }
        let a = client.call(auditor, Action::ListAccounts, &params)?;
        for u in a
            .body
            .get("Users")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = text(u, "UserType").unwrap_or_default();
            if let Some(id) = principal_of(&kind).and_then(|p| identity(u, p)) {
                out.push(id);
            }
        }
        let truncated = a.body.get("IsTruncated").and_then(Value::as_bool) == Some(true);
        marker = text(&a.body, "Marker");
        if !truncated || marker.is_none() {
            break;
        }
    }
    Ok(out)
}

fn list_users(client: &Client, auditor: &Credential) -> Result<Vec<Identity>, CallError> {
    let listed = client.call(auditor, Action::ListUsers, &json!({}))?;
    Ok(listed
        .body
        .get("Data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|u| identity(u, "sub-user"))
        .collect())
}

fn list_collaborators(client: &Client, auditor: &Credential) -> Result<Vec<Identity>, CallError> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        let params = json!({ "Offset": offset });
        let a = client.call(auditor, Action::ListCollaborators, &params)?;
        let page = a
            .body
            .get("Data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        out.extend(page.iter().filter_map(|u| identity(u, "collaborator")));
        offset += page.len() as u64;
        let total = a.body.get("TotalNum").and_then(Value::as_u64).unwrap_or(0);
        if page.is_empty() || offset >= total {
            return Ok(out);
        }
    }
}

/// Why the account could not be indexed.
#[derive(Debug, thiserror::Error)]
/// The failing call and why are the source's text, shown once.
#[error("cannot check auditor credentials {id}")]
pub struct AuditError {
    /// The auditor's SecretId, shortened.
    pub id: String,
    /// The failing action.
    pub action: Action,
    /// The call error.
    #[source]
    pub source: CallError,
}

/// A SecretId as errors show it: shortened, whatever the user gave.
fn shown(id: &str) -> String {
    if crate::finding::is_shortened_id(id) {
        id.to_string()
    } else {
        crate::report::sanitize::sanitize(&redact(id, SecretKind::Identifier))
    }
}

/// Why a shortened id (`AKIDq3Wm…0Sj1`) could not be resolved to a key.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No key of the account matches.
    #[error("{0}: no key of account {1} matches")]
    NotInAccount(String, String),
    /// Several keys match.
    #[error("{0}: {1} keys of the account match; give the full SecretId")]
    Ambiguous(String, usize),
}

fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

impl AccountIndex {
    /// Builds the index: GetUserAppId, every identity of the account
    /// (ListAccounts, or ListUsers and ListCollaborators where ListAccounts
    /// is not allowed), then ListAccessKeys for the root and every identity.
    /// A sub-user auditor cannot list the root's keys
    /// (`OperationDenied.SubUin`): those are marked not checked.
    pub fn build(client: &Client, auditor: &Credential) -> Result<AccountIndex, AuditError> {
        let fail = |action: Action| {
            move |source: CallError| AuditError {
                id: redact(auditor.id(), SecretKind::Identifier),
                action,
                source,
            }
        };
        let me = client
            .call(auditor, Action::GetUserAppId, &json!({}))
            .map_err(fail(Action::GetUserAppId))?;
        let owner_uin = super::answer::app_id(&me.body)
            .map_err(|m| fail(Action::GetUserAppId)(m.into()))?
            .owner_uin
            .unwrap_or_default();
        let mut gaps = Vec::new();
        let mut users: Vec<UserInfo> = vec![UserInfo {
            uin: owner_uin.clone(),
            principal: "root".to_string(),
            name: None,
            created: None,
        }];
        match list_accounts(client, auditor) {
            Ok(found) => users.extend(found),
            Err(_) => {
                users.extend(list_users(client, auditor).map_err(fail(Action::ListUsers))?);
                match list_collaborators(client, auditor) {
                    Ok(found) => {
                        for u in found {
                            users.retain(|x| x.uin != u.uin);
                            users.push(u);
                        }
                    }
                    Err(e) => gaps.push(format!("collaborators not listed: {e}")),
                }
            }
        }
        let mut keys = BTreeMap::new();
        let mut root_unchecked = false;
        for u in &users {
            let (uin, principal, name) = (&u.uin, &u.principal, &u.name);
            let target: Value = uin.parse::<u64>().map_or(json!(uin), |n| json!(n));
            let params = json!({ "TargetUin": target });
            match client.call(auditor, Action::ListAccessKeys, &params) {
                Ok(a) => {
                    for k in a
                        .body
                        .get("AccessKeys")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let Some(id) = text(k, "AccessKeyId") else {
                            continue;
                        };
                        let shown = text(k, "Status");
                        let Some(status) = shown.as_deref().and_then(KeyStatus::parse) else {
                            gaps.push(format!(
                                "key {} of {principal} {uin} not indexed: status {:?} is neither \
                                 Active nor Inactive",
                                redact(&id, SecretKind::Identifier),
                                shown.unwrap_or_default()
                            ));
                            continue;
                        };
                        keys.insert(
                            id.clone(),
                            KeyInfo {
                                id,
                                uin: uin.clone(),
                                principal: principal.clone(),
                                name: name.clone(),
                                status,
                                created: text(k, "CreateTime").map(utc),
                            },
                        );
                    }
                }
                Err(e) if principal == "root" && e.code() == Some("OperationDenied.SubUin") => {
                    root_unchecked = true;
                    gaps.push(format!(
                        "keys of the root account {uin} not checked: listing them needs the root \
                         account's own credentials (OperationDenied.SubUin)"
                    ));
                }
                Err(e) => gaps.push(format!("keys of {principal} {uin} not listed: {e}")),
            }
        }
        Ok(AccountIndex {
            users,
            owner_uin,
            app_id: me.body.get("AppId").and_then(Value::as_u64),
            auditor_id: auditor.id().to_string(),
            keys,
            gaps,
            root_unchecked,
        })
    }

    /// The key with this full SecretId.
    pub fn get(&self, id: &str) -> Option<&KeyInfo> {
        self.keys.get(id)
    }

    /// Resolves a full SecretId, or one shortened exactly as keyhound
    /// shortens them (`AKIDq3Wm…0Sj1`); a bare prefix matches nothing.
    pub fn resolve(&self, id: &str) -> Result<&KeyInfo, ResolveError> {
        if let Some(k) = self.keys.get(id) {
            return Ok(k);
        }
        let matching: Vec<&KeyInfo> = if crate::finding::is_shortened_id(id) {
            self.keys
                .values()
                .filter(|k| redact(&k.id, SecretKind::Identifier) == id)
                .collect()
        } else {
            Vec::new()
        };
        match matching.as_slice() {
            [one] => Ok(one),
            [] => Err(ResolveError::NotInAccount(
                shown(id),
                self.owner_uin.clone(),
            )),
            many => Err(ResolveError::Ambiguous(shown(id), many.len())),
        }
    }

    /// Last-use dates of `ids` that belong to the account, asked in batches
    /// of 10 (GetSecurityLastUsed's limit): `None` for a key never used.
    /// Failures leave ids out.
    pub fn last_used(
        &self,
        client: &Client,
        auditor: &Credential,
        ids: &[&str],
    ) -> HashMap<String, Option<String>> {
        let mine: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| self.keys.contains_key(*i))
            .collect();
        let mut out = HashMap::new();
        for batch in mine.chunks(10) {
            let params = json!({ "SecretIdList": batch });
            match client.call(auditor, Action::GetSecurityLastUsed, &params) {
                Ok(a) => out.extend(last_used_answers(&a.body)),
                Err(e) => tracing::warn!("GetSecurityLastUsed failed: {e}"),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> AccountIndex {
        let key = |id: &str| KeyInfo {
            id: id.to_string(),
            uin: "100".into(),
            principal: "root".into(),
            name: None,
            status: KeyStatus::Active,
            created: None,
        };
        let mut keys = BTreeMap::new();
        for id in [
            "AKIDaaaaBBBBccccDDDDeeeeFFFFgggg1111",
            "AKIDaaaaXXXXccccDDDDeeeeFFFFgggg2222",
            "AKIDaaaaYYYYccccDDDDeeeeFFFFgggg2222",
        ] {
            keys.insert(id.to_string(), key(id));
        }
        AccountIndex {
            owner_uin: "100".into(),
            app_id: None,
            auditor_id: String::new(),
            keys,
            users: vec![],
            gaps: vec![],
            root_unchecked: false,
        }
    }

    #[test]
    fn shortened_ids_resolve_when_unique() {
        let ix = index();
        assert_eq!(
            ix.resolve("AKIDaaaa…1111").unwrap().id,
            "AKIDaaaaBBBBccccDDDDeeeeFFFFgggg1111"
        );
        assert_eq!(
            ix.resolve("AKIDaaaa…2222"),
            Err(ResolveError::Ambiguous("AKIDaaaa…2222".into(), 2))
        );
        assert!(matches!(
            ix.resolve("AKIDzzzz…1111"),
            Err(ResolveError::NotInAccount(..))
        ));
        assert!(ix.resolve("AKIDaaaaBBBBccccDDDDeeeeFFFFgggg1111").is_ok());
    }
}
