//! Tencent's successful answers read strictly as documented
//! (tencent-api.md 3.3): a field of the wrong type, a UIN that is not a
//! number or a missing field makes the answer [`Malformed`], so a server
//! that answers HTTP 200 with anything else never makes a key "live".

use super::api::Action;
use crate::report::sanitize::sanitize;
use crate::verify::Owner;
use serde::Deserialize;
use serde_json::Value;

/// An HTTP-200 answer that is not the documented shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{action} answered, but not as documented: {reason}")]
pub struct Malformed {
    /// The action answered.
    pub action: Action,
    /// What is wrong with the answer.
    pub reason: String,
}

fn malformed(action: Action, reason: impl Into<String>) -> Malformed {
    Malformed {
        action,
        reason: reason.into(),
    }
}

/// `GetUserAppId`: `Uin` and `OwnerUin` strings, `AppId` an integer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AppId {
    uin: String,
    owner_uin: String,
    app_id: u64,
}

/// `GetCallerIdentity`: every field a string.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CallerIdentity {
    arn: String,
    account_id: String,
    user_id: String,
    principal_id: String,
    #[serde(rename = "Type")]
    kind: String,
}

/// The fields of `body` as `T`, naming the first that does not fit.
fn fields<T: for<'de> Deserialize<'de>>(action: Action, body: &Value) -> Result<T, Malformed> {
    T::deserialize(body).map_err(|e| malformed(action, e.to_string()))
}

/// A UIN: a decimal number, as a string.
fn uin(action: Action, field: &str, v: &str) -> Result<(), Malformed> {
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            action,
            format!("{field} \"{}\" is not a UIN", sanitize(short(v))),
        ));
    }
    Ok(())
}

/// At most 40 characters of a value, for messages.
fn short(v: &str) -> &str {
    v.char_indices().nth(40).map_or(v, |(i, _)| &v[..i])
}

/// The owner named by a `GetUserAppId` answer: `Uin == OwnerUin` is the
/// root account, anything else one of its sub-accounts.
pub fn app_id(body: &Value) -> Result<Owner, Malformed> {
    const ACTION: Action = Action::GetUserAppId;
    let a: AppId = fields(ACTION, body)?;
    uin(ACTION, "Uin", &a.uin)?;
    uin(ACTION, "OwnerUin", &a.owner_uin)?;
    let principal = if a.uin == a.owner_uin {
        "root"
    } else {
        "sub-user"
    };
    Ok(Owner {
        app_id: Some(a.app_id),
        owner_uin: Some(a.owner_uin),
        uin: Some(a.uin),
        principal: Some(principal.to_string()),
        ..Owner::default()
    })
}

/// The owner named by a `GetCallerIdentity` answer: a role session
/// (`Type` `CAMRole`, `UserId` `roleId:session`), a federated user (an ARN
/// with `:federated-user/`), the root or a sub-user.
pub fn caller_identity(body: &Value) -> Result<Owner, Malformed> {
    const ACTION: Action = Action::GetCallerIdentity;
    let c: CallerIdentity = fields(ACTION, body)?;
    uin(ACTION, "AccountId", &c.account_id)?;
    uin(ACTION, "PrincipalId", &c.principal_id)?;
    if !c.arn.starts_with("qcs::") {
        return Err(malformed(ACTION, "Arn is not a qcs:: resource name"));
    }
    if c.user_id.is_empty() || c.kind.is_empty() {
        return Err(malformed(ACTION, "UserId and Type must not be empty"));
    }
    let role = c.kind == "CAMRole";
    let principal = if role {
        "role"
    } else if c.arn.contains(":federated-user/") {
        "federated"
    } else if c.principal_id == c.account_id {
        "root"
    } else {
        "sub-user"
    };
    // A role session's UserId is `roleId:roleSessionName`.
    let role_id = role
        .then(|| c.user_id.split_once(':').map(|(id, _)| id.to_string()))
        .flatten();
    Ok(Owner {
        owner_uin: Some(c.account_id),
        uin: Some(c.principal_id),
        principal: Some(principal.to_string()),
        arn: Some(c.arn),
        role_id,
        ..Owner::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owners_are_read_from_documented_answers() {
        let root = app_id(&json!({"Uin": "100", "OwnerUin": "100", "AppId": 125})).unwrap();
        assert_eq!(root.principal.as_deref(), Some("root"));
        assert_eq!(root.app_id, Some(125));
        let sub = app_id(&json!({"Uin": "101", "OwnerUin": "100", "AppId": 125})).unwrap();
        assert_eq!(sub.principal.as_deref(), Some("sub-user"));
        let role = caller_identity(&json!({"Type": "CAMRole", "AccountId": "100",
            "UserId": "4611686018427387905:ir", "PrincipalId": "101",
            "Arn": "qcs::sts:100:assumed-role/4611686018427387905/ir"}))
        .unwrap();
        assert_eq!(role.principal.as_deref(), Some("role"));
        assert_eq!(role.owner_uin.as_deref(), Some("100"));
        assert_eq!(role.role_id.as_deref(), Some("4611686018427387905"));
    }

    #[test]
    fn anything_else_is_malformed() {
        for bad in [
            json!({"Uin": ["x"], "OwnerUin": "100", "AppId": 125}),
            json!({"Uin": "100", "OwnerUin": "100", "AppId": "notnum"}),
            json!({"Uin": 100, "OwnerUin": "100", "AppId": 125}),
            json!({"Uin": "x\u{1b}[2J", "OwnerUin": "100", "AppId": 125}),
            json!({"Uin": "", "OwnerUin": "100", "AppId": 125}),
            json!({"OwnerUin": "100", "AppId": 125}),
            json!([]),
        ] {
            let e = app_id(&bad).unwrap_err();
            assert_eq!(e.action, Action::GetUserAppId);
            assert!(!e.to_string().contains('\u{1b}'), "{e}");
        }
        let e = caller_identity(&json!({"Type": "CAMUser", "AccountId": "1", "UserId": "1",
            "PrincipalId": "1", "Arn": 5}))
        .unwrap_err();
        assert!(e.to_string().contains("GetCallerIdentity"), "{e}");
    }
}
