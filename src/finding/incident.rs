//! The incident picture of a live leaked key, as reports carry it: what the
//! key did (CloudAudit events, keyhound's own calls left out), what it can
//! do (its policies and permission boundary) and what was created after the
//! leak (keys, users, persistence events). Filled in by `verify` with the
//! auditor's credentials; the one-line summaries are here so every writer
//! says the same.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What is known about one live leaked key beyond its verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// CloudAudit events of the key, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// What the key's owner may do, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// Keys, users and grants created after the leak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence: Option<Persistence>,
    /// Tencent's own alarms about the key (Cloud Security Center), when
    /// they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<Alarm>>,
    /// What could not be read, one line each, naming the call and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
}

/// The key's calls as CloudAudit logged them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Start of the searched window, RFC 3339 UTC.
    pub since: String,
    /// End of the searched window, RFC 3339 UTC.
    pub until: String,
    /// Length of the window in whole days.
    pub days: u32,
    /// The events, newest first, keyhound's own calls left out.
    pub events: Vec<AuditEvent>,
    /// Events left out because keyhound made them: this run's calls with
    /// the key, and earlier runs' checks.
    pub own_calls_left_out: usize,
    /// Those events, so nothing is hidden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyhound_calls: Vec<AuditEvent>,
    /// How keyhound's calls were told apart, source by source: `this run`
    /// (the RequestIds and times of this run's calls), `earlier runs`
    /// (the calls an earlier run recorded in the report given), `CloudAudit
    /// RequestClient` (the event keeps keyhound's `X-TC-RequestClient`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub own_calls_by: BTreeMap<String, usize>,
    /// The window held more events than keyhound reads; the oldest are
    /// missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One CloudAudit event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The action called (`EventName`).
    pub name: String,
    /// When, RFC 3339 UTC (`EventTime`).
    pub time: String,
    /// `SourceIPAddress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// Where the IP is, when CloudAudit says (`Location`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `EventRegion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `ErrorCode` when not 0: the call was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// The error message CloudAudit kept for a refused call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `Resources.ResourceType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// `Resources.ResourceName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// `RequestID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// What the key's owner is allowed to do.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// The key is the root account's: it can do everything.
    pub root: bool,
    /// Some policy grants every action on every resource.
    pub admin: bool,
    /// The policies attached to the owner, directly or through groups.
    pub policies: Vec<Grant>,
    /// The permission boundary, when one is set: the policies act only
    /// within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<Grant>,
}

/// A policy attached to the key's owner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The policy id.
    pub id: u64,
    /// The policy name.
    pub name: String,
    /// `preset` or `custom`.
    pub kind: String,
    /// Attached to the user directly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
    /// The groups it comes through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via_groups: Vec<String>,
    /// Why it is full administrative access, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
    /// The actions a custom policy allows, from its document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allows: Vec<String>,
    /// The policy document, decoded (custom policies and boundaries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
}

/// What was created after the leak.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Persistence {
    /// The time things are compared against, RFC 3339 UTC: the leak's
    /// first commit, else the start of the searched window.
    pub since: String,
    /// Where `since` comes from.
    pub since_what: String,
    /// Access keys created after `since`.
    pub keys: Vec<NewKey>,
    /// Identities created after `since`.
    pub users: Vec<NewUser>,
    /// The key's own calls that create access (CreateAccessKey, AddUser,
    /// AttachUserPolicy, ...).
    pub events: Vec<AuditEvent>,
}

/// An alarm Tencent's Cloud Security Center raised about the key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// `leak` (AlarmType 1) or `abnormal call` (AlarmType 0).
    pub kind: String,
    /// The alarm's name.
    pub name: String,
    /// `Level`: 1 notice to 5 critical.
    pub level: i64,
    /// `open`, `handled` or `ignored`.
    pub status: String,
    /// First raised, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Last raised, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// Where Tencent saw the key leak (`LeakEvidence`) and its evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// `Tencent flagged it: leak alarm "..." (open) first ..., last ...;
/// evidence ...`, or that it did not.
pub fn alarms_summary(alarms: &[Alarm]) -> String {
    if alarms.is_empty() {
        return "no alarm about this key in Tencent's Cloud Security Center".to_string();
    }
    let each: Vec<String> = alarms
        .iter()
        .map(|a| {
            let mut s = format!("{} alarm \"{}\" ({})", a.kind, a.name, a.status);
            if let Some(f) = &a.first {
                s.push_str(&format!(" first {}", minute(f)));
            }
            if let Some(l) = &a.last {
                s.push_str(&format!(", last {}", minute(l)));
            }
            if !a.evidence.is_empty() {
                s.push_str(&format!("; evidence {}", some(&a.evidence, 2)));
            }
            s
        })
        .collect();
    format!("Tencent flagged it: {}", each.join("; "))
}

/// An access key created after the leak.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    /// The SecretId, shortened.
    pub id: String,
    /// The UIN it belongs to.
    pub uin: String,
    /// `active`, `disabled` or `deleted`.
    pub status: String,
    /// When it was created, in UTC (`YYYY-MM-DDThh:mm:ssZ`; CAM's
    /// zone-less Beijing time converted).
    pub created: String,
}

/// An identity created after the leak.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Its UIN.
    pub uin: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `sub-user`, `collaborator`, ...
    pub principal: String,
    /// When it was created, in UTC (`YYYY-MM-DDThh:mm:ssZ`; CAM's
    /// zone-less Beijing time converted).
    pub created: String,
}

/// `2026-11-30 12:00 UTC` of an RFC 3339 `2026-11-30T12:00:00Z`.
fn minute(t: &str) -> String {
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => t.to_string(),
    }
}

