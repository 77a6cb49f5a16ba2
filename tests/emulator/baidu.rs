//! A Baidu AI Cloud BOS emulator for `ListBuckets` (`GET /`: `owner` with
//! `id` and `displayName`, `buckets`), written from the BOS API reference,
//! the "生成认证字符串" page and the common error codes
//! (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `AccessDenied`, JSON
//! `{"code", "message", "requestId"}`), apart from keyhound's signer: it
//! parses `bce-auth-v1/AK/timestamp/expiry/signedHeaders/signature`
//! (no signedHeaders: the documented default set, as the SDK sends it),
//! derives the signing key from the SK itself, rebuilds the canonical
//! request from the headers the request names, URI-encoding names and
//! values, and refuses a timestamp more than 15 minutes off.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone)]
struct Key {
    secret: String,
    owner: (String, String),
    may_list: bool,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Key>,
    requests: Vec<String>,
    answered: u32,
}

/// A running BOS emulator; stops when dropped.
pub struct BaiduEmulator {
    server: super::Loopback,
    state: Arc<Mutex<State>>,
}

impl BaiduEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> BaiduEmulator {
        let state = Arc::new(Mutex::new(State::default()));
        let server = super::Loopback::start(state.clone(), answer);
        BaiduEmulator { server, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds a key of account `id`/`name`; `may_list`: its policy allows
    /// listing buckets.
    pub fn key(&self, ak: &str, sk: &str, id: &str, name: &str, may_list: bool) -> &Self {
        self.st().keys.insert(
            ak.into(),
            Key {
                secret: sk.into(),
                owner: (id.into(), name.into()),
                may_list,
            },
        );
        self
    }

    /// Every request line received.
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }

    /// Requests that got the bucket list back.
    pub fn answered(&self) -> u32 {
        self.st().answered
    }
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    let body = json!({ "code": code, "message": message, "requestId": "0c5e4f33-1a2b-4c5d-8e9f-000000000001" });
    (status, body.to_string())
}

fn hmac_hex(key: &[u8], data: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

fn answer(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    let line = req.line();
    st.requests.push(line.clone());
    let mut parts = line.split(' ');
    let (Some(method), Some("/")) = (parts.next(), parts.next()) else {
        return error(400, "InvalidURI", "Could not parse the specified URI.");
    };
    let auth = req.header("authorization").unwrap_or_default();
    let f: Vec<&str> = auth.split('/').collect();
    let ["bce-auth-v1", ak, timestamp, expiry, signed, sig] = f[..] else {
        return error(
            400,
            "InvalidHTTPAuthHeader",
            "Authorization header field format error.",
        );
    };
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let fresh = time::PrimitiveDateTime::parse(timestamp, &fmt).is_ok_and(|t| {
        (time::OffsetDateTime::now_utc() - t.assume_utc())
            .whole_seconds()
            .abs()
            <= 15 * 60
    });
    if !fresh {
        return error(400, "RequestExpired", "Request has expired.");
    }
    let Some(key) = st.keys.get(ak).cloned() else {
        return error(
            403,
            "InvalidAccessKeyId",
            "The Access Key ID you provided does not exist in our records.",
        );
    };
    // no signedHeaders: the default set, every one the request carries
    // (host, content-md5, content-length, content-type, x-bce-*)
    let names: Vec<&str> = if signed.is_empty() {
        req.headers
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| {
                matches!(
                    *k,
                    "host" | "content-md5" | "content-length" | "content-type"
                ) || k.starts_with("x-bce-")
            })
            .filter(|k| !req.header(k).unwrap_or_default().trim().is_empty())
            .collect()
    } else {
        signed.split(';').collect()
    };
    if !names.contains(&"host") {
        return error(403, "SignatureDoesNotMatch", "host must be signed");
    }
    let mut headers: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                "{}:{}",
                super::rfc3986(n),
                super::rfc3986(req.header(n).unwrap_or_default().trim())
            )
        })
        .collect();
    headers.sort();
    let signing_key = hmac_hex(
        key.secret.as_bytes(),
        &format!("bce-auth-v1/{ak}/{timestamp}/{expiry}"),
    );
    let request = format!("{method}\n/\n\n{}", headers.join("\n"));
    if hmac_hex(signing_key.as_bytes(), &request) != sig {
        return error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    if !key.may_list {
        return error(403, "AccessDenied", "Access denied.");
    }
    st.answered += 1;
    let body = json!({
        "owner": { "id": key.owner.0, "displayName": key.owner.1 },
        "buckets": [{ "name": "assets", "location": "bj", "creationDate": "2026-01-02T03:04:05Z" }],
    });
    (200, body.to_string())
}
