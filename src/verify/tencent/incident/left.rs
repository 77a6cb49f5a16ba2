//! What a leaked key left behind, as findings of their own: an access key
//! or identity of the auditor's account created after the leak and tied to
//! the leaked identity (the leaked key's own CloudAudit call that created
//! it, a new key of the leaked key's own user, a key of a user created
//! after the leak). Each is critical and shown at the leak's location.

use super::super::account_index::AccountIndex;
use super::super::snapshot::parse_time;
use crate::finding::incident::{AuditEvent, Incident, Persistence};
use crate::finding::{
    Finding, Fingerprint, Location, Secret, SecretKind, Snippet, Verification, redact,
};
use crate::rule::{Rule, Severity};
use crate::verify::{KeyStatus, Outcome, Owner};

/// The rule of an access key left behind.
pub const KEY_RULE: &str = "tencent.left-behind.access-key";
/// The rule of an identity left behind.
pub const USER_RULE: &str = "tencent.left-behind.identity";

/// How far a creating call may be from the creation time it explains.
const TIE: i64 = 900;

const KEY_EVENTS: &[&str] = &["CreateAccessKey"];
const USER_EVENTS: &[&str] = &["AddUser", "AddSubAccount", "AddCollaborator"];

fn rule(id: &str, name: &str, description: &str) -> Rule {
    Rule {
        id: id.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        keywords: Vec::new(),
        pattern: String::new(),
        min_entropy: None,
        max_repeat: None,
        window_lines: 0,
        window_lines_before: 0,
        generic: false,
        severity: Severity::Critical,
        path: None,
        pair: None,
        allow: Default::default(),
        verify: None,
        temporary: false,
        references: vec!["https://www.tencentcloud.com/document/product/598/32675".to_string()],
        examples: Vec::new(),
        negative_examples: Vec::new(),
    }
}

/// The two rules left-behind findings are reported under.
pub fn rules() -> Vec<Rule> {
    vec![
        rule(
            KEY_RULE,
            "Access key created by a leaked key",
            "An access key of your account created after the leak by the leaked identity: \
             whoever holds the leaked key may hold this one too. Disable it (keyhound respond \
             --disable-persistence --yes) unless it is the owner's own rotation.",
        ),
        rule(
            USER_RULE,
            "Identity created by a leaked key",
            "A CAM identity of your account created after the leak by the leaked identity: a \
             way back in. Check and remove it in the CAM console.",
        ),
    ]
}

/// The creating call of `names` closest to `created`, within [`TIE`].
fn tie<'a>(
    events: &'a [AuditEvent],
    names: &[&str],
    created: Option<i64>,
) -> Option<&'a AuditEvent> {
    let created = created?;
    events
        .iter()
        .filter(|e| names.contains(&e.name.as_str()) && e.error_code.is_none())
        .filter_map(|e| Some((e, (parse_time(&e.time)? - created).abs())))
        .filter(|(_, d)| *d <= TIE)
        .min_by_key(|(_, d)| *d)
        .map(|(e, _)| e)
}

fn by_call(e: &AuditEvent, leaked: &str) -> String {
    let from = e
        .source_ip
        .as_deref()
        .map(|ip| format!(" from {ip}"))
        .unwrap_or_default();
    format!(
        "created by the leaked key {leaked}: {} at {}{from}",
        e.name, e.time
    )
}

/// The finding of one thing left behind, shown where the leak is.
fn left_finding(
    leak: &Finding,
    rule: &str,
    secret: Secret,
    verification: Verification,
    note: &str,
) -> Finding {
    let mut matches = leak.matches.clone();
    for m in &mut matches {
        m.snippet = Snippet::new(note, Vec::new());
        m.key_location = None::<Location>;
        m.decoded = Vec::new();
        m.line_hash = None;
    }
    Finding {
        fingerprint: Fingerprint::of(rule, &secret, None),
        rule: rule.to_string(),
        secret,
        key: None,
        token: None,
        matches,
        in_head: leak.in_head,
        verification: Some(verification),
        response: None,
    }
}

fn verdict(outcome: Outcome, detail: String, owner: Owner) -> Verification {
    Verification {
        owner: Some(owner),
        ..super::super::check::verification(outcome, detail, None)
    }
}

