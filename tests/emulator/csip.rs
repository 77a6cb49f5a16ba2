//! The emulator's Cloud Security Center (`csip`, 2022-11-21): the AccessKey
//! alarms Tencent raises for an account, answered by
//! `DescribeAccessKeyAlarm` as the `csip` models of Tencent's Python SDK
//! describe them (`Filter` with `Limit`/`Offset`, `Data` of `AccessKeyAlarm`
//! and `Total`).

use super::{Emulator, State, User};
use serde_json::{Value, json};

/// One alarm, as a test plants it.
#[derive(Clone, Debug, Default)]
pub struct Alarm {
    /// The SecretId it is about.
    pub key: String,
    /// `AlarmType`: 0 abnormal call, 1 leak.
    pub kind: i64,
    pub name: String,
    /// `Level`: 1 notice to 5 critical.
    pub level: i64,
    /// `Status`: 0 open, 1 handled, 2 ignored.
    pub status: i64,
    pub first: i64,
    pub last: i64,
    pub leak_evidence: Vec<String>,
}

impl Emulator {
    /// Adds an alarm about key `a.key`, in that key's account.
    pub fn alarm(&self, a: Alarm) -> &Self {
        let mut st = self.st();
        let owner = st
            .keys
            .get(&a.key)
            .and_then(|k| st.users.get(&k.uin))
            .map_or(0, |u| u.owner);
        st.alarms.push((owner, a));
        self
    }
}

/// `csip:DescribeAccessKeyAlarm`: the alarms of the caller's account.
pub(super) fn describe_access_key_alarm(st: &State, caller: &User, p: &Value) -> Value {
    let filter = p.get("Filter").cloned().unwrap_or(Value::Null);
    let limit = filter.get("Limit").and_then(Value::as_i64).unwrap_or(10);
    let offset = filter.get("Offset").and_then(Value::as_i64).unwrap_or(0);
    if !(1..=100).contains(&limit) || offset < 0 {
        return super::err(
            "InvalidParameterValue",
            "Filter.Limit must be 1 to 100 and Filter.Offset at least 0.",
        );
    }
    let mine: Vec<(usize, &Alarm)> = st
        .alarms
        .iter()
        .enumerate()
        .filter(|(_, (o, _))| *o == caller.owner)
        .map(|(i, (_, a))| (i, a))
        .collect();
    let data: Vec<Value> = mine
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(i, a)| {
            let k = st.keys.get(&a.key);
            json!({
                "Name": a.name, "Level": a.level, "ID": 9000 + i, "AlarmRuleID": 7,
                "AlarmType": a.kind, "AccessKey": a.key, "AccessKeyID": 100 + i,
                "AccessKeyRemark": "", "LastAlarmTime": tencent_time(a.last),
                "Status": a.status, "Date": "", "Tag": [], "Uin": caller.owner.to_string(),
                "Nickname": "", "SubUin": k.map(|k| k.uin.to_string()).unwrap_or_default(),
                "SubNickname": "", "Type": 1, "AppID": 1_250_000_001,
                "LeakEvidence": a.leak_evidence, "IsSupportEditWhiteAccount": true,
                "Evidence": "", "RuleKey": "", "CloudType": 0, "AIStatus": 0,
                "FirstAlarmTimestamp": a.first, "LastAlarmTimestamp": a.last,
                "AIFailedReason": "",
            })
        })
        .collect();
    json!({ "Data": data, "Total": mine.len() })
}

/// `YYYY-MM-DD hh:mm:ss` of a Unix time, in Beijing time.
fn tencent_time(t: i64) -> String {
    super::beijing(t)
}
