//! A Qiniu UC (bucket management) emulator, written from Qiniu's management
//! token page (developer.qiniu.com kodo 1201 access-token) and the Python
//! SDK's `BucketManager.buckets` (`GET /buckets`), apart from keyhound's
//! signer: it rebuilds `<path>?<query>\n` (plus a form body) itself,
//! HMAC-SHA1s it with the SecretKey, compares the URL-safe base64 sign of
//! the `QBox AK:sign` header and answers the bucket list, or 401 `{"error":
//! "bad token"}` for an unknown or disabled key or a wrong sign.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    /// AccessKey -> (SecretKey, enabled, buckets).
    keys: HashMap<String, (String, bool, Vec<String>)>,
    requests: Vec<String>,
}

/// A running UC emulator; stops when dropped.
pub struct QiniuEmulator {
    server: super::Loopback,
    state: Arc<Mutex<State>>,
}

impl QiniuEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> QiniuEmulator {
        let state = Arc::new(Mutex::new(State::default()));
        let server = super::Loopback::start(state.clone(), answer);
        QiniuEmulator { server, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds a key pair, enabled or disabled, owning `buckets`.
    pub fn key(&self, ak: &str, sk: &str, enabled: bool, buckets: &[&str]) -> &Self {
        let buckets = buckets.iter().map(|b| b.to_string()).collect();
        self.st()
            .keys
            .insert(ak.into(), (sk.into(), enabled, buckets));
        self
    }

    /// Every request received: request line and headers.
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }
}

fn answer(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    st.requests.push(req.head.clone());
    let bad = || (401, json!({ "error": "bad token" }).to_string());
    let line = req.line();
    let mut parts = line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return (400, json!({ "error": "bad request" }).to_string());
    };
    let Some((ak, sign)) = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("QBox ").map(str::to_string))
        .and_then(|t| {
            t.split_once(':')
                .map(|(a, s)| (a.to_string(), s.to_string()))
        })
    else {
        return bad();
    };
    let Some((sk, enabled, buckets)) = st.keys.get(&ak) else {
        return bad();
    };
    let mut data = format!("{target}\n").into_bytes();
    if req.header("content-type").as_deref() == Some("application/x-www-form-urlencoded") {
        data.extend_from_slice(&req.body);
    }
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(sk.as_bytes()).unwrap();
    m.update(&data);
    let want = base64::engine::general_purpose::URL_SAFE.encode(m.finalize().into_bytes());
    if sign != want || !enabled {
        return bad();
    }
    match (method, target) {
        ("GET", "/buckets") => (200, json!(buckets).to_string()),
        _ => (404, json!({ "error": "no such api" }).to_string()),
    }
}
