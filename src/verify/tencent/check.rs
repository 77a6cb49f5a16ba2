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
    /// Could not tell (throttling, clock skew, server trouble, our bug).
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
            Class::NotLive,
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
                Class::Live,
                "authenticated (the request itself was refused)",
            )
        }
        _ => (Class::Unknown, "unexpected answer"),
    }
}

fn owner_from_app_id(body: &Value) -> Owner {
    let text = |k: &str| match body.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let uin = text("Uin");
    let owner_uin = text("OwnerUin");
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
        name: None,
    }
}

fn owner_from_caller_identity(body: &Value) -> Owner {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let account = text("AccountId");
    let uin = text("PrincipalId").or_else(|| text("UserId"));
    let principal = match text("Type").as_deref() {
        Some("CAMRole") => Some("role".to_string()),
        _ if text("Arn").is_some_and(|a| a.contains(":federated-user/")) => {
            Some("federated".to_string())
        }
        _ => match (&uin, &account) {
            (Some(u), Some(a)) if u == a => Some("root".to_string()),
            (Some(_), Some(_)) => Some("sub-user".to_string()),
            _ => None,
        },
    };
    Owner {
        app_id: None,
        owner_uin: account,
        uin,
        principal,
        name: None,
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
    }
}

fn from_error(action: &str, e: &CallError) -> (Class, Verification) {
    match e {
        CallError::Api(api) => {
            let (class, why) = classify(&api.code);
            let outcome = match class {
                Class::Live => Outcome::Live,
                Class::NotLive => Outcome::NotLive,
                Class::Unknown => Outcome::Unknown,
            };
            let detail = format!("{why} ({action}: {})", api.code);
            (
                class,
                verification(outcome, detail, Some(api.request_id.clone())),
            )
        }
        other => (
            Class::Unknown,
            verification(Outcome::Unknown, format!("network: {other}"), None),
        ),
    }
}

/// Checks a pair: CAM `GetUserAppId` signed with it (owner, AppId, root or
/// sub-user); STS `GetCallerIdentity` when CAM refuses or cannot answer;
/// then `GetSecurityLastUsed` on its own id for a live key.
pub fn check_pair(client: &Client, cred: &Credential) -> Verification {
    let mut v = match client.call(cred, Service::Cam, "GetUserAppId", &json!({})) {
        Ok(a) => Verification {
            owner: Some(owner_from_app_id(&a.body)),
            ..verification(
                Outcome::Live,
                "authenticated (GetUserAppId)".to_string(),
                Some(a.request_id),
            )
        },
        Err(e) => {
            let (class, v) = from_error("GetUserAppId", &e);
            // STS can only help when CAM answered but would not tell: not
            // when the key is rejected, the clock is off, Tencent throttles
            // or the network is down (retries already happened).
            let no_help = match e.code() {
                None => true,
                Some(c) => c.starts_with("RequestLimitExceeded") || c.ends_with("SignatureExpire"),
            };
            if class == Class::NotLive || no_help {
                return v;
            }
            match client.call(cred, Service::Sts, "GetCallerIdentity", &json!({})) {
                Ok(a) => Verification {
                    owner: Some(owner_from_caller_identity(&a.body)),
                    ..verification(
                        Outcome::Live,
                        "authenticated (GetCallerIdentity)".to_string(),
                        Some(a.request_id),
                    )
                },
                Err(e2) => {
                    let (class2, v2) = from_error("GetCallerIdentity", &e2);
                    // A live verdict from either call wins; otherwise keep the STS one.
                    if class == Class::Live && class2 != Class::NotLive {
                        v
                    } else {
                        v2
                    }
                }
            }
        }
    };
    if v.outcome == Outcome::Live {
        v.last_used = own_last_used(client, cred);
    }
    v
}

fn own_last_used(client: &Client, cred: &Credential) -> Option<String> {
    let params = json!({ "SecretIdList": [cred.id()] });
    let a = client
        .call(cred, Service::Cam, "GetSecurityLastUsed", &params)
        .ok()?;
    last_used_rows(&a.body).remove(cred.id())
}

/// `SecretId -> last-use date` from a `GetSecurityLastUsed` answer; ids
/// never used (null dates) are absent.
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
        let date = match row.get("LastUsedDate").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => Some(d.to_string()),
            _ => row
                .get("LastSecretUsedDate")
                .and_then(Value::as_i64)
                .map(|ms| super::sign::scope_date(ms.div_euclid(1000))),
        };
        if let Some(d) = date {
            out.insert(id.to_string(), d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_told_apart() {
        assert_eq!(classify("AuthFailure.SecretIdNotFound").0, Class::NotLive);
        assert_eq!(classify("AuthFailure.SignatureFailure").0, Class::NotLive);
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
    fn last_used_prefers_the_date_and_falls_back_to_millis() {
        let rows = last_used_rows(&json!({"SecretIdLastUsedRows": [
            {"SecretId": "a", "LastUsedDate": "2023-11-13", "LastSecretUsedDate": 1},
            {"SecretId": "b", "LastUsedDate": null, "LastSecretUsedDate": 1_699_900_000_000_i64},
            {"SecretId": "c", "LastUsedDate": null, "LastSecretUsedDate": null}]}));
        assert_eq!(rows["a"], "2023-11-13");
        assert_eq!(rows["b"], "2023-11-13");
        assert!(!rows.contains_key("c"));
    }
}
