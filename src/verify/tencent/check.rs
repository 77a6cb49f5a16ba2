//! Checking one found SecretId/SecretKey pair: a call signed with the pair
//! itself, its answer classified into an [`Outcome`], and the owner read
//! from the answer. Error codes follow tencent-api.md 3.2.

use super::answer;
use super::client::{Action, CallError, Client, Credential};
use crate::verify::{Outcome, Verification};
use serde_json::{Value, json};

/// How an error code from an authenticating call is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Authenticated: the key is live even though the action was refused.
    Live,
    /// Tencent rejected the credential itself.
    NotLive,
    /// The SecretId exists; the key signing with it is not its key.
    WrongKey,
    /// Could not tell (throttling, clock skew, server trouble, a refused
    /// request, our bug).
    Unknown,
}

/// Classifies an API error code of a call signed with the checked key.
pub(crate) fn classify(code: &str) -> (Class, &'static str) {
    match code {
        "AuthFailure.SecretIdNotFound" => (
            Class::NotLive,
            "SecretId not found: unknown, deleted or disabled",
        ),
        "AuthFailure.SignatureFailure" => (
            Class::WrongKey,
            "wrong SecretKey: the SecretId exists but the key does not match it",
        ),
        "AuthFailure.InvalidSecretId" | "AuthFailure.AccessKeyIllegal" => {
            (Class::NotLive, "not a CAM API key")
        }
        "AuthFailure.TokenFailure" => (
            Class::NotLive,
            "temporary credential expired or its token is invalid",
        ),
        "AuthFailure.SignatureExpire" => (
            Class::Unknown,
            "clock skew: this machine's clock is more than 5 minutes off Tencent's",
        ),
        "AuthFailure.UnauthorizedOperation" | "AuthFailure.MFAFailure" => (
            Class::Live,
            "authenticated, but not allowed to call this action",
        ),
        c if c.starts_with("UnauthorizedOperation") => (
            Class::Live,
            "authenticated, but not allowed to call this action",
        ),
        c if c.starts_with("RequestLimitExceeded") => {
            (Class::Unknown, "throttled by Tencent after retries")
        }
        c if c.starts_with("InvalidParameter")
            || c.starts_with("MissingParameter")
            || c.starts_with("UnknownParameter") =>
        {
            (
                Class::Unknown,
                "the request was refused before the key was judged",
            )
        }
        _ => (Class::Unknown, "unexpected answer"),
    }
}

/// A verification with only its outcome, detail and RequestId.
pub(crate) fn verification(
    outcome: Outcome,
    detail: String,
    request_id: Option<String>,
) -> Verification {
    Verification {
        request_id,
        ..crate::verify::http::verdict(outcome, detail)
    }
}

/// An HTTP-200 answer that is not as documented: nothing can be concluded.
fn malformed(m: &answer::Malformed, request_id: &str) -> Verification {
    verification(
        Outcome::Unknown,
        m.to_string(),
        Some(request_id.to_string()).filter(|r| !r.is_empty()),
    )
}

fn outcome_of(class: Class) -> Outcome {
    match class {
        Class::Live => Outcome::Live,
        Class::NotLive => Outcome::NotLive,
        Class::WrongKey => Outcome::WrongKey,
        Class::Unknown => Outcome::Unknown,
    }
}

fn from_error(action: Action, e: &CallError) -> (Class, Verification) {
    match e {
        CallError::Api(api) => {
            let (class, why) = classify(&api.code);
            let detail = format!("{why} ({action}: {})", api.code);
            (
                class,
                verification(outcome_of(class), detail, Some(api.request_id.clone())),
            )
        }
        other => (
            Class::Unknown,
            verification(Outcome::Unknown, format!("network: {other}"), None),
        ),
    }
}

/// Whether asking STS can settle what CAM answered: not when the key was
/// rejected, the clock is off, Tencent throttles or the network is down.
fn sts_can_help(class: Class, e: &CallError) -> bool {
    let code = match e.code() {
        None => return false,
        Some(c) => c,
    };
    !matches!(class, Class::NotLive | Class::WrongKey)
        && !code.starts_with("RequestLimitExceeded")
        && !code.ends_with("SignatureExpire")
}

/// CAM `GetUserAppId` signed with the pair (owner, AppId, root or
/// sub-user), STS `GetCallerIdentity` when CAM refuses or cannot answer,
/// and for temporary credentials (their role ARN and id). A live verdict
/// from either service stands: STS disagreeing never turns it not live.
fn check_on(client: &Client, cred: &Credential) -> Verification {
    let cam = client.call(cred, Action::GetUserAppId, &json!({}));
    let temporary = cred.token().is_some();
    let mut v = match &cam {
        Ok(a) => match answer::app_id(&a.body) {
            Ok(owner) => Verification {
                owner: Some(owner),
                ..verification(
                    Outcome::Live,
                    "authenticated (GetUserAppId)".to_string(),
                    Some(a.request_id.clone()),
                )
            },
            Err(m) => malformed(&m, &a.request_id),
        },
        Err(e) => {
            let (class, v) = from_error(Action::GetUserAppId, e);
            if !sts_can_help(class, e) {
                return v;
            }
            v
        }
    };
    if v.owner.is_some() && !temporary {
        return v;
    }
    match client.call(cred, Action::GetCallerIdentity, &json!({})) {
        Ok(a) => {
            let sts = match answer::caller_identity(&a.body) {
                Ok(sts) => sts,
                Err(_) if v.outcome == Outcome::Live => return v,
                Err(m) => return malformed(&m, &a.request_id),
            };
            match v.owner.as_mut() {
                Some(o) if v.outcome == Outcome::Live => {
                    o.arn = sts.arn;
                    o.role_id = sts.role_id;
                    if o.role_id.is_some() {
                        o.principal = sts.principal;
                    }
                }
                _ => {
                    v = Verification {
                        owner: Some(sts),
                        ..verification(
                            Outcome::Live,
                            "authenticated (GetCallerIdentity)".to_string(),
                            Some(a.request_id),
                        )
                    }
                }
            }
            v
        }
        Err(e2) => {
            let (class2, v2) = from_error(Action::GetCallerIdentity, &e2);
            match (v.outcome, class2) {
                (Outcome::Live, Class::NotLive) => {
                    v.detail = format!(
                        "{}; STS disagrees ({}), CAM's authentication stands",
                        v.detail,
                        e2.code().unwrap_or("error")
                    );
                    v
                }
                (Outcome::Live, _) => v,
                _ => v2,
            }
        }
    }
}

