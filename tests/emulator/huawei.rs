//! A Huawei Cloud IAM emulator for `KeystoneListAuthDomains` (`GET
//! /v3/auth/domains`: `domains` with `id`, `name`, `enabled`), written
//! from the IAM API reference, the API signing guide and API Gateway's
//! "Common Errors Related to IAM Authentication Information" page, apart
//! from keyhound's signer: it rebuilds the canonical request from the
//! method, the path with a trailing `/`, its own sorted query, the headers
//! the `Authorization` names in `SignedHeaders` and the body hash, HMACs it
//! with the SK, and refuses an `X-Sdk-Date` more than 15 minutes off. Every
//! refusal is `APIG.0301` with the documented `error_msg`.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
struct Key {
    secret: String,
    domain: (String, String),
    token: Option<String>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Key>,
    requests: Vec<String>,
    answered: u32,
}

/// A running IAM emulator; stops when dropped.
pub struct HuaweiEmulator {
    server: super::Loopback,
    state: Arc<Mutex<State>>,
}

impl HuaweiEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> HuaweiEmulator {
        let state = Arc::new(Mutex::new(State::default()));
        let server = super::Loopback::start(state.clone(), answer);
        HuaweiEmulator { server, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds a permanent AK/SK of account (domain) `domain_id`/`name`.
    pub fn key(&self, ak: &str, sk: &str, domain_id: &str, name: &str) -> &Self {
        self.st().keys.insert(
            ak.into(),
            Key {
                secret: sk.into(),
                domain: (domain_id.into(), name.into()),
                token: None,
            },
        );
        self
    }

    /// Adds a temporary AK/SK with its security token.
    pub fn temporary_key(
        &self,
        ak: &str,
        sk: &str,
        token: &str,
        domain_id: &str,
        name: &str,
    ) -> &Self {
        self.st().keys.insert(
            ak.into(),
            Key {
                secret: sk.into(),
                domain: (domain_id.into(), name.into()),
                token: Some(token.into()),
            },
        );
        self
    }

    /// Every request line received.
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }

    /// Requests that got the domain list back.
    pub fn answered(&self) -> u32 {
        self.st().answered
    }
}

fn refused(msg: &str) -> (u16, String) {
    let body = json!({
        "error_msg": format!("Incorrect IAM authentication information: {msg}"),
        "error_code": "APIG.0301",
        "request_id": "2b8bd5e5c5a7b0e7e2a3f2b4c6d8e0f1",
    });
    (401, body.to_string())
}

fn answer(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    let line = req.line();
    st.requests.push(line.clone());
    let mut parts = line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return (400, "{}".into());
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/v3/auth/domains" {
        return (
            404,
            json!({"error_msg": "not found", "error_code": "APIG.0101"}).to_string(),
        );
    }
    let Some(auth) = req.header("authorization") else {
        return refused("no Authorization header");
    };
    let Some(fields) = auth.strip_prefix("SDK-HMAC-SHA256 ") else {
        return refused("unsupported signing algorithm");
    };
    let f: HashMap<&str, &str> = fields
        .split(',')
        .filter_map(|x| x.trim().split_once('='))
        .collect();
    let (Some(ak), Some(signed), Some(sig)) =
        (f.get("Access"), f.get("SignedHeaders"), f.get("Signature"))
    else {
        return refused("malformed Authorization header");
    };
    let date = req.header("x-sdk-date").unwrap_or_default();
    if !fresh(&date) {
        return refused("calc ak sk signature fail:signature expired");
    }
    let Some(key) = st.keys.get(*ak).cloned() else {
        return refused(&format!("Get secretKey failed,ak:{ak},err:ak not exist"));
    };
    let names: Vec<&str> = signed.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-sdk-date") {
        return refused("verify aksk signature fail");
    }
    let headers: String = names
        .iter()
        .map(|n| format!("{n}:{}\n", req.header(n).unwrap_or_default().trim()))
        .collect();
    let mut q: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    q.sort();
    let request = format!(
        "{method}\n{path}/\n{}\n{headers}\n{signed}\n{}",
        q.join("&"),
        hex::encode(Sha256::digest(&req.body))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let mut m = Hmac::<Sha256>::new_from_slice(key.secret.as_bytes()).unwrap();
    m.update(to_sign.as_bytes());
    if hex::encode(m.finalize().into_bytes()) != *sig {
        return refused("verify aksk signature fail");
    }
    if key.token.is_some() && key.token != req.header("x-security-token") {
        return refused("decrypt token fail");
    }
    st.answered += 1;
    let body = json!({
        "domains": [{
            "enabled": true,
            "id": key.domain.0,
            "name": key.domain.1,
            "links": { "self": format!("https://iam.myhuaweicloud.com/v3/domains/{}", key.domain.0) },
        }],
        "links": { "self": "https://iam.myhuaweicloud.com/v3/auth/domains" },
    });
    (200, body.to_string())
}

/// Whether `YYYYMMDDThhmmssZ` is within 15 minutes of now.
fn fresh(date: &str) -> bool {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let Ok(t) = time::PrimitiveDateTime::parse(date, &fmt) else {
        return false;
    };
    (time::OffsetDateTime::now_utc() - t.assume_utc())
        .whole_seconds()
        .abs()
        <= 15 * 60
}