/// The keys and identities left behind by the leaked key of `leak`, whose
/// incident picture is `i`; `taken` are the ids already reported.
fn of_leak(
    leak: &Finding,
    i: &Incident,
    p: &Persistence,
    index: &AccountIndex,
    taken: &mut Vec<String>,
) -> Vec<Finding> {
    let v = leak.verification.as_ref();
    let leaked_uin = v.and_then(|v| v.owner.as_ref()).and_then(|o| o.uin.clone());
    let leaked = leak.secret.redacted();
    let events = &p.events;
    let read_audit = i.activity.is_some();
    let new_users: Vec<&str> = p.users.iter().map(|u| u.uin.as_str()).collect();
    let mut out = Vec::new();
    for k in p.keys.iter().filter(|k| k.status != "deleted") {
        let Some(full) = index
            .keys
            .values()
            .find(|x| x.uin == k.uin && redact(&x.id, SecretKind::Identifier) == k.id)
        else {
            continue;
        };
        if taken.contains(&full.id) {
            continue;
        }
        let created = parse_time(&k.created);
        let why = if let Some(e) = tie(events, KEY_EVENTS, created) {
            by_call(e, &leaked)
        } else if leaked_uin.as_deref() == Some(k.uin.as_str()) {
            format!(
                "a new key of the leaked key's own user (uin {}), created {} after {}",
                k.uin, k.created, p.since_what
            )
        } else if new_users.contains(&k.uin.as_str()) {
            format!(
                "a key of uin {}, an identity created after the leak, created {}",
                k.uin, k.created
            )
        } else {
            continue;
        };
        taken.push(full.id.clone());
        let owner = Owner {
            owner_uin: Some(index.owner_uin.clone()),
            uin: Some(full.uin.clone()),
            principal: Some(full.principal.clone()),
            name: full.name.clone(),
            ..Owner::default()
        };
        let (outcome, state) = match full.status {
            KeyStatus::Active => (Outcome::Live, "Active"),
            KeyStatus::Inactive => (Outcome::NotLive, "Inactive (disabled)"),
        };
        let mut v = verdict(outcome, format!("{why}; {state}"), owner);
        v.status = Some(full.status);
        v.created = Some(k.created.clone());
        let note = format!(
            "access key {} {why}",
            redact(&full.id, SecretKind::Identifier)
        );
        out.push(left_finding(
            leak,
            KEY_RULE,
            Secret::new(full.id.clone(), SecretKind::Identifier),
            v,
            &note,
        ));
    }
    for u in &p.users {
        if taken.contains(&u.uin) {
            continue;
        }
        let why = match tie(events, USER_EVENTS, parse_time(&u.created)) {
            Some(e) => by_call(e, &leaked),
            None if !read_audit => format!(
                "created {} after {}; CloudAudit could not be read to tell by whom",
                u.created, p.since_what
            ),
            None => continue,
        };
        taken.push(u.uin.clone());
        let owner = Owner {
            owner_uin: Some(index.owner_uin.clone()),
            uin: Some(u.uin.clone()),
            principal: Some(u.principal.clone()),
            name: u.name.clone(),
            ..Owner::default()
        };
        let name = u.name.as_deref().unwrap_or("(no name)");
        let mut v = verdict(
            Outcome::Live,
            format!("{} {name} {why}", u.principal),
            owner,
        );
        v.created = Some(u.created.clone());
        let note = format!("{} {name} (uin {}) {why}", u.principal, u.uin);
        out.push(left_finding(
            leak,
            USER_RULE,
            Secret::new(u.uin.clone(), SecretKind::Identifier),
            v,
            &note,
        ));
    }
    out
}

/// Every key and identity left behind by the leaked keys of `findings`,
/// each once, in the findings' order.
pub fn findings(findings: &[Finding], index: &AccountIndex) -> Vec<Finding> {
    let mut taken: Vec<String> = findings
        .iter()
        .map(|f| f.secret.expose().to_string())
        .collect();
    let mut out = Vec::new();
    for f in findings {
        let Some(i) = f.verification.as_ref().and_then(|v| v.incident.as_ref()) else {
            continue;
        };
        if let Some(p) = &i.persistence {
            out.extend(of_leak(f, i, p, index, &mut taken));
        }
    }
    out
}
