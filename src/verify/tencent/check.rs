//! Checking one found SecretId/SecretKey pair: a call signed with the pair
//! itself, its answer classified into an [`Outcome`], and the owner read
//! from the answer. Error codes follow tencent-api.md 3.2.

use super::client::{CallError, Client, Credential, Service};
use crate::verify::{Outcome, Owner, Verification};
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

fn text(body: &Value, k: &str) -> Option<String> {
    match body.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn owner_from_app_id(body: &Value) -> Owner {
    let uin = text(body, "Uin");
    let owner_uin = text(body, "OwnerUin");
    let principal = match (&uin, &owner_uin) {
        (Some(u), Some(o)) if u == o => Some("root".to_string()),
        (Some(_), Some(_)) => Some("sub-user".to_string()),
        _ => None,
    };
    Owner {
        app_id: body.get("AppId").and_then(Value::as_u64),
        owner_uin,
        uin,
        principal,
        ..Owner::default()
    }
}

fn owner_from_caller_identity(body: &Value) -> Owner {
    let account = text(body, "AccountId");
    let arn = text(body, "Arn");
    let role = text(body, "Type").as_deref() == Some("CAMRole");
    let uin = text(body, "PrincipalId").or_else(|| text(body, "UserId"));
    let principal = match () {
        _ if role => Some("role".to_string()),
        _ if arn
            .as_deref()
            .is_some_and(|a| a.contains(":federated-user/")) =>
        {
            Some("federated".to_string())
        }
        _ => match (&uin, &account) {
            (Some(u), Some(a)) if u == a => Some("root".to_string()),
            (Some(_), Some(_)) => Some("sub-user".to_string()),
            _ => None,
        },
    };
    // A role session's UserId is `roleId:roleSessionName`.
    let role_id = text(body, "UserId")
        .filter(|_| role)
        .and_then(|u| u.split_once(':').map(|(id, _)| id.to_string()));
    Owner {
        owner_uin: account,
        uin,
        principal,
        arn,
        role_id,
        ..Owner::default()
    }
}

fn verification(outcome: Outcome, detail: String, request_id: Option<String>) -> Verification {
    Verification {
        outcome,
        detail,
        request_id,
        owner: None,
        status: None,
        created: None,
        last_used: None,
        last_used_note: None,
        incident: None,
    }
}

fn outcome_of(class: Class) -> Outcome {
    match class {
        Class::Live => Outcome::Live,
        Class::NotLive => Outcome::NotLive,
        Class::WrongKey => Outcome::WrongKey,
        Class::Unknown => Outcome::Unknown,
    }
}

fn from_error(action: &str, e: &CallError) -> (Class, Verification) {
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
    let cam = client.call(cred, Service::Cam, "GetUserAppId", &json!({}));
    let temporary = cred.token().is_some();
    let mut v = match &cam {
        Ok(a) => Verification {
            owner: Some(owner_from_app_id(&a.body)),
            ..verification(
                Outcome::Live,
                "authenticated (GetUserAppId)".to_string(),
                Some(a.request_id.clone()),
            )
        },
        Err(e) => {
            let (class, v) = from_error("GetUserAppId", e);
            if !sts_can_help(class, e) {
                return v;
            }
            v
        }
    };
    if v.owner.is_some() && !temporary {
        return v;
    }
    match client.call(cred, Service::Sts, "GetCallerIdentity", &json!({})) {
        Ok(a) => {
            let sts = owner_from_caller_identity(&a.body);
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
            let (class2, v2) = from_error("GetCallerIdentity", &e2);
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
        .call(cred, Service::Cam, "GetSecurityLastUsed", &params)
        .ok()?;
    last_used_rows(&a.body).remove(cred.id())
}

/// `SecretId -> last use` from a `GetSecurityLastUsed` answer, in UTC:
/// `LastSecretUsedDate` (epoch ms, precise) as `YYYY-MM-DDThh:mm:ssZ`,
/// else `LastUsedDate` (a day late) as given. Ids never used are absent.
pub(crate) fn last_used_rows(body: &Value) -> std::collections::HashMap<String, String> {
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
        if let Some(d) = precise.or(day) {
            out.insert(id.to_string(), d);
        }
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
    fn owners_are_read_from_answers() {
        let root = owner_from_app_id(&json!({"Uin": "100", "OwnerUin": "100", "AppId": 125}));
        assert_eq!(root.principal.as_deref(), Some("root"));
        assert_eq!(root.app_id, Some(125));
        let sub = owner_from_app_id(&json!({"Uin": "101", "OwnerUin": "100", "AppId": 125}));
        assert_eq!(sub.principal.as_deref(), Some("sub-user"));
        let role = owner_from_caller_identity(&json!({"Type": "CAMRole", "AccountId": "100",
            "UserId": "4611:sess", "PrincipalId": "101", "Arn": "qcs::sts:100:assumed-role/4611"}));
        assert_eq!(role.principal.as_deref(), Some("role"));
        assert_eq!(role.owner_uin.as_deref(), Some("100"));
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

    #[test]
    fn role_sessions_keep_their_arn_and_role_id() {
        let role = owner_from_caller_identity(&json!({"Type": "CAMRole", "AccountId": "100",
            "UserId": "4611686018427387905:ir", "PrincipalId": "101",
            "Arn": "qcs::sts:100:assumed-role/4611686018427387905/ir"}));
        assert_eq!(role.role_id.as_deref(), Some("4611686018427387905"));
        assert_eq!(
            role.arn.as_deref(),
            Some("qcs::sts:100:assumed-role/4611686018427387905/ir")
        );
    }
}
