//! The emulator's roles and temporary credentials: `AssumeRole` issues a
//! TmpSecretId/TmpSecretKey/Token triple for a role of the caller's
//! account; calls signed with it need the matching `X-TC-Token` and act as
//! the role (`GetCallerIdentity` answers `CAMRole` with the role's ARN).

use super::{Emulator, Key, Kind, State, User, err};
use serde_json::{Value, json};

/// What a temporary SecretId was issued for.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub expires: i64,
    pub role_id: u64,
    pub role_name: String,
    pub session_name: String,
    /// The UIN that asked for the credentials.
    pub principal: u64,
}

impl Emulator {
    /// Adds role `name` (id `role_id`) to `owner`'s account; it may read
    /// CAM when `cam_read`, change keys when `cam_write`.
    pub fn role(&self, owner: u64, role_id: u64, name: &str, cam_read: bool, cam_write: bool) {
        let u = User {
            uin: role_id,
            owner,
            name: name.into(),
            kind: Kind::Role,
            cam_read,
            cam_write,
        };
        self.st().users.insert(role_id, u);
    }

    /// The ARN of role `name` of `owner`, as `AssumeRole` takes it.
    pub fn role_arn(owner: u64, name: &str) -> String {
        format!("qcs::cam::uin/{owner}:roleName/{name}")
    }

    /// Temporary SecretIds issued so far.
    pub fn sessions(&self) -> Vec<(String, Session)> {
        let st = self.st();
        st.sessions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Checks the token of a call signed with `key`: a temporary SecretId needs
/// its own unexpired token, a long-term one none.
pub(super) fn check_token(st: &State, key: &Key, token: Option<&str>, now: i64) -> Option<Value> {
    let bad = || err("AuthFailure.TokenFailure", "Token verification failed.");
    match (st.sessions.get(&key.id), token) {
        (None, None) => None,
        (None, Some(_)) => Some(bad()),
        (Some(s), Some(t)) if s.token == t && s.expires > now => None,
        (Some(_), _) => Some(bad()),
    }
}

fn fake_token(seed: usize, len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = (seed as u64 + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALNUM[(x % ALNUM.len() as u64) as usize] as char
        })
        .collect()
}

/// `sts:AssumeRole`: any identity of the role's own account may assume it.
pub(super) fn assume_role(st: &mut State, caller: &User, p: &Value, now: i64) -> Value {
    let arn = p.get("RoleArn").and_then(Value::as_str).unwrap_or_default();
    let session_name = p
        .get("RoleSessionName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if arn.is_empty() || session_name.is_empty() {
        return err(
            "MissingParameter",
            "RoleArn and RoleSessionName are required.",
        );
    }
    let role = st
        .users
        .values()
        .find(|u| u.kind == Kind::Role && Emulator::role_arn(u.owner, &u.name) == arn)
        .cloned();
    let Some(role) = role.filter(|r| r.owner == caller.owner) else {
        return err(
            "InvalidParameter.RoleNotExist",
            "the role does not exist or is not assumable by the caller",
        );
    };
    let secs = p
        .get("DurationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(7200);
    let n = st.sessions.len() + 1;
    let id = format!("AKID{}", fake_token(n, 64));
    let secret = fake_token(n + 1000, 44);
    let token = fake_token(n + 2000, 200);
    st.keys.insert(
        id.clone(),
        Key {
            id: id.clone(),
            secret: secret.clone(),
            uin: role.uin,
            status: "Active".into(),
            ..Key::default()
        },
    );
    st.sessions.insert(
        id.clone(),
        Session {
            token: token.clone(),
            expires: now + secs,
            role_id: role.uin,
            role_name: role.name.clone(),
            session_name: session_name.to_string(),
            principal: caller.uin,
        },
    );
    json!({"Credentials": {"Token": token, "TmpSecretId": id, "TmpSecretKey": secret},
           "ExpiredTime": now + secs, "Expiration": ""})
}

/// `GetCallerIdentity` as a role session answers it.
pub(super) fn role_identity(s: &Session, owner: u64) -> Value {
    json!({"Type": "CAMRole", "AccountId": owner.to_string(),
           "UserId": format!("{}:{}", s.role_id, s.session_name),
           "PrincipalId": s.principal.to_string(),
           "Arn": format!("qcs::sts:{owner}:assumed-role/{}/{}", s.role_id, s.session_name)})
}