/// `a, b and N more` of the first `n` items.
fn some(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(", +{} more", items.len() - n));
    }
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Activity {
    /// `did 42 calls in 90 days: DescribeInstances x30, ... from 3 IPs;
    /// last 2026-11-30 12:00 UTC`.
    pub fn summary(&self) -> String {
        let days = plural(self.days as usize, "day", "days");
        let own = match self.own_calls_left_out {
            0 => String::new(),
            n => {
                let by: Vec<String> = self
                    .own_calls_by
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                let by = if by.is_empty() {
                    String::new()
                } else {
                    format!(": {}", by.join(", "))
                };
                format!(" ({} by keyhound left out{by})", plural(n, "call", "calls"))
            }
        };
        if self.events.is_empty() {
            if self.own_calls_left_out > 0 {
                return format!("no use except keyhound's checks in {days}{own}");
            }
            return format!("no calls logged by CloudAudit in {days}{own}");
        }
        let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.events {
            *by_name.entry(&e.name).or_default() += 1;
        }
        let mut counts: Vec<(&str, usize)> = by_name.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let names: Vec<String> = counts.iter().map(|(n, c)| format!("{n} x{c}")).collect();
        let ips: BTreeSet<&str> = self
            .events
            .iter()
            .filter_map(|e| e.source_ip.as_deref())
            .collect();
        let failed = self
            .events
            .iter()
            .filter(|e| e.error_code.is_some())
            .count();
        let mut s = format!(
            "did {} in {days}{}: {}",
            plural(self.events.len(), "call", "calls"),
            if self.truncated { " (at least)" } else { "" },
            some(&names, 5)
        );
        if !ips.is_empty() {
            let ips: Vec<String> = ips.iter().map(|s| s.to_string()).collect();
            s.push_str(&format!(
                " from {} ({})",
                plural(ips.len(), "IP", "IPs"),
                some(&ips, 3)
            ));
        }
        if failed > 0 {
            s.push_str(&format!("; {failed} refused"));
        }
        let last = self.events.iter().map(|e| e.time.as_str()).max();
        if let Some(l) = last {
            s.push_str(&format!("; last {}", minute(l)));
        }
        s.push_str(&own);
        s
    }
}

impl Grant {
    fn shown(&self) -> String {
        let mut s = self.name.clone();
        if self.kind == "custom" && self.admin.is_none() && !self.allows.is_empty() {
            s.push_str(&format!(" [{}]", some(&self.allows, 3)));
        }
        let mut via = Vec::new();
        if self.direct {
            via.push("directly".to_string());
        }
        if !self.via_groups.is_empty() {
            let g = if self.via_groups.len() == 1 {
                "group"
            } else {
                "groups"
            };
            via.push(format!("via {g} {}", self.via_groups.join(", ")));
        }
        if !via.is_empty() {
            s.push(' ');
            s.push_str(&via.join(" and "));
        }
        s
    }
}

impl Access {
    /// `AdministratorAccess via group ops`, `root account: can do
    /// everything`, `2 policies: ...`.
    pub fn summary(&self) -> String {
        if self.root {
            return "root account: can do everything".to_string();
        }
        let admin: Vec<String> = self
            .policies
            .iter()
            .filter(|p| p.admin.is_some())
            .map(Grant::shown)
            .collect();
        let mut s = if !admin.is_empty() {
            format!("full access: {}", some(&admin, 3))
        } else if self.policies.is_empty() {
            "no policies attached: can do nothing beyond what every user may".to_string()
        } else {
            let all: Vec<String> = self.policies.iter().map(Grant::shown).collect();
            format!(
                "{}: {}",
                plural(all.len(), "policy", "policies"),
                some(&all, 4)
            )
        };
        if let Some(b) = &self.boundary {
            s.push_str(&format!("; within permission boundary {}", b.name));
            if b.admin.is_none() && !b.allows.is_empty() {
                s.push_str(&format!(" [{}]", some(&b.allows, 3)));
            }
        }
        s
    }
}

impl Persistence {
    /// `after the leak (first commit 2026-10-01 09:00 UTC): key AKID…x
    /// created 2026-11-02 (deleted), user backdoor created ...; events:
    /// CreateAccessKey 2026-11-02 10:00 UTC`, or that nothing was.
    pub fn summary(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                format!(
                    "{} of uin {} created {} ({})",
                    k.id, k.uin, k.created, k.status
                )
            })
            .collect();
        let users: Vec<String> = self
            .users
            .iter()
            .map(|u| {
                let name = u
                    .name
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default();
                format!("{}{name} uin {} created {}", u.principal, u.uin, u.created)
            })
            .collect();
        let events: Vec<String> = self
            .events
            .iter()
            .map(|e| {
                let refused = if e.error_code.is_some() {
                    " (refused)"
                } else {
                    ""
                };
                format!("{} at {}{refused}", e.name, minute(&e.time))
            })
            .collect();
        let mut parts = Vec::new();
        if !keys.is_empty() {
            parts.push(format!(
                "{} {}",
                plural(keys.len(), "key", "keys"),
                some(&keys, 3)
            ));
        }
        if !users.is_empty() {
            parts.push(format!(
                "{} {}",
                plural(users.len(), "user", "users"),
                some(&users, 3)
            ));
        }
        if !events.is_empty() {
            parts.push(format!(
                "{}: {}",
                plural(events.len(), "granting call", "granting calls"),
                some(&events, 4)
            ));
        }
        let head = format!("since {} ({})", minute(&self.since), self.since_what);
        if parts.is_empty() {
            format!("no key, user or grant found created {head}")
        } else {
            format!("created {head}: {}", parts.join("; "))
        }
    }
}
