//! A Volcengine STS emulator, written from the `GetCallerIdentity` page
//! (2018-01-01: `AccountId`, `Trn`, `IdentityType`, `IdentityId` under
//! `Result`, `ResponseMetadata` with `RequestId` and `Error.Code`), the
//! common error codes (`InvalidAccessKey`, `SignatureDoesNotMatch`,
//! `InvalidTimestamp`) and the signature page, apart from keyhound's
//! signer: it rebuilds the canonical request from the method, path, its
//! own sorted and re-encoded query, the headers the `Authorization` names
//! in `SignedHeaders` (which must include `host` and `x-date`) and the body
//! hash, derives the key through date, region, service and `request`
//! itself, and refuses an `X-Date` more than 15 minutes off.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
struct Key {
    secret: String,
    enabled: bool,
    account: u64,
    /// `user/NAME`, `assumed-role/ROLE/SESSION` or `root`.
    resource: String,
    token: Option<String>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Key>,
    requests: Vec<String>,
    answered: u32,
}

/// A running STS emulator; stops when dropped.
pub struct VolcengineEmulator {
    server: super::Loopback,
    state: Arc<Mutex<State>>,
}

impl VolcengineEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> VolcengineEmulator {
        let state = Arc::new(Mutex::new(State::default()));
        let server = super::Loopback::start(state.clone(), answer);
        VolcengineEmulator { server, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds an IAM user's key, enabled or disabled.
    pub fn user_key(
        &self,
        id: &str,
        secret: &str,
        enabled: bool,
        account: u64,
        user: &str,
    ) -> &Self {
        self.st().keys.insert(
            id.into(),
            Key {
                secret: secret.into(),
                enabled,
                account,
                resource: format!("user/{user}"),
                token: None,
            },
        );
        self
    }

    /// Adds a temporary key of role `role` with its session token.
    pub fn sts_key(&self, id: &str, secret: &str, token: &str, account: u64, role: &str) -> &Self {
        self.st().keys.insert(
            id.into(),
            Key {
                secret: secret.into(),
                enabled: true,
                account,
                resource: format!("assumed-role/{role}/keyhound-test"),
                token: Some(token.into()),
            },
        );
        self
    }

    /// Every request line received.
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }

    /// Requests that got an identity back.
    pub fn answered(&self) -> u32 {
        self.st().answered
    }
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    let body = json!({
        "ResponseMetadata": {
            "RequestId": "2026120700000000000000000000E001",
            "Action": "GetCallerIdentity",
            "Version": "2018-01-01",
            "Service": "sts",
            "Region": "cn-north-1",
            "Error": { "Code": code, "Message": message },
        }
    });
    (status, body.to_string())
}

fn hmac256(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn answer(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    let line = req.line();
    st.requests.push(line.clone());
    let mut parts = line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return error(400, "InvalidRequest", "bad request line");
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                super::rfc3986(&super::unescape(k)),
                super::rfc3986(&super::unescape(v)),
            )
        })
        .collect();
    pairs.sort();
    let param = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if param("Action").as_deref() != Some("GetCallerIdentity")
        || param("Version").as_deref() != Some("2018-01-01")
    {
        return error(404, "InvalidActionOrVersion", "Could not find operation");
    }
    let Some(auth) = req.header("authorization") else {
        return error(
            401,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token.",
        );
    };
    let Some(fields) = auth.strip_prefix("HMAC-SHA256 ") else {
        return error(401, "InvalidAuthorization", "unknown algorithm");
    };
    let f: HashMap<&str, &str> = fields
        .split(',')
        .filter_map(|x| x.trim().split_once('='))
        .collect();
    let (Some(cred), Some(signed), Some(sig)) = (
        f.get("Credential"),
        f.get("SignedHeaders"),
        f.get("Signature"),
    ) else {
        return error(401, "MissingSignature", "The request is missing signature.");
    };
    let scope: Vec<&str> = cred.split('/').collect();
    let [id, date, region, service, "request"] = scope[..] else {
        return error(401, "InvalidCredential", "bad credential scope");
    };
    let names: Vec<&str> = signed.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-date") || service != "sts" {
        return error(
            401,
            "InvalidCredential",
            "host and x-date must be signed, for sts",
        );
    }
    let x_date = req.header("x-date").unwrap_or_default();
    if !fresh(&x_date) || !x_date.starts_with(date) {
        return error(
            400,
            "InvalidTimestamp",
            "The signature of the request is expired.",
        );
    }
    let Some(key) = st.keys.get(id).cloned() else {
        return error(
            401,
            "InvalidAccessKey",
            &format!("The accesskey [{id}] included in the request is invalid."),
        );
    };
    let body_hash = hex::encode(Sha256::digest(&req.body));
    let headers: String = names
        .iter()
        .map(|n| format!("{n}:{}\n", req.header(n).unwrap_or_default().trim()))
        .collect();
    let canonical_query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let request = format!(
        "{method}\n{path}\n{}\n{headers}\n{signed}\n{body_hash}",
        canonical_query.join("&")
    );
    let to_sign = format!(
        "HMAC-SHA256\n{x_date}\n{date}/{region}/{service}/request\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let k = hmac256(key.secret.as_bytes(), date);
    let k = hmac256(&k, region);
    let k = hmac256(&k, service);
    let k = hmac256(&k, "request");
    if hex::encode(hmac256(&k, &to_sign)) != *sig {
        return error(
            401,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if !key.enabled {
        return error(
            401,
            "InvalidAccessKey",
            &format!("The accesskey [{id}] included in the request is invalid."),
        );
    }
    if key.token.is_some() && key.token != req.header("x-security-token") {
        return error(401, "SessionTokenInvalid", "The session-toke is invalid.");
    }
    st.answered += 1;
    let (kind, identity) = match key.resource.split('/').next() {
        Some("assumed-role") => ("Role", "300000001:keyhound-test".to_string()),
        Some("root") => ("Account", key.account.to_string()),
        _ => ("User", "100000001".to_string()),
    };
    let svc = if kind == "Role" { "sts" } else { "iam" };
    let body = json!({
        "ResponseMetadata": {
            "RequestId": "20261207000000000000000000000001",
            "Action": "GetCallerIdentity",
            "Version": "2018-01-01",
            "Service": "sts",
            "Region": region,
        },
        "Result": {
            "AccountId": key.account,
            "Trn": format!("trn:{svc}::{}:{}", key.account, key.resource),
            "IdentityType": kind,
            "IdentityId": identity,
        }
    });
    (200, body.to_string())
}

/// Whether `YYYYMMDDThhmmssZ` is within 15 minutes of now.
fn fresh(x_date: &str) -> bool {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let Ok(t) = time::PrimitiveDateTime::parse(x_date, &fmt) else {
        return false;
    };
    (time::OffsetDateTime::now_utc() - t.assume_utc())
        .whole_seconds()
        .abs()
        <= 15 * 60
}
