//! The emulator's CloudAudit (2019-03-19): every authenticated call is
//! logged with the caller's AccessKeyId, source IP, `X-TC-Region`, error
//! and RequestId; tests add older events (an attacker's); `DescribeEvents`
//! answers as Tencent documents it (times required, at most 90 days back,
//! a span under 30 days, `MaxResults` ≤ 50, `LookupAttributes` ANDed,
//! newest first, `NextToken` + `ListOver`). Also STS `QueryApiKey` (keys
//! of a user, disabled and deleted ones included).

use super::{Emulator, State, User, err};
use serde_json::{Value, json};

/// One logged call.
#[derive(Clone, Debug, Default)]
pub struct Logged {
    /// The SecretId that signed it.
    pub id: String,
    /// The action.
    pub name: String,
    /// Unix seconds.
    pub at: i64,
    pub ip: String,
    pub region: String,
    /// The API error code answered, if any.
    pub error: Option<String>,
    pub resource_type: String,
    pub resource_name: String,
    pub request_id: String,
    /// The account it happened in (filled from the key when added).
    pub owner: u64,
    pub user: String,
    /// The caller's `X-TC-RequestClient`. Tencent's documented event keeps
    /// it as `RequestClient` inside `requestParameters`, with `userAgent`
    /// empty.
    pub client: String,
    /// The request's JSON parameters, as sent.
    pub params: String,
}

const ATTRIBUTE_KEYS: &[&str] = &[
    "RequestId",
    "EventName",
    "ActionType",
    "PrincipalId",
    "ResourceType",
    "ResourceId",
    "ResourceName",
    "AccessKeyId",
    "SensitiveAction",
    "ApiErrorCode",
    "CamErrorCode",
    "SourceIPAddress",
    "Tags",
];
/// NextToken is an opaque integer: an offset above this.
const TOKEN_BASE: i64 = 16_805_138_109_322_956;
const DAY: i64 = 86_400;

impl Emulator {
    /// Adds a logged call of key `e.id` (its account and user filled in),
    /// as an attacker's call in the past would be; an answered one is a use
    /// of the key, so its last use moves up to it.
    pub fn log_event(&self, mut e: Logged) -> &Self {
        let mut st = self.st();
        if let Some(k) = st.keys.get(&e.id).cloned()
            && let Some(u) = st.users.get(&k.uin).cloned()
        {
            e.owner = u.owner;
            e.user = u.name;
        }
        if let Some(k) = st.keys.get_mut(&e.id).filter(|_| e.error.is_none()) {
            k.last_used_ms = k.last_used_ms.max(Some(e.at * 1000));
        }
        if e.request_id.is_empty() {
            e.request_id = format!("logged-{:08}", st.events.len() + 1);
        }
        st.events.push(e);
        drop(st);
        self
    }

    /// This CloudAudit keeps no `RequestClient` in `requestParameters`:
    /// nothing in an event tells which tool made the call.
    pub fn audit_drops_client(&self) -> &Self {
        self.st().audit_drops_client = true;
        self
    }

    /// Every logged call, oldest first.
    pub fn events(&self) -> Vec<Logged> {
        self.st().events.clone()
    }

    /// Deletes a key: it no longer authenticates nor is listed, but
    /// `QueryApiKey` still shows it (status 4).
    pub fn delete_key(&self, id: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.status = "Deleted".into();
        }
    }
}

/// Logs an authenticated call (called once the answer is known).
/// How one call reached the emulator.
pub(super) struct Call<'a> {
    pub id: &'a str,
    pub action: &'a str,
    pub at: i64,
    pub region: String,
    pub ip: &'a str,
    pub client: String,
    pub params: String,
    pub error: Option<String>,
    pub request_id: &'a str,
}

