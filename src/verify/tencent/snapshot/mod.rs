//! Reading a whole account for `keyhound audit`, read-only: identities,
//! their keys and last use, MFA flags, console login and attached policies,
//! into an [`audit::Snapshot`]. Every failed read becomes a [`Gap`] naming
//! the permission it needs, never a silent pass. Calls run a few at a time;
//! the client's per-action limits keep to Tencent's documented rates.

pub(crate) mod answer;
mod judge;

pub use answer::parse_time;

use super::account_index::AuditError;
use super::client::{Action, CallError, Client, Credential};
use crate::audit::{self, AccessKey, CheckId, Fact, Gap, Identity, IdentityKind, KeyStatus, Mfa};
use crate::finding::{SecretKind, redact};
use answer::{
    Listed, Verdict, epoch_secs, gap, is_missing_action, last_use, listed, merge, num, text,
    uin_param,
};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

/// Every action the audit may call; all read-only.
pub const ACTIONS: &[Action] = &[
    Action::GetUserAppId,
    Action::ListUsers,
    Action::GetUser,
    Action::ListCollaborators,
    Action::ListAccounts,
    Action::ListAccessKeys,
    Action::DescribeAccessKeyAlarm,
    Action::GetSecurityLastUsed,
    Action::DescribeSafeAuthFlagColl,
    Action::DescribeSafeAuthFlag,
    Action::ListAttachedUserPolicies,
    Action::ListGroupsForUser,
    Action::ListAttachedGroupPolicies,
    Action::ListAttachedUserAllPolicies,
    Action::GetPolicy,
];

/// Calls in flight at once: the work waits on the network, and the
/// client's per-action limiter holds the rate whatever the count.
const PARALLEL: usize = 12;
/// ListCollaborators page size (Tencent's documented default).
const COLLABORATOR_PAGE: u64 = 20;
/// Page size of the policy and group lists (documented maximum 200 for
/// ListAttachedUserAllPolicies; 20 is the others' documented default).
const POLICY_PAGE: u64 = 200;
const LIST_PAGE: u64 = 20;
/// Pages are numbered from 1 and may not exceed 200.
const MAX_PAGES: u64 = 200;

/// What one user's policy listing gave.
enum UserPolicies {
    /// Direct policies and group ids/names (the 20/s route).
    Split(Vec<Listed>, Vec<(u64, String)>),
    /// ListAttachedUserAllPolicies (5/s), groups included.
    All(Vec<Listed>),
}

struct Fetcher<'a> {
    client: &'a Client,
    cred: &'a Credential,
    split_route: AtomicBool,
}

