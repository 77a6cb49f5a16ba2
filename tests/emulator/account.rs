//! The emulator's account model beyond keys: console login, MFA flags,
//! policies (preset and custom, with documents), user groups, and the CAM
//! read actions over them, paged as Tencent documents them.

use super::{Emulator, Kind, State, User, err};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A CAM policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    /// Preset (QCS) or custom (User).
    pub preset: bool,
    /// The policy document, as GetPolicy returns it.
    pub document: String,
}

#[derive(Clone, Debug, Default)]
pub struct Group {
    pub name: String,
    pub members: BTreeSet<u64>,
    pub policies: Vec<u64>,
}

#[derive(Default)]
pub(crate) struct Model {
    console: HashMap<u64, bool>,
    console_unlisted: bool,
    unsupported: Vec<String>,
    mfa: HashMap<u64, (Vec<String>, Vec<String>)>,
    policies: BTreeMap<u64, Policy>,
    user_policies: HashMap<u64, Vec<u64>>,
    groups: BTreeMap<u64, Group>,
    boundaries: HashMap<u64, u64>,
    created: HashMap<u64, String>,
}

/// The actions this model answers.
pub(crate) const ACTIONS: &[&str] = &[
    "DescribeSafeAuthFlagColl",
    "DescribeSafeAuthFlag",
    "ListAttachedUserPolicies",
    "ListAttachedUserAllPolicies",
    "ListGroupsForUser",
    "ListAttachedGroupPolicies",
    "GetPolicy",
    "GetUserPermissionBoundary",
];

const FLAGS: &[&str] = &[
    "Phone", "Token", "Stoken", "Wechat", "Custom", "Mail", "U2FToken", "Passkey",
];

/// Epoch milliseconds of `YYYY-MM-DD` (UTC midnight), for
/// `LastSecretUsedDate`.
pub(crate) fn date_ms(d: &str) -> Option<i64> {
    let mut p = d.get(..10)?.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (p.next()??, p.next()??, p.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

impl Emulator {
    /// Whether `uin` may sign in to the console (ListUsers' `ConsoleLogin`).
    pub fn console_login(&self, uin: u64, on: bool) -> &Self {
        self.st().account.console.insert(uin, on);
        self
    }

    /// Leaves `ConsoleLogin` out of ListUsers and ListCollaborators rows
    /// (GetUser still gives it), as a less complete implementation might.
    pub fn lists_without_console(&self) -> &Self {
        self.st().account.console_unlisted = true;
        self
    }

    /// Answers `action` with `InvalidAction`, as an implementation without
    /// it would.
    pub fn unsupported(&self, action: &str) -> &Self {
        self.st().account.unsupported.push(action.into());
        self
    }

    /// MFA methods of `uin` for login and for sensitive operations
    /// (`Phone`, `Stoken`, `Token`, ...; empty: protection off).
    pub fn mfa(&self, uin: u64, login: &[&str], action: &[&str]) -> &Self {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        self.st().account.mfa.insert(uin, (v(login), v(action)));
        self
    }

    /// Adds a policy.
    pub fn policy(&self, id: u64, name: &str, preset: bool, document: &str) -> &Self {
        let p = Policy {
            name: name.into(),
            preset,
            document: document.into(),
        };
        self.st().account.policies.insert(id, p);
        self
    }

    /// Attaches policy `id` to user `uin`.
    pub fn attach(&self, uin: u64, id: u64) -> &Self {
        self.st()
            .account
            .user_policies
            .entry(uin)
            .or_default()
            .push(id);
        self
    }

    /// Adds a group with its policies.
    pub fn group(&self, id: u64, name: &str, policies: &[u64]) -> &Self {
        let g = Group {
            name: name.into(),
            members: BTreeSet::new(),
            policies: policies.to_vec(),
        };
        self.st().account.groups.insert(id, g);
        self
    }

    /// Puts `uin` in group `id`.
    pub fn join(&self, uin: u64, id: u64) -> &Self {
        if let Some(g) = self.st().account.groups.get_mut(&id) {
            g.members.insert(uin);
        }
        self
    }

    /// Sets policy `id` as the permission boundary of `uin`.
    pub fn boundary(&self, uin: u64, id: u64) -> &Self {
        self.st().account.boundaries.insert(uin, id);
        self
    }

    /// Sets a user's creation time (`YYYY-MM-DD hh:mm:ss`) as the lists
    /// give it.
    pub fn user_created(&self, uin: u64, created: &str) -> &Self {
        self.st().account.created.insert(uin, created.into());
        self
    }

    /// Sets a key's creation time (`YYYY-MM-DD hh:mm:ss`).
    pub fn set_created(&self, id: &str, created: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.created = created.into();
        }
    }

    /// Marks a key as never used.
    pub fn clear_last_used(&self, id: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.last_used = None;
            k.last_used_ms = None;
        }
    }

    /// Actions received that are not on `allowed`.
    pub fn actions_outside(&self, allowed: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = self
            .st()
            .requests
            .iter()
            .map(|r| r.action.clone())
            .filter(|a| !allowed.contains(&a.as_str()))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Whether this model answers `action`.
pub(crate) fn answers(st: &State, action: &str) -> bool {
    ACTIONS.contains(&action) && !st.account.unsupported.iter().any(|a| a == action)
}

/// Sets `ConsoleLogin` in GetUser answers and in the rows of ListUsers and
/// ListCollaborators answers (or leaves it out of the lists).
pub(crate) fn decorate(st: &State, action: &str, answer: &mut Value) {
    let console = |r: &mut Value| {
        let uin = r.get("Uin").and_then(Value::as_u64).unwrap_or(0);
        let on = st.account.console.get(&uin).copied().unwrap_or(false);
        r["ConsoleLogin"] = json!(u8::from(on));
    };
    let rows = match action {
        "ListUsers" | "ListCollaborators" => "Data",
        "ListAccounts" => "Users",
        _ => "",
    };
    for r in answer
        .get_mut(rows)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let uin = r.get("Uin").and_then(Value::as_u64).unwrap_or(0);
        if let Some(c) = st.account.created.get(&uin) {
            r["CreateTime"] = json!(c);
        }
    }
    match action {
        "GetUser" if answer.get("Uin").is_some() => console(answer),
        "ListUsers" | "ListCollaborators" => {
            for r in answer
                .get_mut("Data")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                match r.as_object_mut() {
                    Some(o) if st.account.console_unlisted => {
                        o.remove("ConsoleLogin");
                    }
                    _ => console(r),
                }
            }
        }
        _ => {}
    }
}

