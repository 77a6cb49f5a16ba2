//! Reading CAM answers for the audit snapshot: numbers and strings as
//! Tencent sends either, its times, failed calls as [`Gap`]s, and listed
//! policies in both listing shapes.

use super::super::client::{Action, CallError};
use crate::audit::powers::Powers;
use crate::audit::{AttachedPolicy, Fact, Gap};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

pub(crate) fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn num(v: &Value, k: &str) -> Option<u64> {
    match v.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn uin_param(uin: &str) -> Value {
    uin.parse::<u64>().map_or_else(|_| json!(uin), |n| json!(n))
}

/// The zone of Tencent's zone-less times (`"2021-02-03 00:00:00"`, CAM's
/// `CreateTime`, `LastUsedDate`...): Beijing time, UTC+8 (docs/verify.md,
/// "Times").
pub const TENCENT_OFFSET: i64 = 8 * 3600;

/// A time as Tencent or keyhound writes it, to unix seconds: Tencent's
/// zone-less `YYYY-MM-DD hh:mm:ss` or `YYYY-MM-DD` in Beijing time (UTC+8),
/// or an RFC 3339 time (`...Z`, `...+08:00`, fractions ignored) in its own
/// zone.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut parts = date.split('-').map(|p| p.parse::<i32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let day = time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    let mut secs = day.midnight().assume_utc().unix_timestamp();
    if let Some(clock) = s.get(11..19) {
        let hms: Vec<i64> = clock.split(':').filter_map(|p| p.parse().ok()).collect();
        if let [h, mi, se] = hms[..] {
            secs += h * 3600 + mi * 60 + se;
        }
    }
    Some(secs - zone_offset(s.get(19..).unwrap_or(""))?)
}

/// The offset east of UTC that the text after the clock names: none is
/// Tencent's Beijing time; `Z` UTC; `+hh:mm` / `-hh:mm` as written.
fn zone_offset(rest: &str) -> Option<i64> {
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    match rest {
        "" => Some(TENCENT_OFFSET),
        "Z" | "z" => Some(0),
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (h, m) = rest.get(1..)?.split_once(':')?;
            Some(sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60))
        }
    }
}

/// `LastSecretUsedDate` is documented as epoch milliseconds; a value too
/// small for that (before 1973) is read as seconds.
pub(super) fn epoch_secs(v: i64) -> i64 {
    if v > 100_000_000_000 {
        v.div_euclid(1000)
    } else {
        v
    }
}

/// Seconds from the start of a day to its last second.
const DAY_END: i64 = 86_399;

/// A key's last use from `LastSecretUsedDate` (`precise`) and the start
/// of its `LastUsedDate` Beijing day (`day`): the precise time when it falls
/// on or after that day, else the day's last second, so the day shown in
/// UTC is Tencent's and no key reads older than its date says.
pub(super) fn last_use(precise: Option<i64>, day: Option<i64>) -> Option<i64> {
    match (precise, day) {
        (Some(p), Some(d)) if p >= d => Some(p),
        (p, d) => p.max(d.map(|d| d + DAY_END)),
    }
}

/// What a failed call means for the audit.
pub(super) fn gap(action: Action, e: &CallError) -> Gap {
    let needs = match e.code() {
        Some("OperationDenied.SubUin") => {
            "root account credentials (a sub-user may not read the root account's keys)".to_string()
        }
        Some(c)
            if c.starts_with("AuthFailure.UnauthorizedOperation")
                || c.starts_with("UnauthorizedOperation")
                || c.starts_with("OperationDenied") =>
        {
            format!("cam:{action}")
        }
        _ => format!("cam:{action} (the call failed; try again later)"),
    };
    Gap {
        action: action.name().to_string(),
        needs,
        reason: e.to_string(),
    }
}

pub(super) fn is_missing_action(e: &CallError) -> bool {
    e.code()
        .is_some_and(|c| c.starts_with("InvalidAction") || c.starts_with("UnsupportedOperation"))
}

/// A policy as listed, before its document is looked at.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub id: u64,
    pub name: String,
    pub preset: Option<bool>,
    pub via_groups: Vec<String>,
}