/// Checks a pair on `client`'s site and, when that site does not know the
/// SecretId, on `other_site` (China vs international) before calling it
/// not live. With `own_last_used`, a live key's last use is then read with
/// the key itself (that figure includes keyhound's own check).
pub fn check_pair(
    client: &Client,
    other_site: Option<&Client>,
    cred: &Credential,
    own_last_used: bool,
) -> Verification {
    let mut v = check_on(client, cred);
    let unknown_id = v.outcome == Outcome::NotLive && v.detail.contains("SecretIdNotFound");
    let mut used = client;
    if let Some(other) = other_site.filter(|_| unknown_id) {
        let w = check_on(other, cred);
        if w.outcome == Outcome::NotLive {
            v.detail = format!("{} on both the China and the international site", v.detail);
        } else {
            v = w;
            v.detail = format!("{} (on the other site)", v.detail);
            used = other;
        }
    }
    if v.outcome == Outcome::Live
        && own_last_used
        && let Some(l) = own_last_used_of(used, cred)
    {
        v.last_used = Some(l);
        v.last_used_note =
            Some("read with the found key itself: may include keyhound's own check".to_string());
    }
    v
}

fn own_last_used_of(client: &Client, cred: &Credential) -> Option<String> {
    let params = json!({ "SecretIdList": [cred.id()] });
    let a = client
        .call(cred, Action::GetSecurityLastUsed, &params)
        .ok()?;
    last_used_rows(&a.body).remove(cred.id())
}

/// `SecretId -> last use` from a `GetSecurityLastUsed` answer, in UTC:
/// `LastSecretUsedDate` (epoch ms, precise) as `YYYY-MM-DDThh:mm:ssZ`,
/// else `LastUsedDate` (a day late) as given. Ids never used are absent.
pub fn last_used_rows(body: &Value) -> std::collections::HashMap<String, String> {
    last_used_answers(body)
        .into_iter()
        .filter_map(|(id, d)| Some((id, d?)))
        .collect()
}

/// Every row of a `GetSecurityLastUsed` answer: `None` where the key has
/// no date, which for a key of the asking account means never used.
pub fn last_used_answers(body: &Value) -> std::collections::HashMap<String, Option<String>> {
    let mut out = std::collections::HashMap::new();
    for row in body
        .get("SecretIdLastUsedRows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = row.get("SecretId").and_then(Value::as_str) else {
            continue;
        };
        let precise = row
            .get("LastSecretUsedDate")
            .and_then(Value::as_i64)
            .filter(|ms| *ms > 0)
            .map(|ms| utc_time(ms.div_euclid(1000)));
        let day = match row.get("LastUsedDate").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => Some(d.to_string()),
            _ => None,
        };
        out.insert(id.to_string(), precise.or(day));
    }
    out
}

/// `YYYY-MM-DDThh:mm:ssZ` of a Unix time.
pub(crate) fn utc_time(secs: i64) -> String {
    let day = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        super::sign::scope_date(secs),
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_told_apart() {
        assert_eq!(classify("AuthFailure.SecretIdNotFound").0, Class::NotLive);
        assert_eq!(classify("AuthFailure.SignatureFailure").0, Class::WrongKey);
        for c in [
            "InvalidParameter",
            "InvalidParameter.ParamError",
            "MissingParameter",
            "UnknownParameter",
        ] {
            assert_eq!(classify(c).0, Class::Unknown, "{c}");
        }
        assert!(
            classify("AuthFailure.SignatureFailure")
                .1
                .contains("wrong SecretKey")
        );
        assert_eq!(classify("AuthFailure.SignatureExpire").0, Class::Unknown);
        assert_eq!(classify("AuthFailure.UnauthorizedOperation").0, Class::Live);
        assert_eq!(classify("UnauthorizedOperation.Foo").0, Class::Live);
        assert_eq!(
            classify("RequestLimitExceeded.UinLimitExceeded").0,
            Class::Unknown
        );
        assert_eq!(classify("InternalError.SystemError").0, Class::Unknown);
    }

    #[test]
    fn last_used_prefers_the_precise_millis_over_the_lagging_date() {
        // Tencent's own example (598/58230): the date lags three days.
        let rows = last_used_rows(&json!({"SecretIdLastUsedRows": [
            {"SecretId": "a", "LastUsedDate": "2022-12-19", "LastSecretUsedDate": 1_671_681_023_555_i64},
            {"SecretId": "b", "LastUsedDate": "2023-11-13", "LastSecretUsedDate": null},
            {"SecretId": "c", "LastUsedDate": null, "LastSecretUsedDate": null}]}));
        assert_eq!(rows["a"], "2022-12-22T03:50:23Z");
        assert_eq!(rows["b"], "2023-11-13");
        assert!(!rows.contains_key("c"));
    }
}