fn uint(p: &Value, k: &str) -> Option<u64> {
    match p.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// `Page` (from 1) and `Rp` of a request, checked against `max_rp`.
fn paging(
    p: &Value,
    default_rp: u64,
    max_rp: u64,
    required: bool,
) -> Result<(usize, usize), Value> {
    let (page, rp) = (uint(p, "Page"), uint(p, "Rp"));
    if required && (page.is_none() || rp.is_none()) {
        return Err(err("MissingParameter", "Page and Rp are required."));
    }
    let page = page.unwrap_or(1);
    let rp = rp.unwrap_or(default_rp);
    if page == 0 || page > 200 || rp == 0 || rp > max_rp {
        return Err(err(
            "InvalidParameter.ParamError",
            &format!("Page must be 1-200 and Rp 1-{max_rp}."),
        ));
    }
    Ok((((page - 1) * rp) as usize, rp as usize))
}

fn member<'a>(st: &'a State, caller: &User, uin: Option<u64>) -> Result<&'a User, Value> {
    uin.and_then(|u| st.users.get(&u))
        .filter(|u| u.owner == caller.owner)
        .ok_or_else(|| err("ResourceNotFound.UserNotExist", "user not exist"))
}

fn attach_info(id: u64, p: &Policy) -> Value {
    json!({"PolicyId": id, "PolicyName": p.name, "AddTime": "2024-01-01 00:00:00",
           "CreateMode": if p.preset { 1 } else { 2 }, "PolicyType": if p.preset { "QCS" } else { "User" },
           "Remark": "", "OperateOwnerUin": null, "OperateUin": null, "OperateUinType": null,
           "Deactived": 0, "DeactivedDetail": []})
}