pub(crate) fn listed(p: &Value, via: Option<&str>) -> Option<Listed> {
    let id = num(p, "PolicyId")?;
    let preset = match (
        text(p, "PolicyType").as_deref(),
        text(p, "StrategyType").as_deref(),
    ) {
        (Some("QCS"), _) | (_, Some("2")) => Some(true),
        (Some("User"), _) | (_, Some("1")) => Some(false),
        _ => None,
    };
    let mut via_groups: Vec<String> = p
        .get("Groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| text(g, "GroupName").or_else(|| text(g, "GroupId")))
        .collect();
    via_groups.extend(via.map(str::to_string));
    Some(Listed {
        id,
        name: text(p, "PolicyName").unwrap_or_default(),
        preset,
        via_groups,
    })
}

/// What was decided about one policy.
#[derive(Clone)]
pub(super) struct Verdict {
    /// Whether it is full administrative access, and why.
    pub admin: Fact<Option<String>>,
    /// What it grants.
    pub powers: Fact<Powers>,
}

/// One entry per policy id, with every group it comes through.
pub(super) fn merge(ps: Vec<Listed>, verdicts: &HashMap<u64, Verdict>) -> Vec<AttachedPolicy> {
    let mut by_id: BTreeMap<u64, AttachedPolicy> = BTreeMap::new();
    for p in ps {
        let e = by_id.entry(p.id).or_insert_with(|| AttachedPolicy {
            id: p.id,
            name: p.name.clone(),
            via_groups: Vec::new(),
            admin: verdicts
                .get(&p.id)
                .map_or(Fact::Known(None), |v| v.admin.clone()),
            powers: verdicts
                .get(&p.id)
                .map_or(Fact::Known(Powers::default()), |v| v.powers.clone()),
        });
        e.via_groups.extend(p.via_groups);
    }
    by_id
        .into_values()
        .map(|mut p| {
            p.via_groups.sort();
            p.via_groups.dedup();
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_use_is_seconds_or_milliseconds() {
        assert_eq!(epoch_secs(1_671_681_023_555), 1_671_681_023);
        assert_eq!(epoch_secs(1_671_681_023), 1_671_681_023);
        assert_eq!(Some(5).max(None), Some(5));
    }

    #[test]
    fn tencent_times_are_beijing_time_others_keep_their_zone() {
        assert_eq!(parse_time("1970-01-02"), Some(86_400 - 8 * 3600));
        assert_eq!(parse_time("1970-01-01 09:00:01"), Some(3601));
        assert_eq!(parse_time("2021-02-03 00:00:00"), Some(1_612_281_600));
        assert_eq!(parse_time("2021-02-02T16:00:00Z"), Some(1_612_281_600));
        assert_eq!(parse_time("2021-02-02T16:00:00.250Z"), Some(1_612_281_600));
        assert_eq!(parse_time("2021-02-03T00:00:00+08:00"), Some(1_612_281_600));
        assert_eq!(parse_time("2021-02-02T11:00:00-05:00"), Some(1_612_281_600));
        assert_eq!(parse_time("2021-02-03 00:00:00 PST"), None);
        assert_eq!(parse_time("2024-02-30"), None);
        assert_eq!(parse_time("soon"), None);
    }

    #[test]
    fn a_last_use_date_alone_counts_to_its_last_second() {
        let day = parse_time("2022-12-22");
        let precise = Some(1_671_681_023); // 2022-12-22 11:50:23 UTC+8
        assert_eq!(last_use(precise, day), precise);
        let end = last_use(None, day).unwrap();
        assert_eq!(
            super::super::super::check::utc_time(end),
            "2022-12-22T15:59:59Z"
        );
        assert_eq!(last_use(Some(5), day), Some(end), "a stale precise time");
        assert_eq!(last_use(None, None), None);
    }

    #[test]
    fn listed_policies_read_both_shapes() {
        let split = json!({"PolicyId": 7, "PolicyName": "p", "PolicyType": "QCS"});
        let l = listed(&split, Some("ops")).unwrap();
        assert_eq!(
            (l.id, l.preset, l.via_groups),
            (7, Some(true), vec!["ops".to_string()])
        );
        let all = json!({"PolicyId": "8", "PolicyName": "q", "StrategyType": "1",
                         "Groups": [{"GroupId": 3, "GroupName": "dev"}]});
        let l = listed(&all, None).unwrap();
        assert_eq!(
            (l.id, l.preset, l.via_groups),
            (8, Some(false), vec!["dev".to_string()])
        );
    }
}
