//! What Tencent itself says about a key: the AccessKey alarms of Cloud
//! Security Center (`csip` `DescribeAccessKeyAlarm`, 2022-11-21), read with
//! the auditor's credentials and kept for the key's SecretId: leak alarms
//! (`AlarmType` 1, with `LeakEvidence`) and abnormal-call alarms (0).

use super::super::api::Action;
use super::super::check::utc_time;
use super::super::client::{CallError, Client, Credential};
use super::super::snapshot::answer::{num, text};
use crate::finding::incident::Alarm;
use serde_json::{Value, json};

/// `Filter.Limit` per page.
const PAGE: u64 = 100;
/// Pages read at most (10,000 alarms).
const MAX_PAGES: u64 = 100;

fn status(n: Option<u64>) -> String {
    match n {
        Some(0) => "open".to_string(),
        Some(1) => "handled".to_string(),
        Some(2) => "ignored".to_string(),
        Some(n) => format!("status {n}"),
        None => "status unknown".to_string(),
    }
}

fn alarm(row: &Value) -> Alarm {
    let when = |k: &str| {
        row.get(k)
            .and_then(Value::as_i64)
            .filter(|t| *t > 0)
            .map(utc_time)
    };
    let mut evidence: Vec<String> = row
        .get("LeakEvidence")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    evidence.extend(text(row, "Evidence").filter(|e| !e.trim().is_empty()));
    Alarm {
        kind: match num(row, "AlarmType") {
            Some(1) => "leak".to_string(),
            Some(0) => "abnormal call".to_string(),
            Some(n) => format!("type {n}"),
            None => "unknown".to_string(),
        },
        name: text(row, "Name").unwrap_or_default(),
        level: num(row, "Level").unwrap_or(0) as i64,
        status: status(num(row, "Status")),
        first: when("FirstAlarmTimestamp"),
        last: when("LastAlarmTimestamp"),
        evidence,
    }
}

/// Every alarm of the auditor's account, with the SecretId it is about.
pub(crate) fn all(
    client: &Client,
    auditor: &Credential,
) -> Result<Vec<(String, Alarm)>, CallError> {
    let mut out = Vec::new();
    let mut seen = 0u64;
    for page in 0..MAX_PAGES {
        let params = json!({"Filter": {"Limit": PAGE, "Offset": page * PAGE}});
        let a = client.call(auditor, Action::DescribeAccessKeyAlarm, &params)?;
        let rows = a
            .body
            .get("Data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        seen += rows.len() as u64;
        out.extend(
            rows.iter()
                .map(|r| (text(r, "AccessKey").unwrap_or_default(), alarm(r))),
        );
        if rows.is_empty() || seen >= num(&a.body, "Total").unwrap_or(0) {
            break;
        }
    }
    Ok(out)
}

/// The alarms about SecretId `id`, newest last raised first.
pub(crate) fn read(client: &Client, auditor: &Credential, id: &str) -> Result<Vec<Alarm>, String> {
    let rows = all(client, auditor).map_err(|e| {
        let needs = match e.code() {
            Some(c) if c.contains("UnauthorizedOperation") => {
                " (the auditor needs csip:DescribeAccessKeyAlarm)"
            }
            _ => "",
        };
        format!("Cloud Security Center DescribeAccessKeyAlarm: {e}{needs}")
    })?;
    let mut out: Vec<Alarm> = rows
        .into_iter()
        .filter(|(k, _)| k == id)
        .map(|(_, a)| a)
        .collect();
    out.sort_by(|a, b| b.last.cmp(&a.last).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}
