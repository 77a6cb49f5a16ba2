//! What a leaked key did: CloudAudit `DescribeEvents` filtered on its
//! SecretId (`LookupAttributes` `AccessKeyId`), at most 90 days back, in
//! windows under 30 days (the documented limits), each paged with
//! `NextToken` until `ListOver`; the calls keyhound itself signed with the
//! key are left out, told apart by what survives: this run's RequestIds and
//! times, those an earlier run recorded in its report, and the
//! `RequestClient` CloudAudit keeps inside `requestParameters` (Tencent's
//! documented event has an empty `userAgent`).

use super::super::api::Action;
use super::super::check::utc_time as rfc3339;
use super::super::client::{CallError, Client, Credential, SignedCall};
use super::super::snapshot::answer::text;
use super::super::snapshot::parse_time;
use crate::finding::SignedCheck;
use crate::finding::incident::{Activity, AuditEvent};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How far back CloudAudit is asked (its documented maximum).
pub(crate) const DAYS: i64 = 90;
/// One request's span: under the documented 30 days.
const WINDOW: i64 = 29 * 86_400;
/// `MaxResults`: the documented maximum.
const PAGE: u64 = 50;
/// Events read per key at most; beyond, the oldest are left unread.
const MAX_EVENTS: usize = 2_000;
/// How far an own call's time may be from its event's (clock skew, the
/// signature window) when no RequestId ties them.
pub(crate) const OWN_SLACK: i64 = 300;

/// The actions keyhound signs with a found key to check it.
const CHECKS: &[&str] = &["GetUserAppId", "GetCallerIdentity", "GetSecurityLastUsed"];
/// How every keyhound version begins its `X-TC-RequestClient`.
const CLIENT: &str = "keyhound-";

/// The sources that tell keyhound's calls apart, as reports name them.
const BY_THIS_RUN: &str = "this run";
const BY_EARLIER: &str = "recorded by an earlier run";
const BY_CLIENT: &str = "CloudAudit RequestClient";

/// An event as read, with its time as a number for sorting and matching.
struct Read {
    at: i64,
    /// How the caller named itself, where CloudAudit kept it: the
    /// `RequestClient` inside `requestParameters`, else a non-empty
    /// `userAgent`.
    client: Option<String>,
    event: AuditEvent,
}

fn number(v: &Value, k: &str) -> Option<i64> {
    match v.get(k) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn nonempty(v: &Value, k: &str) -> Option<String> {
    text(v, k).filter(|s| !s.trim().is_empty())
}

/// `EventTime`: epoch seconds (a string in Tencent's example) or a
/// `YYYY-MM-DD hh:mm:ss` time.
fn event_time(e: &Value) -> Option<i64> {
    number(e, "EventTime").or_else(|| text(e, "EventTime").and_then(|t| parse_time(&t)))
}

/// The raw `CloudAuditEvent` JSON of an event.
fn raw(e: &Value) -> Value {
    text(e, "CloudAuditEvent")
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or(Value::Null)
}

/// The error message kept in the raw event of a refused call.
fn error_message(raw: &Value) -> Option<String> {
    ["apiErrorMessage", "errorMessage"]
        .iter()
        .find_map(|k| nonempty(raw, k))
}

/// `requestParameters` is a JSON string in Tencent's example; an object
/// is read too.
fn request_client(raw: &Value) -> Option<String> {
    let params = match raw.get("requestParameters") {
        Some(Value::String(s)) => serde_json::from_str(s).ok()?,
        Some(v @ Value::Object(_)) => v.clone(),
        _ => return None,
    };
    nonempty(&params, "RequestClient")
}

fn parse(e: &Value) -> Option<Read> {
    let at = event_time(e)?;
    let resource = match e.get("Resources") {
        Some(Value::Array(a)) => a.first().cloned(),
        Some(r @ Value::Object(_)) => Some(r.clone()),
        _ => None,
    }
    .unwrap_or(Value::Null);
    let error_code = number(e, "ErrorCode").filter(|c| *c != 0);
    let raw = raw(e);
    Some(Read {
        at,
        client: request_client(&raw).or_else(|| nonempty(&raw, "userAgent")),
        event: AuditEvent {
            name: nonempty(e, "EventName").unwrap_or_else(|| "(unnamed)".to_string()),
            time: rfc3339(at),
            source_ip: nonempty(e, "SourceIPAddress"),
            location: nonempty(e, "Location"),
            region: nonempty(e, "EventRegion").or_else(|| nonempty(e, "ResourceRegion")),
            error_message: error_code.and_then(|_| error_message(&raw)),
            error_code,
            resource_type: nonempty(&resource, "ResourceType"),
            resource_name: nonempty(&resource, "ResourceName"),
            request_id: nonempty(e, "RequestID"),
        },
    })
}

/// Why CloudAudit could not be read, for the incident's gaps.
fn gap(e: &CallError) -> String {
    let needs = match e.code() {
        Some(c) if c.contains("UnauthorizedOperation") || c.starts_with("OperationDenied") => {
            " (the auditor needs cloudaudit:DescribeEvents)"
        }
        _ => "",
    };
    format!("CloudAudit DescribeEvents: {e}{needs}")
}

/// Every event of one window `[start, end]`, paged.
fn window(
    client: &Client,
    auditor: &Credential,
    id: &str,
    (start, end): (i64, i64),
    out: &mut Vec<Read>,
) -> Result<bool, CallError> {
    let mut token: Option<i64> = None;
    loop {
        let mut params = json!({
            "StartTime": start,
            "EndTime": end,
            "MaxResults": PAGE,
            "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": id}],
            "IsReturnLocation": 1,
        });
        if let Some(t) = token {
            params["NextToken"] = json!(t);
        }
        let a = client.call(auditor, Action::DescribeEvents, &params)?;
        let events = a.body.get("Events").and_then(Value::as_array);
        let n = events.map_or(0, Vec::len);
        for e in events.into_iter().flatten() {
            if text(e, "SecretId").is_some_and(|s| !s.is_empty() && s != id) {
                continue;
            }
            if let Some(r) = parse(e) {
                out.push(r);
            }
        }
        if out.len() >= MAX_EVENTS {
            return Ok(true);
        }
        let over = a.body.get("ListOver").and_then(Value::as_bool) != Some(false);
        let next = number(&a.body, "NextToken");
        if over || n == 0 || next.is_none() || next == token {
            return Ok(false);
        }
        token = next;
    }
}

