//! Emulator behaviours taken from Tencent's documents rather than assumed:
//! `ListAccounts` over every identity type with `MaxItems` ≤ 100 and
//! `Marker` paging, keys of the international site, errors a test
//! injects for one key and action, and answers that come too late.

use super::actions::user_json;
use super::{Emulator, Kind, State, User, err};
use serde_json::{Value, json};

/// Unix time of 00:00 UTC on `date` (`YYYY-MM-DD`).
pub(super) fn epoch_of(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0], p[1], p[2]);
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

/// Tencent's zone-less `YYYY-MM-DD hh:mm:ss` of unix time `t`: Beijing
/// time (UTC+8), as CAM and Cloud Security Center write their times.
pub fn beijing(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t + 8 * 3600)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

impl Emulator {
    /// Makes `id` a key of the international site: the China site answers
    /// `AuthFailure.SecretIdNotFound` for it.
    pub fn on_intl_site(&self, id: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.intl = true;
        }
    }

    /// Answers `action` signed with `id` with error `code` (after the
    /// signature checks, as an authenticated refusal would be).
    pub fn fail(&self, id: &str, action: &str, code: &str) {
        self.fail_saying(id, action, code, "injected by the test");
    }

    /// Like [`Emulator::fail`], with Tencent's `Message` text.
    pub fn fail_saying(&self, id: &str, action: &str, code: &str, message: &str) {
        self.st().faults.insert(
            format!("{id}:{action}"),
            (code.to_string(), message.to_string()),
        );
    }

    /// Carries out `action` as usual but answers only after `delay`, as a
    /// call that times out after it was applied.
    pub fn answer_late(&self, action: &str, delay: std::time::Duration) {
        self.st().late.insert(action.to_string(), delay);
    }

    /// The `LastSecretUsedDate` (epoch ms) the emulator holds for `id`.
    pub fn last_used_ms(&self, id: &str) -> Option<i64> {
        self.st().keys.get(id).and_then(|k| k.last_used_ms)
    }
}

fn user_type(k: Kind) -> &'static str {
    match k {
        Kind::Root => "Owner",
        Kind::SubUser => "SubUser",
        Kind::Collaborator => "Collaborator",
        Kind::WeComUser => "WechatCorpUser",
        Kind::CicUser => "CICUser",
        Kind::Role => "Unknown",
    }
}

/// `cam:ListAccounts`: the owner (as `Uin: 0`, like the doc example) and
/// every identity, `MaxItems` 1-100, `Marker` an opaque offset.
pub(super) fn list_accounts(st: &State, caller: &User, p: &Value) -> Value {
    let max = p.get("MaxItems").and_then(Value::as_u64).unwrap_or(100);
    if !(1..=100).contains(&max) {
        return err("InvalidParameter", "MaxItems must be between 1 and 100.");
    }
    let start = match p.get("Marker").and_then(Value::as_str) {
        None => 0,
        Some(m) => match m.strip_prefix("m-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                return err(
                    "InvalidParameter.PaginationTokenInvalid",
                    "the Marker is invalid",
                );
            }
        },
    };
    let all: Vec<&User> = st
        .users
        .values()
        .filter(|u| u.owner == caller.owner && u.kind != Kind::Role)
        .collect();
    let end = (start + max as usize).min(all.len());
    let page: Vec<Value> = all[start.min(end)..end]
        .iter()
        .map(|u| {
            let mut j = user_json(u);
            if u.kind == Kind::Root {
                j["Uin"] = json!(0);
            }
            j["UserType"] = json!(user_type(u.kind));
            j
        })
        .collect();
    let mut out = json!({ "Users": page, "IsTruncated": end < all.len() });
    if end < all.len() {
        out["Marker"] = json!(format!("m-{end}"));
    }
    out
}