pub(super) fn record(st: &mut State, c: Call<'_>) {
    let Call {
        id,
        action,
        at,
        region,
        ip,
        client,
        params,
        error,
        request_id,
    } = c;
    let Some(k) = st.keys.get(id).cloned() else {
        return;
    };
    let Some(u) = st.users.get(&k.uin).cloned() else {
        return;
    };
    st.events.push(Logged {
        id: id.to_string(),
        name: action.to_string(),
        at,
        ip: ip.to_string(),
        region,
        error,
        resource_type: String::new(),
        resource_name: String::new(),
        request_id: request_id.to_string(),
        owner: u.owner,
        user: u.name,
        client,
        params,
    });
}

fn int(p: &Value, k: &str) -> Option<i64> {
    p.get(k).and_then(Value::as_i64)
}

/// The `requestParameters` CloudAudit keeps: the call's parameters, the
/// common ones among them, the caller's `RequestClient` included (as in
/// Tencent's documented `LookUpEvents` example) unless this CloudAudit is
/// set to keep no client.
fn request_parameters(e: &Logged, keep_client: bool) -> String {
    let mut p: serde_json::Map<String, Value> = serde_json::from_str(&e.params).unwrap_or_default();
    p.insert("Action".into(), json!(e.name));
    p.insert("Region".into(), json!(e.region));
    if keep_client && !e.client.is_empty() {
        p.insert("RequestClient".into(), json!(e.client));
    }
    Value::Object(p).to_string()
}

/// One event as `DescribeEvents` answers it. `CloudAuditEvent` is shaped
/// like the inner event of Tencent's documented example: `userAgent` empty,
/// `requestParameters` a JSON string, `eventTime` epoch seconds as a string.
fn event_json(e: &Logged, location: bool, keep_client: bool) -> Value {
    let error = e.error.clone().unwrap_or_default();
    let raw = json!({
        "userIdentity": {"secretId": e.id, "accountId": e.owner.to_string(),
            "principalId": e.owner.to_string(), "type": "root", "sessionContext": "",
            "userName": e.user},
        "eventTime": e.at.to_string(), "eventVersion": 1, "resourceType": e.resource_type,
        "resourceName": e.resource_name, "eventType": "ApiCall", "eventRegion": e.region,
        "requestID": e.request_id, "eventSource": "cam.tencentcloudapi.com",
        "errorCode": if e.error.is_some() { 1 } else { 0 }, "errorMessage": error,
        "eventName": e.name, "apiErrorCode": "", "apiErrorMessage": "",
        "sourceIPAddress": e.ip, "userAgent": "", "apiVersion": "3.0",
        "requestParameters": request_parameters(e, keep_client),
        "actionType": "Read", "sensitiveAction": 0,
    });
    let mut j = json!({
        "EventId": e.request_id, "Username": e.user, "EventTime": e.at.to_string(),
        "CloudAuditEvent": raw.to_string(), "ResourceTypeCn": "",
        "ErrorCode": if e.error.is_some() { 1 } else { 0 },
        "EventName": e.name, "SecretId": e.id, "EventSource": "cam.tencentcloudapi.com",
        "RequestID": e.request_id, "ResourceRegion": e.region, "AccountID": e.owner,
        "SourceIPAddress": e.ip, "EventNameCn": "",
        "Resources": {"ResourceType": e.resource_type, "ResourceName": e.resource_name},
        "EventRegion": e.region,
    });
    if location {
        j["Location"] = json!("local test network");
    }
    j
}

fn matches(e: &Logged, key: &str, values: &[&str]) -> bool {
    let v = match key {
        "AccessKeyId" => e.id.as_str(),
        "EventName" => e.name.as_str(),
        "SourceIPAddress" => e.ip.as_str(),
        "RequestId" => e.request_id.as_str(),
        "ResourceType" => e.resource_type.as_str(),
        "ResourceName" => e.resource_name.as_str(),
        _ => return true,
    };
    values.contains(&v)
}