/// Takes out the event of one known call: with `rid`, the one with that
/// RequestId; without, one of the same action within [`OWN_SLACK`] of `at`.
fn take(events: &mut Vec<Read>, action: &str, at: Option<i64>, rid: Option<&str>) -> Option<Read> {
    let i = match rid {
        Some(r) => events
            .iter()
            .position(|e| e.event.request_id.as_deref() == Some(r))?,
        None => {
            let at = at?;
            events
                .iter()
                .position(|e| e.event.name == action && (e.at - at).abs() <= OWN_SLACK)?
        }
    };
    Some(events.remove(i))
}

/// Takes out keyhound's own calls: this run's (`own`) and those earlier
/// runs recorded (`earlier`), by RequestId first, then by action and time
/// for the calls whose RequestId found nothing; then the checks whose
/// `RequestClient` is keyhound's. Returns them, so nothing is hidden, and
/// how many each source recognised. Only check actions are taken on the
/// strength of the client name alone: anyone can send it.
fn leave_out_own(
    events: &mut Vec<Read>,
    own: &[SignedCall],
    earlier: &[SignedCheck],
) -> (Vec<AuditEvent>, BTreeMap<String, usize>) {
    let known: Vec<(&str, Option<i64>, Option<&str>, &str)> = own
        .iter()
        .map(|c| {
            (
                c.action.name(),
                Some(c.timestamp),
                c.request_id.as_deref(),
                BY_THIS_RUN,
            )
        })
        .chain(earlier.iter().map(|c| {
            (
                c.action.as_str(),
                parse_time(&c.time),
                c.request_id.as_deref(),
                BY_EARLIER,
            )
        }))
        .collect();
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    let mut taken = Vec::new();
    let mut unmatched = Vec::new();
    for &(action, at, rid, source) in &known {
        match rid.and_then(|r| take(events, action, at, Some(r))) {
            Some(r) => {
                *by.entry(source.to_string()).or_default() += 1;
                taken.push(r);
            }
            None => unmatched.push((action, at, source)),
        }
    }
    for (action, at, source) in unmatched {
        if let Some(r) = take(events, action, at, None) {
            *by.entry(source.to_string()).or_default() += 1;
            taken.push(r);
        }
    }
    let by_client = |e: &Read| {
        CHECKS.contains(&e.event.name.as_str())
            && e.client.as_deref().is_some_and(|c| c.starts_with(CLIENT))
    };
    let (checks, rest): (Vec<Read>, Vec<Read>) = events.drain(..).partition(by_client);
    *events = rest;
    if !checks.is_empty() {
        by.insert(BY_CLIENT.to_string(), checks.len());
    }
    taken.extend(checks);
    taken.sort_by_key(|r| std::cmp::Reverse(r.at));
    (taken.into_iter().map(|r| r.event).collect(), by)
}