/// `LoginFlag`, `ActionFlag`, `OffsiteFlag` of `uin`, as
/// DescribeSafeAuthFlagColl and DescribeSafeAuthFlag answer.
fn safe_auth_flags(m: &Model, uin: u64) -> Value {
    let (login, action) = m.mfa.get(&uin).cloned().unwrap_or_default();
    let flags = |on: &[String]| -> Value {
        FLAGS
            .iter()
            .map(|f| (f.to_string(), json!(u8::from(on.iter().any(|x| x == f)))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    json!({"LoginFlag": flags(&login), "ActionFlag": flags(&action),
           "OffsiteFlag": {"VerifyFlag": 0, "NotifyPhone": 1, "NotifyEmail": 1, "NotifyWechat": 1, "Tips": 0},
           "PromptTrust": 0})
}

fn page_of(items: Vec<Value>, off: usize, n: usize, list: &str) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(off).take(n).collect();
    json!({ "TotalNum": total, list: page })
}

/// Answers one of [`ACTIONS`] (read permission already checked).
pub(crate) fn act(st: &State, action: &str, caller: &User, p: &Value) -> Value {
    let m = &st.account;
    match action {
        "DescribeSafeAuthFlagColl" => {
            let u = match member(st, caller, uint(p, "SubUin")) {
                Ok(u) if u.kind != Kind::Root => u,
                Ok(_) => {
                    return err(
                        "InvalidParameter.ParamError",
                        "SubUin must be a sub-account",
                    );
                }
                Err(e) => return e,
            };
            safe_auth_flags(m, u.uin)
        }
        // The caller's own settings (the root account's, for a root caller).
        "DescribeSafeAuthFlag" => safe_auth_flags(m, caller.uin),
        "ListAttachedUserPolicies" => {
            let (off, n) = match paging(p, 20, 200, false) {
                Ok(x) => x,
                Err(e) => return e,
            };
            let u = match member(st, caller, uint(p, "TargetUin")) {
                Ok(u) => u,
                Err(e) => return e,
            };
            let items = m
                .user_policies
                .get(&u.uin)
                .into_iter()
                .flatten()
                .filter_map(|id| Some(attach_info(*id, m.policies.get(id)?)))
                .collect();
            page_of(items, off, n, "List")
        }
        "ListGroupsForUser" => {
            let (off, n) = match paging(p, 20, 200, false) {
                Ok(x) => x,
                Err(e) => return e,
            };
            let u = match member(st, caller, uint(p, "SubUin")) {
                Ok(u) => u,
                Err(e) => return e,
            };
            let items = m
                .groups
                .iter()
                .filter(|(_, g)| g.members.contains(&u.uin))
                .map(|(id, g)| json!({"GroupId": id, "GroupName": g.name, "CreateTime": "2024-01-01 00:00:00", "Remark": ""}))
                .collect();
            page_of(items, off, n, "GroupInfo")
        }
        "ListAttachedGroupPolicies" => {
            let (off, n) = match paging(p, 20, 200, false) {
                Ok(x) => x,
                Err(e) => return e,
            };
            let Some(g) = uint(p, "TargetGroupId").and_then(|id| m.groups.get(&id)) else {
                return err("ResourceNotFound.GroupNotExist", "group not exist");
            };
            let items = g
                .policies
                .iter()
                .filter_map(|id| Some(attach_info(*id, m.policies.get(id)?)))
                .collect();
            page_of(items, off, n, "List")
        }
        "ListAttachedUserAllPolicies" => {
            let (off, n) = match paging(p, 20, 200, true) {
                Ok(x) => x,
                Err(e) => return e,
            };
            let Some(kind) = uint(p, "AttachType").filter(|k| *k <= 2) else {
                return err("MissingParameter", "AttachType is required.");
            };
            let u = match member(st, caller, uint(p, "TargetUin")) {
                Ok(u) => u,
                Err(e) => return e,
            };
            let mut rows: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
            if kind != 2 {
                for id in m.user_policies.get(&u.uin).into_iter().flatten() {
                    rows.entry(*id).or_default();
                }
            }
            if kind != 1 {
                for (gid, g) in m.groups.iter().filter(|(_, g)| g.members.contains(&u.uin)) {
                    for id in &g.policies {
                        rows.entry(*id)
                            .or_default()
                            .push(json!({"GroupId": gid, "GroupName": g.name}));
                    }
                }
            }
            let items = rows
                .into_iter()
                .filter_map(|(id, groups)| {
                    let pol = m.policies.get(&id)?;
                    Some(json!({"PolicyId": id.to_string(), "PolicyName": pol.name, "Description": "",
                        "AddTime": "2024-01-01 00:00:00", "StrategyType": if pol.preset { "2" } else { "1" },
                        "CreateMode": "2", "Groups": groups, "Deactived": 0, "DeactivedDetail": []}))
                })
                .collect();
            page_of(items, off, n, "PolicyList")
        }
        "GetUserPermissionBoundary" => {
            let u = match member(st, caller, uint(p, "TargetUin")) {
                Ok(u) => u,
                Err(e) => return e,
            };
            match m
                .boundaries
                .get(&u.uin)
                .and_then(|id| Some((id, m.policies.get(id)?)))
            {
                None => json!({"PolicyId": null, "PolicyName": null, "PolicyDocument": null,
                               "PolicyType": null, "CreateMode": null}),
                Some((id, pol)) => json!({"PolicyId": id, "PolicyName": pol.name,
                    "PolicyDocument": pol.document, "PolicyType": if pol.preset { 2 } else { 1 },
                    "CreateMode": 2}),
            }
        }
        "GetPolicy" => match uint(p, "PolicyId").and_then(|id| m.policies.get(&id)) {
            None => err("ResourceNotFound.PolicyIdNotFound", "policy not exist"),
            Some(pol) => {
                json!({"PolicyName": pol.name, "Description": "", "Type": if pol.preset { 2 } else { 1 },
                "AddTime": "2024-01-01 00:00:00", "UpdateTime": "2024-01-01 00:00:00",
                "PolicyDocument": pol.document, "PresetAlias": null, "IsServiceLinkedRolePolicy": 0, "Tags": []})
            }
        },
        _ => err("InvalidAction", "not implemented"),
    }
}