impl Fetcher<'_> {
    fn call(&self, action: Action, params: Value) -> Result<Value, CallError> {
        self.client.call(self.cred, action, &params).map(|a| a.body)
    }

    /// Pages of `Page`/`Rp` lists until `TotalNum` items (or an empty page).
    fn pages(
        &self,
        action: Action,
        base: Value,
        rp: u64,
        list: &str,
    ) -> Result<Vec<Value>, CallError> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut params = base.clone();
            params["Page"] = json!(page);
            params["Rp"] = json!(rp);
            let body = self.call(action, params)?;
            let items = body
                .get(list)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let total = num(&body, "TotalNum").unwrap_or(0);
            let n = items.len();
            out.extend(items);
            if n == 0 || out.len() as u64 >= total {
                break;
            }
        }
        Ok(out)
    }

    fn keys(&self, uin: &str) -> Fact<Vec<AccessKey>> {
        match self.call(
            Action::ListAccessKeys,
            json!({ "TargetUin": uin_param(uin) }),
        ) {
            Err(e) => Fact::Unknown(gap(Action::ListAccessKeys, &e)),
            Ok(body) => Fact::Known(
                body.get("AccessKeys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|k| {
                        Some(AccessKey {
                            id: text(k, "AccessKeyId")?,
                            // Only a key Tencent calls Active is usable.
                            state: text(k, "Status")
                                .and_then(|s| KeyStatus::parse(&s))
                                .unwrap_or(KeyStatus::Inactive),
                            created: text(k, "CreateTime").and_then(|t| parse_time(&t)),
                            last_used: Fact::Known(None),
                        })
                    })
                    .collect(),
            ),
        }
    }

    /// `ConsoleLogin` from GetUser, for a list that did not give it.
    fn console(&self, kind: IdentityKind, name: Option<&str>) -> Fact<bool> {
        let missing = |reason: &str| {
            Fact::Unknown(Gap {
                action: Action::ListUsers.name().into(),
                needs: "ConsoleLogin in ListUsers/ListCollaborators, or cam:GetUser".into(),
                reason: reason.into(),
            })
        };
        let (IdentityKind::SubUser, Some(name)) = (kind, name) else {
            return missing("the list gave no ConsoleLogin");
        };
        match self.call(Action::GetUser, json!({ "Name": name })) {
            Ok(b) => match num(&b, "ConsoleLogin") {
                Some(c) => Fact::Known(c == 1),
                None => missing("neither ListUsers nor GetUser gave ConsoleLogin"),
            },
            Err(e) => Fact::Unknown(gap(Action::GetUser, &e)),
        }
    }

    /// MFA of a sub-user (DescribeSafeAuthFlagColl), or of the root account
    /// when the auditor is the root (DescribeSafeAuthFlag reads the
    /// caller's own settings; nothing lets a sub-user read the root's).
    fn mfa(&self, uin: &str, kind: IdentityKind, auditor_is_root: bool) -> Fact<Mfa> {
        let (action, params) = match kind {
            IdentityKind::Root if auditor_is_root => (Action::DescribeSafeAuthFlag, json!({})),
            IdentityKind::Root => {
                return Fact::Unknown(Gap {
                    action: Action::DescribeSafeAuthFlag.name().to_string(),
                    needs: "the root account's own credentials".to_string(),
                    reason: "only the root account can read its own MFA settings".to_string(),
                });
            }
            _ => (
                Action::DescribeSafeAuthFlagColl,
                json!({ "SubUin": uin_param(uin) }),
            ),
        };
        let on = |v: Option<&Value>| -> Vec<String> {
            let mut m: Vec<String> = v
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(_, x)| x.as_i64() == Some(1))
                .map(|(k, _)| k.clone())
                .collect();
            m.sort();
            m
        };
        match self.call(action, params) {
            Err(e) => Fact::Unknown(gap(action, &e)),
            Ok(b) => Fact::Known(Mfa {
                login: on(b.get("LoginFlag")),
                action: on(b.get("ActionFlag")),
            }),
        }
    }

    fn all_policies(&self, uin: &str) -> Result<UserPolicies, Gap> {
        let base = json!({ "TargetUin": uin_param(uin), "AttachType": 0 });
        self.pages(
            Action::ListAttachedUserAllPolicies,
            base,
            POLICY_PAGE,
            "PolicyList",
        )
        .map(|ps| UserPolicies::All(ps.iter().filter_map(|p| listed(p, None)).collect()))
        .map_err(|e| Gap {
            needs: "cam:ListAttachedUserAllPolicies (or cam:ListAttachedUserPolicies, \
                        cam:ListGroupsForUser and cam:ListAttachedGroupPolicies)"
                .to_string(),
            ..gap(Action::ListAttachedUserAllPolicies, &e)
        })
    }

    fn policies(&self, uin: &str) -> Result<UserPolicies, Gap> {
        if !self.split_route.load(Ordering::Relaxed) {
            return self.all_policies(uin);
        }
        let direct = self.pages(
            Action::ListAttachedUserPolicies,
            json!({ "TargetUin": uin_param(uin) }),
            LIST_PAGE,
            "List",
        );
        let groups = direct.as_ref().ok().map(|_| {
            self.pages(
                Action::ListGroupsForUser,
                json!({ "SubUin": uin_param(uin) }),
                LIST_PAGE,
                "GroupInfo",
            )
        });
        match (direct, groups) {
            (Ok(d), Some(Ok(g))) => Ok(UserPolicies::Split(
                d.iter().filter_map(|p| listed(p, None)).collect(),
                g.iter()
                    .filter_map(|x| {
                        let id = num(x, "GroupId")?;
                        Some((id, text(x, "GroupName").unwrap_or_else(|| id.to_string())))
                    })
                    .collect(),
            )),
            (Err(e), _) | (_, Some(Err(e))) => {
                if is_missing_action(&e) {
                    self.split_route.store(false, Ordering::Relaxed);
                }
                self.all_policies(uin)
            }
            (Ok(_), None) => unreachable!("groups are listed whenever direct policies are"),
        }
    }

    fn group_policies(&self, id: u64, name: &str) -> Result<Vec<Listed>, Gap> {
        self.pages(
            Action::ListAttachedGroupPolicies,
            json!({ "TargetGroupId": id }),
            LIST_PAGE,
            "List",
        )
        .map(|ps| ps.iter().filter_map(|p| listed(p, Some(name))).collect())
        .map_err(|e| gap(Action::ListAttachedGroupPolicies, &e))
    }

    fn last_used(&self, ids: &[String]) -> HashMap<String, Fact<Option<i64>>> {
        let batches: Vec<&[String]> = ids.chunks(10).collect();
        batches
            .par_iter()
            .flat_map_iter(|batch| {
                let answer = self.call(
                    Action::GetSecurityLastUsed,
                    json!({ "SecretIdList": batch }),
                );
                let rows: HashMap<String, Option<i64>> = match &answer {
                    Ok(b) => b
                        .get("SecretIdLastUsedRows")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|r| {
                            let precise = r
                                .get("LastSecretUsedDate")
                                .and_then(Value::as_i64)
                                .map(epoch_secs);
                            let day = text(r, "LastUsedDate").and_then(|d| parse_time(&d));
                            Some((text(r, "SecretId")?, last_use(precise, day)))
                        })
                        .collect(),
                    Err(_) => HashMap::new(),
                };
                batch
                    .iter()
                    .map(|id| {
                        let fact = match &answer {
                            Ok(_) => Fact::Known(rows.get(id).copied().flatten()),
                            Err(e) => Fact::Unknown(gap(Action::GetSecurityLastUsed, e)),
                        };
                        (id.clone(), fact)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Lists root, sub-users and collaborators: `(uin, name, kind, console)`;
/// `console` is `None` when the list does not say.
fn identities(
    f: &Fetcher<'_>,
    owner: &str,
    gaps: &mut Vec<Gap>,
) -> Vec<(String, Option<String>, IdentityKind, Option<bool>)> {
    let mut out = vec![(owner.to_string(), None, IdentityKind::Root, Some(true))];
    let console = |u: &Value| num(u, "ConsoleLogin").map(|c| c == 1);
    match f.call(Action::ListUsers, json!({})) {
        Ok(b) => {
            for u in b
                .get("Data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(uin) = text(u, "Uin").filter(|x| x != owner && x != "0") {
                    out.push((uin, text(u, "Name"), IdentityKind::SubUser, console(u)));
                }
            }
        }
        Err(e) => gaps.push(gap(Action::ListUsers, &e)),
    }
    let mut offset = 0u64;
    loop {
        let params = json!({ "Limit": COLLABORATOR_PAGE, "Offset": offset });
        match f.call(Action::ListCollaborators, params) {
            Ok(b) => {
                let page = b
                    .get("Data")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for u in &page {
                    if let Some(uin) = text(u, "Uin") {
                        out.retain(|(x, ..)| *x != uin);
                        out.push((uin, text(u, "Name"), IdentityKind::Collaborator, console(u)));
                    }
                }
                offset += page.len() as u64;
                if page.is_empty() || offset >= num(&b, "TotalNum").unwrap_or(0) {
                    break;
                }
            }
            Err(e) => {
                gaps.push(gap(Action::ListCollaborators, &e));
                break;
            }
        }
    }
    other_identities(f, &mut out, gaps);
    out
}

/// The identity type of a `ListAccounts` `UserType` that ListUsers and
/// ListCollaborators do not list; `None` for those they do, the owner and
/// message receivers (no keys, no sign-in).
fn other_kind(user_type: &str) -> Option<IdentityKind> {
    Some(match user_type {
        "Owner" | "SubUser" | "Collaborator" | "MessageReceiver" => return None,
        "WechatCorpUser" => IdentityKind::WecomUser,
        "CICUser" => IdentityKind::CicUser,
        "AgentIdentity" => IdentityKind::AgentIdentity,
        _ => IdentityKind::OtherUser,
    })
}

/// The identity types only `ListAccounts` lists (`MaxItems` 100, paged by
/// `Marker` while `IsTruncated`); an account where it is refused gets one
/// gap, so those identities are "not checked", never passed.
fn other_identities(
    f: &Fetcher<'_>,
    out: &mut Vec<(String, Option<String>, IdentityKind, Option<bool>)>,
    gaps: &mut Vec<Gap>,
) {
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut params = json!({ "MaxItems": 100 });
        if let Some(m) = &marker {
            params["Marker"] = json!(m);
        }
        let b = match f.call(Action::ListAccounts, params) {
            Ok(b) => b,
            Err(e) if is_missing_action(&e) => return,
            Err(e) => return gaps.push(gap(Action::ListAccounts, &e)),
        };
        for u in b
            .get("Users")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = text(u, "UserType").as_deref().and_then(other_kind);
            let uin = text(u, "Uin").filter(|x| x != "0");
            if let (Some(kind), Some(uin)) = (kind, uin)
                && !out.iter().any(|(x, ..)| *x == uin)
            {
                let console = num(u, "ConsoleLogin").map(|c| c == 1);
                out.push((uin, text(u, "Name"), kind, console));
            }
        }
        marker = text(&b, "Marker");
        if b.get("IsTruncated").and_then(Value::as_bool) != Some(true) || marker.is_none() {
            return;
        }
    }
}

/// Reads the account of `cred` for the checks in `checks`, reading only
/// what those checks need.
pub fn fetch(
    client: &Client,
    cred: &Credential,
    checks: &BTreeSet<CheckId>,
) -> Result<audit::Snapshot, AuditError> {
    let f = Fetcher {
        client,
        cred,
        split_route: AtomicBool::new(true),
    };
    let me = f
        .call(Action::GetUserAppId, json!({}))
        .map_err(|source| AuditError {
            id: redact(cred.id(), SecretKind::Identifier),
            action: Action::GetUserAppId,
            source,
        })?;
    let owner = text(&me, "OwnerUin").unwrap_or_default();
    let mut gaps = Vec::new();
    let people = identities(&f, &owner, &mut gaps);
    let wants_mfa = [
        CheckId::MfaOff,
        CheckId::MfaLoginOff,
        CheckId::MfaOperationOff,
    ]
    .iter()
    .any(|c| checks.contains(c));
    let wants_console = checks.contains(&CheckId::ConsoleAndApi);
    let wants_policies = [
        CheckId::AdminKey,
        CheckId::PolicyNotViaGroup,
        CheckId::DutiesNotSeparated,
        CheckId::PolicyConditionMissing,
    ]
    .iter()
    .any(|c| checks.contains(c));
    let auditor_is_root = text(&me, "Uin").is_some_and(|u| u == owner);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL)
        .build()
        .ok();
    let work = || {
        people
            .par_iter()
            .map(|(uin, name, kind, console)| {
                let keys = f.keys(uin);
                let mut id = Identity {
                    uin: uin.clone(),
                    name: name.clone(),
                    kind: *kind,
                    console_login: Fact::Known(console.unwrap_or(false)),
                    keys,
                    mfa: None,
                    policies: None,
                };
                let mut raw = None;
                if id.holds_active_key() && *kind != IdentityKind::Root {
                    if console.is_none() && wants_console {
                        id.console_login = f.console(*kind, name.as_deref());
                    }
                    id.mfa = wants_mfa.then(|| f.mfa(uin, *kind, auditor_is_root));
                    raw = wants_policies.then(|| f.policies(uin));
                }
                if *kind == IdentityKind::Root {
                    id.mfa = wants_mfa.then(|| f.mfa(uin, *kind, auditor_is_root));
                }
                (id, raw)
            })
            .collect::<Vec<_>>()
    };
    let fetched = match &pool {
        Some(p) => p.install(work),
        None => work(),
    };
    let finish = || finish(&f, checks, fetched);
    let identities = match &pool {
        Some(p) => p.install(finish),
        None => finish(),
    };
    let alarms = checks
        .contains(&CheckId::TencentAlarmOpen)
        .then(|| open_alarms(client, cred));
    Ok(audit::Snapshot {
        owner_uin: owner,
        app_id: num(&me, "AppId"),
        auditor_uin: text(&me, "Uin").unwrap_or_default(),
        identities,
        gaps,
        alarms,
    })
}

