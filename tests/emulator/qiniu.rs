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
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct State {
    /// AccessKey -> (SecretKey, enabled, buckets).
    keys: HashMap<String, (String, bool, Vec<String>)>,
    requests: Vec<String>,
}

/// A running UC emulator; stops when dropped.
pub struct QiniuEmulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl QiniuEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> QiniuEmulator {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, &st));
            }
        });
        QiniuEmulator { addr, state, stop }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
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

impl Drop for QiniuEmulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    while let Some(req) = super::read_request(&mut r) {
        let (status, payload) = {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.requests.push(req.head.clone());
            answer(&st, &req)
        };
        let out = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        );
        if w.write_all(out.as_bytes())
            .and_then(|_| w.write_all(payload.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn answer(st: &State, req: &super::RawRequest) -> (u16, String) {
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
