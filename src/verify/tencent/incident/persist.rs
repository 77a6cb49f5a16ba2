//! What a leak may have left behind: access keys and identities of the
//! auditor's account created after the leak (ListAccessKeys `CreateTime`
//! from the account index, STS `QueryApiKey` for the key's user, which also
//! shows disabled and deleted keys), and the key's own CloudAudit events
//! that create access.

use super::super::account_index::AccountIndex;
use super::super::api::Action;
use super::super::check::utc_time;
use super::super::client::{Client, Credential};
use super::super::snapshot::answer::{num, text, uin_param};
use super::super::snapshot::parse_time;
use crate::finding::incident::{AuditEvent, NewKey, NewUser, Persistence};
use crate::finding::{SecretKind, redact};
use crate::verify::KeyStatus;
use serde_json::{Value, json};

/// CloudAudit event names that give someone (new) access.
pub(crate) const GRANTS: &[&str] = &[
    "CreateAccessKey",
    "UpdateAccessKey",
    "AddUser",
    "AddSubAccount",
    "AddCollaborator",
    "AttachUserPolicy",
    "AttachGroupPolicy",
    "AddUserToGroup",
    "CreateRole",
    "AttachRolePolicy",
    "UpdateAssumeRolePolicy",
    "CreatePolicy",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
];

fn status_word(s: KeyStatus) -> String {
    match s {
        KeyStatus::Active => "active",
        KeyStatus::Inactive => "disabled",
    }
    .to_string()
}

/// The leaked key's user's keys as STS `QueryApiKey` lists them: `(id,
/// created, status)`, status 2 active, 3 disabled, 4 deleted.
fn query_api_key(
    client: &Client,
    auditor: &Credential,
    uin: &str,
) -> Result<Vec<(String, i64, String)>, String> {
    let a = client
        .call(
            auditor,
            Action::QueryApiKey,
            &json!({ "TargetUin": uin_param(uin) }),
        )
        .map_err(|e| format!("STS QueryApiKey for uin {uin}: {e}"))?;
    Ok(a.body
        .get("IdKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| {
            let status = match num(k, "Status") {
                Some(2) => "active".to_string(),
                Some(3) => "disabled".to_string(),
                Some(4) => "deleted".to_string(),
                Some(n) => format!("status {n}"),
                None => "unknown".to_string(),
            };
            Some((text(k, "SecretId")?, num(k, "CreateTime")? as i64, status))
        })
        .collect())
}

/// What was created after `since` (Unix seconds) in the auditor's account;
/// `uin` is the leaked key's user, `events` the key's CloudAudit events.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read(
    client: &Client,
    auditor: &Credential,
    index: &AccountIndex,
    leaked: &str,
    uin: Option<&str>,
    (since, since_what): (i64, String),
    events: Option<&[AuditEvent]>,
    gaps: &mut Vec<String>,
) -> Persistence {
    let after = |t: &str| parse_time(t).is_some_and(|t| t > since);
    let mut keys: Vec<NewKey> = index
        .keys
        .values()
        .filter(|k| k.id != leaked && k.created.as_deref().is_some_and(after))
        .map(|k| NewKey {
            id: redact(&k.id, SecretKind::Identifier),
            uin: k.uin.clone(),
            status: status_word(k.status),
            created: k.created.clone().unwrap_or_default(),
        })
        .collect();
    if let Some(uin) = uin {
        match query_api_key(client, auditor, uin) {
            Ok(listed) => {
                for (id, created, status) in listed {
                    if id == leaked || created <= since {
                        continue;
                    }
                    let shown = redact(&id, SecretKind::Identifier);
                    match keys.iter_mut().find(|k| k.id == shown) {
                        Some(k) => k.status = status,
                        None => keys.push(NewKey {
                            id: shown,
                            uin: uin.to_string(),
                            status,
                            created: utc_time(created),
                        }),
                    }
                }
            }
            Err(e) => gaps.push(e),
        }
    }
    keys.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
    let mut users: Vec<NewUser> = index
        .users
        .iter()
        .filter(|u| u.principal != "root" && u.created.as_deref().is_some_and(after))
        .map(|u| NewUser {
            uin: u.uin.clone(),
            name: u.name.clone(),
            principal: u.principal.clone(),
            created: u.created.clone().unwrap_or_default(),
        })
        .collect();
    users.sort_by(|a, b| (&a.created, &a.uin).cmp(&(&b.created, &b.uin)));
    let mut granted: Vec<AuditEvent> = events
        .unwrap_or_default()
        .iter()
        .filter(|e| GRANTS.contains(&e.name.as_str()))
        .cloned()
        .collect();
    granted.reverse();
    Persistence {
        since: utc_time(since),
        since_what,
        keys,
        users,
        events: granted,
    }
}