/// `cloudaudit:DescribeEvents` over the caller's account.
pub(super) fn describe_events(st: &State, caller: &User, p: &Value, now: i64) -> Value {
    let (Some(start), Some(end)) = (int(p, "StartTime"), int(p, "EndTime")) else {
        return err(
            "InvalidParameter.Time",
            "StartTime and EndTime are required, as integer timestamps in seconds.",
        );
    };
    if start > end {
        return err(
            "InvalidParameterValue.Time",
            "StartTime may not be after EndTime.",
        );
    }
    if end - start >= 30 * DAY {
        return err(
            "LimitExceeded.OverTime",
            "the time span must be under 30 days.",
        );
    }
    if start < now - 90 * DAY {
        return err(
            "LimitExceeded.OverTime",
            "StartTime may be at most 90 days back.",
        );
    }
    let max = int(p, "MaxResults").unwrap_or(10);
    if !(1..=50).contains(&max) {
        return err(
            "InvalidParameterValue.MaxResult",
            "MaxResults is at most 50.",
        );
    }
    let mut filters: Vec<(String, Vec<String>)> = Vec::new();
    for a in p
        .get("LookupAttributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = a
            .get("AttributeKey")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !ATTRIBUTE_KEYS.contains(&key) {
            return err(
                "InvalidParameterValue.attributeKey",
                "the AttributeKey is not supported.",
            );
        }
        let value = a
            .get("AttributeValue")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match filters.iter_mut().find(|(k, _)| k == key) {
            Some((_, vs)) => vs.push(value.to_string()),
            None => filters.push((key.to_string(), vec![value.to_string()])),
        }
    }
    let offset = match int(p, "NextToken") {
        None => 0,
        Some(t) if t >= TOKEN_BASE => (t - TOKEN_BASE) as usize,
        Some(_) => return err("InvalidParameter", "NextToken is invalid."),
    };
    let mut hits: Vec<&Logged> = st
        .events
        .iter()
        .filter(|e| e.owner == caller.owner && e.at >= start && e.at <= end)
        .filter(|e| {
            filters.iter().all(|(k, vs)| {
                let vs: Vec<&str> = vs.iter().map(String::as_str).collect();
                matches(e, k, &vs)
            })
        })
        .collect();
    hits.sort_by(|a, b| b.at.cmp(&a.at).then(b.request_id.cmp(&a.request_id)));
    let location = int(p, "IsReturnLocation") == Some(1);
    let page: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(max as usize)
        .map(|e| event_json(e, location, !st.audit_drops_client))
        .collect();
    let next = offset + page.len();
    json!({"ListOver": next >= hits.len(), "NextToken": TOKEN_BASE + next as i64,
           "Events": page, "TotalCount": hits.len()})
}

/// `sts:QueryApiKey`: the keys of `TargetUin` (default: the caller) of the
/// caller's account, deleted ones included.
pub(super) fn query_api_key(st: &State, caller: &User, p: &Value) -> Value {
    let uin = p
        .get("TargetUin")
        .and_then(Value::as_u64)
        .unwrap_or(caller.uin);
    let Some(t) = st.users.get(&uin).filter(|t| t.owner == caller.owner) else {
        return err(
            "InvalidParameter.AccountNotExist",
            "the target uin does not belong to your account",
        );
    };
    let keys: Vec<Value> = st
        .keys
        .values()
        .filter(|k| k.uin == t.uin)
        .map(|k| {
            let status = match k.status.as_str() {
                "Active" => 2,
                "Inactive" => 3,
                _ => 4,
            };
            let created = super::docs::epoch_of(&k.created[..10])
                + k.created.get(11..19).map_or(0, |c| {
                    let p: Vec<i64> = c.split(':').filter_map(|x| x.parse().ok()).collect();
                    p.first().unwrap_or(&0) * 3600
                        + p.get(1).unwrap_or(&0) * 60
                        + p.get(2).unwrap_or(&0)
                })
                // CAM's text is Beijing time; QueryApiKey answers epoch seconds.
                - 8 * 3600;
            json!({"SecretId": k.id, "CreateTime": created, "Status": status})
        })
        .collect();
    json!({ "IdKeys": keys })
}
