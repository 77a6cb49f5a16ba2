//! The emulated CAM/STS actions and their permission rules: a sub-user may
//! not touch root keys (OperationDenied.SubUin), a key acts only within its
//! account (OperationDenied.UinNotMatch).

use super::{Key, Kind, State, User, err};
use serde_json::{Value, json};

pub(super) fn unauthorized(action: &str, caller: &User) -> Value {
    err(
        "AuthFailure.UnauthorizedOperation",
        &format!(
            "you are not authorized to perform operation (cam:{action})\nresource (qcs::cam::uin/{}:uin/{}) has no permission",
            caller.owner, caller.uin
        ),
    )
}

pub(super) fn user_json(u: &User) -> Value {
    json!({"Uin": u.uin, "Name": u.name, "Uid": u.uin % 100_000, "Remark": "", "ConsoleLogin": 0,
           "PhoneNum": "", "CountryCode": "86", "Email": "", "CreateTime": "2024-01-01 00:00:00",
           "NickName": u.name})
}

/// The user an action targets: `TargetUin` or the caller, checked against
/// the caller's account (UinNotMatch) and root protection (SubUin).
fn target_user(st: &State, caller: &User, p: &Value) -> Result<User, Value> {
    let uin = p
        .get("TargetUin")
        .and_then(Value::as_u64)
        .unwrap_or(caller.uin);
    let Some(t) = st.users.get(&uin).filter(|t| t.owner == caller.owner) else {
        return Err(err(
            "OperationDenied.UinNotMatch",
            "the target uin does not belong to your account",
        ));
    };
    if t.kind == Kind::Root && caller.kind != Kind::Root {
        return Err(err(
            "OperationDenied.SubUin",
            "a sub-account may not operate the root account's keys",
        ));
    }
    Ok(t.clone())
}

pub(super) fn act(st: &mut State, action: &str, caller: &User, key: &Key, p: &Value) -> Value {
    let read_ok = caller.kind == Kind::Root || caller.cam_read;
    let write_ok = caller.kind == Kind::Root || caller.cam_write;
    let account_users = |st: &State, kind: Kind| -> Vec<User> {
        st.users
            .values()
            .filter(|u| u.owner == caller.owner && u.kind == kind)
            .cloned()
            .collect()
    };
    match action {
        "GetUserAppId" => {
            json!({"Uin": caller.uin.to_string(), "OwnerUin": caller.owner.to_string(),
                                  "AppId": st.app_ids.get(&caller.owner).copied().unwrap_or(0)})
        }
        "GetCallerIdentity" => json!({"Type": "CAMUser", "AccountId": caller.owner.to_string(),
            "UserId": caller.uin.to_string(), "PrincipalId": caller.uin.to_string(),
            "Arn": format!("qcs::cam:{}:uin/{}", caller.owner, caller.uin)}),
        "GetSecurityLastUsed" => {
            let ids: Vec<String> = p
                .get("SecretIdList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if ids.is_empty() || ids.len() > 10 {
                return err("InvalidParameter", "SecretIdList must hold 1 to 10 ids.");
            }
            if !read_ok && ids.iter().any(|i| *i != key.id) {
                return unauthorized(action, caller);
            }
            let rows: Vec<Value> = ids.iter().map(|i| {
                let mine = st.keys.get(i).filter(|k| st.users.get(&k.uin).is_some_and(|u| u.owner == caller.owner));
                match mine {
                    Some(k) => json!({"SecretId": i, "LastUsedDate": k.last_used, "LastSecretUsedDate": k.last_used_ms}),
                    None => json!({"SecretId": i, "LastUsedDate": null, "LastSecretUsedDate": null}),
                }
            }).collect();
            json!({ "SecretIdLastUsedRows": rows })
        }
        _ if !read_ok => unauthorized(action, caller),
        "DescribeEvents" => {
            let now = super::now_secs(st);
            super::trail::describe_events(st, caller, p, now)
        }
        "QueryApiKey" => super::trail::query_api_key(st, caller, p),
        "DescribeAccessKeyAlarm" => super::csip::describe_access_key_alarm(st, caller, p),
        _ if super::account::ACTIONS.contains(&action) => {
            super::account::act(st, action, caller, p)
        }
        "ListUsers" => {
            json!({"Data": account_users(st, Kind::SubUser).iter().map(user_json).collect::<Vec<_>>()})
        }
        "ListCollaborators" => {
            let all = account_users(st, Kind::Collaborator);
            let off = p.get("Offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            let lim = p.get("Limit").and_then(Value::as_u64).unwrap_or(20) as usize;
            let page: Vec<Value> = all.iter().skip(off).take(lim).map(user_json).collect();
            json!({"TotalNum": all.len(), "Data": page})
        }
        "ListAccounts" => super::docs::list_accounts(st, caller, p),
        "GetUser" => {
            let name = p.get("Name").and_then(Value::as_str).unwrap_or_default();
            match st
                .users
                .values()
                .find(|u| u.owner == caller.owner && u.kind == Kind::SubUser && u.name == name)
            {
                Some(u) => user_json(u),
                None => err("ResourceNotFound.UserNotExist", "user not exist"),
            }
        }
        "DescribeSubAccounts" => {
            let want: Vec<u64> = p
                .get("FilterSubAccountUin")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .collect();
            let subs: Vec<Value> = st
                .users
                .values()
                .filter(|u| {
                    u.owner == caller.owner && u.kind != Kind::Root && want.contains(&u.uin)
                })
                .map(|u| {
                    let mut j = user_json(u);
                    j["UserType"] = json!(match u.kind {
                        Kind::Collaborator => 4,
                        Kind::WeComUser => 3,
                        _ => 2,
                    });
                    j
                })
                .collect();
            json!({ "SubAccounts": subs })
        }
        "GetAccountSummary" => {
            json!({"User": account_users(st, Kind::SubUser).len(), "Group": 0, "Member": 0,
            "Policies": 0, "Roles": 0, "Idps": 0, "IdentityProviders": 0})
        }
        "ListAccessKeys" => match target_user(st, caller, p) {
            Err(e) => e,
            Ok(t) => {
                json!({"AccessKeys": st.keys.values().filter(|k| k.uin == t.uin && k.status != "Deleted").map(|k| json!({
                "AccessKeyId": k.id, "Status": k.status, "CreateTime": k.created, "Description": null}))
                .collect::<Vec<_>>()})
            }
        },
        "UpdateAccessKey" => {
            if !write_ok {
                return unauthorized(action, caller);
            }
            let t = match target_user(st, caller, p) {
                Err(e) => return e,
                Ok(t) => t,
            };
            let id = p
                .get("AccessKeyId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let status = p
                .get("Status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(k) = st.keys.get_mut(id) else {
                return err("ResourceNotFound.SecretNotExist", "secret not exist");
            };
            if k.uin != t.uin {
                return err(
                    "OperationDenied.UinNotMatch",
                    "the key does not belong to the target uin",
                );
            }
            if status != "Active" && status != "Inactive" {
                return err(
                    "InvalidParameter.ParamError",
                    "Status must be Active or Inactive",
                );
            }
            k.status = status;
            json!({})
        }
        _ => err("InvalidAction", "not implemented"),
    }
}
