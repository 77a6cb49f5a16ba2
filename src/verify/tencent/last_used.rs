//! A found key's last use with keyhound's own calls told apart: the
//! auditor's GetSecurityLastUsed (read before any call signed with the key
//! in this run), the key's CloudAudit events (keyhound's calls left out)
//! and the calls keyhound recorded signing with it in earlier runs.

use super::incident::events::OWN_SLACK;
use super::snapshot::parse_time;
use crate::finding::SignedCheck;
use crate::verify::Verification;

/// What is known besides the verification itself.
pub(super) struct Known<'a> {
    /// Every call keyhound is known to have signed with the key.
    pub calls: &'a [SignedCheck],
    /// An earlier run found the key never used.
    pub never_before: bool,
    /// `v.last_used` was read with the auditor's credentials.
    pub auditor_read: bool,
    /// The key's creation time (Unix seconds), from the auditor's index.
    pub created: Option<i64>,
}

fn since_creation(created: Option<i64>, since: &str) -> bool {
    match (created, parse_time(since)) {
        (Some(c), Some(s)) => c >= s,
        _ => false,
    }
}

/// Replaces a last use that was keyhound's own call by the key's real last
/// use, or by "never used" / "no use except keyhound's checks", and says
/// which source decided in `last_used_note`.
pub(super) fn settle(v: &mut Verification, k: &Known<'_>) {
    let activity = v.incident.as_ref().and_then(|i| i.activity.clone());
    let mut own: Vec<i64> = k.calls.iter().filter_map(|c| parse_time(&c.time)).collect();
    if let Some(a) = &activity {
        own.extend(a.keyhound_calls.iter().filter_map(|e| parse_time(&e.time)));
    }
    let is_own = |t: i64| own.iter().any(|o| (o - t).abs() <= OWN_SLACK);
    // Only the precise `LastSecretUsedDate` can be matched to a call.
    let shown = v.last_used.clone();
    let precise = shown
        .as_deref()
        .filter(|l| l.len() > 10)
        .and_then(parse_time);
    let read_is_own = precise.is_some_and(is_own);
    let Some(a) = activity else {
        if k.auditor_read && read_is_own {
            v.last_used = None;
            v.never_used = k.never_before;
            v.last_used_note = Some(if k.never_before {
                format!(
                    "no use except keyhound's checks: the last use GetSecurityLastUsed shows ({}) \
                     is a check keyhound recorded, and an earlier run found the key never used",
                    shown.unwrap_or_default()
                )
            } else {
                format!(
                    "the last use GetSecurityLastUsed shows ({}) is a check keyhound recorded; \
                     any use before it is unknown without CloudAudit",
                    shown.unwrap_or_default()
                )
            });
        }
        return;
    };
    let newest = a.events.first();
    let newest_at = newest.and_then(|e| parse_time(&e.time));
    let read_stands = precise
        .is_some_and(|t| !read_is_own && newest_at.is_none_or(|n| t > n + OWN_SLACK))
        && k.auditor_read;
    if read_stands {
        v.never_used = false;
        v.last_used_note = Some(
            "GetSecurityLastUsed, read with the auditor's credentials: later than the key's \
             last CloudAudit event"
                .to_string(),
        );
        return;
    }
    if let Some(e) = newest {
        v.last_used = Some(e.time.clone());
        v.never_used = false;
        let from = e
            .source_ip
            .as_deref()
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default();
        v.last_used_note = Some(format!(
            "CloudAudit: the key's last call ({}{from}), keyhound's own calls left out",
            e.name
        ));
        return;
    }
    let none_before = v.never_used || k.never_before || since_creation(k.created, &a.since);
    v.last_used = None;
    v.never_used = none_before;
    v.last_used_note = Some(if none_before && a.own_calls_left_out == 0 {
        format!(
            "never used: no call in CloudAudit's {} days, and none signed by keyhound",
            a.days
        )
    } else if none_before {
        format!(
            "never used: no use except keyhound's checks ({} left out of CloudAudit's {} days)",
            a.own_calls_left_out, a.days
        )
    } else {
        format!(
            "no use in CloudAudit's {} days except keyhound's checks; any use before {} is unknown",
            a.days, a.since
        )
    });
}
