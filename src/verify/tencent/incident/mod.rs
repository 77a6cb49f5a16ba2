//! The incident picture of a live leaked key of the auditor's account, read
//! with the auditor's credentials and read-only calls only: what the key
//! did ([`events`]), what it can do ([`access`]), what was created after
//! the leak ([`persist`]) and what Tencent's own alarms say ([`alarms`]).

mod access;
pub(crate) mod alarms;
pub(crate) mod events;
pub mod left;
mod persist;

use super::Auditor;
use super::api::Action;
use super::client::{Client, SignedCall};
use crate::finding::SignedCheck;
use crate::finding::incident::Incident;
use crate::verify::{Outcome, Verification};

/// Every action the incident picture may call; all read-only.
pub const ACTIONS: &[Action] = &[
    Action::DescribeEvents,
    Action::ListAttachedUserAllPolicies,
    Action::GetPolicy,
    Action::GetUserPermissionBoundary,
    Action::QueryApiKey,
    Action::DescribeAccessKeyAlarm,
];

/// When the leak began, as far as the report tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeakedSince {
    /// The author time of the first commit holding the key.
    Commit(i64),
    /// No commit date (a file or stdin scan).
    Unknown,
}

/// Reads the picture of live key `id` (verified as `v`); `own` are the calls
/// keyhound signed with it in this run, `earlier` those an earlier run
/// recorded, `now` the current Unix time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn picture(
    client: &Client,
    auditor: &Auditor,
    id: &str,
    v: &Verification,
    own: &[SignedCall],
    earlier: &[SignedCheck],
    leaked: LeakedSince,
    now: i64,
) -> Option<Incident> {
    if v.outcome != Outcome::Live && auditor.index.get(id).is_none() {
        return None;
    }
    let index = &auditor.index;
    let cred = &auditor.credential;
    let owner = v.owner.clone().unwrap_or_default();
    let mut out = Incident::default();
    match owner.owner_uin.as_deref() {
        Some(o) if o == index.owner_uin => {}
        other => {
            out.gaps.push(format!(
                "not read: the key belongs to account {}, the auditor's is {}; its \
                 CloudAudit log, policies and keys are that account's to read",
                other.unwrap_or("(unknown)"),
                index.owner_uin
            ));
            return Some(out);
        }
    }
    match events::read(client, cred, id, now, own, earlier) {
        Ok(a) => out.activity = Some(a),
        Err(e) => out.gaps.push(e),
    }
    out.access = access::read(client, cred, &owner, &mut out.gaps);
    match alarms::read(client, cred, id) {
        Ok(a) => out.alarms = Some(a),
        Err(e) => out.gaps.push(e),
    }
    let since = match leaked {
        LeakedSince::Commit(t) => (t, "the leak's first commit".to_string()),
        LeakedSince::Unknown => (
            now - events::DAYS * 86_400,
            format!("no commit date: the last {} days", events::DAYS),
        ),
    };
    let user = owner
        .uin
        .as_deref()
        .filter(|_| owner.principal.as_deref() != Some("role"));
    let logged = out.activity.as_ref().map(|a| a.events.as_slice());
    out.persistence = Some(persist::read(
        client,
        cred,
        index,
        id,
        user,
        since,
        logged,
        &mut out.gaps,
    ));
    Some(out)
}