/// The key's events over the last [`DAYS`] days before `now`.
pub(crate) fn read(
    client: &Client,
    auditor: &Credential,
    id: &str,
    now: i64,
    own: &[SignedCall],
    earlier: &[SignedCheck],
) -> Result<Activity, String> {
    let since = now - DAYS * 86_400 + 60;
    let mut got = Vec::new();
    let mut end = now;
    let mut truncated = false;
    while end > since && !truncated {
        let start = (end - WINDOW).max(since);
        truncated = window(client, auditor, id, (start, end), &mut got).map_err(|e| gap(&e))?;
        end = start - 1;
    }
    got.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then_with(|| a.event.request_id.cmp(&b.event.request_id))
            .then_with(|| a.event.name.cmp(&b.event.name))
    });
    got.dedup_by(|a, b| a.event.request_id.is_some() && a.event == b.event);
    let (keyhound_calls, own_calls_by) = leave_out_own(&mut got, own, earlier);
    Ok(Activity {
        since: rfc3339(since),
        until: rfc3339(now),
        days: DAYS as u32,
        events: got.into_iter().map(|r| r.event).collect(),
        own_calls_left_out: keyhound_calls.len(),
        keyhound_calls,
        own_calls_by,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: i64, name: &str, rid: &str) -> Read {
        Read {
            at,
            client: None,
            event: AuditEvent {
                name: name.into(),
                time: rfc3339(at),
                request_id: Some(rid.into()),
                ..AuditEvent::default()
            },
        }
    }

    fn own(action: Action, ts: i64, rid: Option<&str>) -> SignedCall {
        SignedCall {
            id: "AKID".into(),
            action,
            timestamp: ts,
            request_id: rid.map(str::to_string),
        }
    }

    #[test]
    fn own_calls_are_matched_by_request_id_then_by_action_and_time() {
        let mut events = vec![
            ev(1000, "GetUserAppId", "r1"),
            ev(1001, "GetUserAppId", "r2"),
            ev(1002, "DescribeInstances", "r3"),
            ev(5000, "GetCallerIdentity", "r4"),
            Read {
                client: Some("keyhound-0.1.0".into()),
                ..ev(9000, "GetUserAppId", "r5")
            },
            Read {
                client: Some("keyhound-0.1.0".into()),
                ..ev(9001, "DescribeInstances", "r6")
            },
        ];
        let mine = [
            own(Action::GetUserAppId, 1001, Some("r2")),
            own(Action::GetCallerIdentity, 1003, None),
            own(Action::GetCallerIdentity, 4900, None),
        ];
        let (out, by) = leave_out_own(&mut events, &mine, &[]);
        let ids: Vec<&str> = out.iter().filter_map(|e| e.request_id.as_deref()).collect();
        assert_eq!(ids, ["r5", "r4", "r2"]);
        assert_eq!(by[BY_THIS_RUN], 2);
        assert_eq!(by[BY_CLIENT], 1);
        let left: Vec<&str> = events.iter().map(|e| e.event.name.as_str()).collect();
        assert_eq!(
            left,
            ["GetUserAppId", "DescribeInstances", "DescribeInstances"]
        );
    }

    #[test]
    fn events_read_tencents_example_shape() {
        let e = json!({"EventName": "CreateAuditTrack", "EventTime": "1680513809", "ErrorCode": 0,
            "RequestID": "008e", "SourceIPAddress": "111.111.111.111", "EventRegion": "ap-guangzhou",
            "Resources": {"ResourceName": "", "ResourceType": "cloudaudit"}, "Location": "x"});
        let r = parse(&e).unwrap();
        assert_eq!(r.at, 1_680_513_809);
        assert_eq!(r.event.time, "2023-04-03T09:23:29Z");
        assert_eq!(r.event.error_code, None);
        assert_eq!(r.event.resource_type.as_deref(), Some("cloudaudit"));
        assert_eq!(r.event.resource_name, None);
        let refused = json!({"EventName": "ListUsers", "EventTime": 1, "ErrorCode": 1,
            "CloudAuditEvent": "{\"errorMessage\":\"AuthFailure.UnauthorizedOperation\"}"});
        let r = parse(&refused).unwrap();
        assert_eq!(r.client, None);
        let documented = json!({"EventName": "GetUserAppId", "EventTime": "1680513809",
            "CloudAuditEvent": "{\"userAgent\":\"\",\"requestParameters\":\"{\\\"Action\\\":\\\"GetUserAppId\\\",\\\"RequestClient\\\":\\\"keyhound-0.1.0\\\"}\"}"});
        assert_eq!(
            parse(&documented).unwrap().client.as_deref(),
            Some("keyhound-0.1.0")
        );
        assert_eq!(r.event.error_code, Some(1));
        assert_eq!(
            r.event.error_message.as_deref(),
            Some("AuthFailure.UnauthorizedOperation")
        );
    }
}