/// The account's open Cloud Security Center alarms, by SecretId.
fn open_alarms(client: &Client, cred: &Credential) -> Fact<BTreeMap<String, Vec<String>>> {
    match super::incident::alarms::all(client, cred) {
        Err(e) => Fact::Unknown(gap(Action::DescribeAccessKeyAlarm, &e)),
        Ok(rows) => {
            let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (id, a) in rows.into_iter().filter(|(_, a)| a.status == "open") {
                let summary = crate::finding::incident::alarms_summary(std::slice::from_ref(&a));
                out.entry(id).or_default().push(summary);
            }
            Fact::Known(out)
        }
    }
}

/// Group policies, policy documents and last use, each asked once.
fn finish(
    f: &Fetcher<'_>,
    checks: &BTreeSet<CheckId>,
    fetched: Vec<(Identity, Option<Result<UserPolicies, Gap>>)>,
) -> Vec<Identity> {
    let groups: BTreeMap<u64, String> = fetched
        .iter()
        .filter_map(|(_, r)| match r {
            Some(Ok(UserPolicies::Split(_, g))) => Some(g.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let group_policies: HashMap<u64, Result<Vec<Listed>, Gap>> = groups
        .par_iter()
        .map(|(id, name)| (*id, f.group_policies(*id, name)))
        .collect();
    let per_user: Vec<Option<Result<Vec<Listed>, Gap>>> = fetched
        .par_iter()
        .map(|(id, r)| {
            r.as_ref().map(|r| match r {
                Err(g) => Err(g.clone()),
                Ok(UserPolicies::All(ps)) => Ok(ps.clone()),
                Ok(UserPolicies::Split(direct, gs)) => {
                    let mut all = direct.clone();
                    for (gid, _) in gs {
                        match &group_policies[gid] {
                            Ok(ps) => all.extend(ps.iter().cloned()),
                            // The group's list refused: the user's whole list, if allowed.
                            Err(g) => {
                                return match f.all_policies(&id.uin) {
                                    Ok(UserPolicies::All(ps)) => Ok(ps),
                                    _ => Err(g.clone()),
                                };
                            }
                        }
                    }
                    Ok(all)
                }
            })
        })
        .collect();
    let mut distinct: BTreeMap<u64, Listed> = BTreeMap::new();
    for p in per_user.iter().flatten().flatten().flatten() {
        distinct.entry(p.id).or_insert_with(|| p.clone());
    }
    let powers = checks.contains(&CheckId::DutiesNotSeparated)
        || checks.contains(&CheckId::PolicyConditionMissing);
    let verdicts: HashMap<u64, Verdict> = distinct
        .par_iter()
        .map(|(id, p)| (*id, f.judge(p, powers)))
        .collect();
    let wants_last_use = checks.contains(&CheckId::KeyUnused)
        || checks.contains(&CheckId::RootKeyActive)
        || checks.contains(&CheckId::KeyDisabled);
    let ids: Vec<String> = fetched
        .iter()
        .filter_map(|(i, _)| i.keys.as_result().ok())
        .flatten()
        .map(|k| k.id.clone())
        .collect();
    let last = if wants_last_use {
        f.last_used(&ids)
    } else {
        HashMap::new()
    };
    fetched
        .into_iter()
        .zip(per_user)
        .map(|((mut id, _), policies)| {
            if let Fact::Known(keys) = &mut id.keys {
                for k in keys {
                    if let Some(l) = last.get(&k.id) {
                        k.last_used = l.clone();
                    }
                }
            }
            id.policies = policies.map(|r| match r {
                Err(g) => Fact::Unknown(g),
                Ok(ps) => Fact::Known(merge(ps, &verdicts)),
            });
            id
        })
        .collect()
}
