//! A CDNetworks API emulator, written from CDNetworks' AK/SK authentication
//! document (documents.cdnetworks.com `/document/api-doc/ak-sk-authentication`)
//! and apart from keyhound's signer: it rebuilds the canonical request from
//! the headers the request names in `SignedHeaders`, HMACs it with the raw
//! secret, refuses timestamps more than five minutes off and a timestamp
//! used twice with one key, and answers `GET /api/ssl/certificate`. Errors are
//! `{"code", "message"}` bodies with a non-2xx status and a `Date` header
//! from the emulator's (movable) clock.

use super::tc3::{hmac256, sha256_hex};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct State {
    /// AccessKey ID -> (secret, enabled).
    keys: HashMap<String, (String, bool)>,
    seen: HashSet<(String, i64)>,
    clock_offset: i64,
    /// Answers given instead of the real one to the next requests.
    faults: Vec<(u16, String)>,
    requests: Vec<String>,
    authenticated: u32,
}

/// A running CDNetworks emulator; stops when dropped.
pub struct CdnEmulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl CdnEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> CdnEmulator {
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
        CdnEmulator { addr, state, stop }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Adds an AccessKey, enabled or disabled in the console.
    pub fn key(&self, id: &str, secret: &str, enabled: bool) -> &Self {
        self.st().keys.insert(id.into(), (secret.into(), enabled));
        self
    }

    /// Moves the emulator's clock by `secs`.
    pub fn clock_offset(&self, secs: i64) {
        self.st().clock_offset = secs;
    }

    /// Answers the next requests with `status` and `body`, one each.
    pub fn fault_next(&self, status: u16, body: &str, times: usize) {
        let mut st = self.st();
        for _ in 0..times {
            st.faults.push((status, body.to_string()));
        }
    }

    /// Every request received: request line and headers.
    pub fn requests(&self) -> Vec<String> {
        self.st().requests.clone()
    }

    /// Requests whose signature checked out.
    pub fn authenticated(&self) -> u32 {
        self.st().authenticated
    }
}

impl Drop for CdnEmulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    loop {
        let Some(req) = super::read_request(&mut r) else {
            return;
        };
        let request_line = req.line();
        let get = |n: &str| req.header(n);
        let body = req.body.clone();
        let head = &req.head;
        let (status, payload, now) = {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.requests.push(head.clone());
            let now = unix_now() + st.clock_offset;
            let (status, payload) = answer(&mut st, &request_line, &get, &body, now);
            (status, payload, now)
        };
        let out = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nDate: {}\r\nContent-Length: {}\r\n\r\n",
            reason(status),
            http_date(now),
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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// RFC 1123 date of a Unix time, computed here rather than by keyhound.
fn http_date(ts: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let date = super::tc3::utc_date(ts);
    let p: Vec<usize> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let secs = ts.rem_euclid(86_400);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[ts.div_euclid(86_400).rem_euclid(7) as usize],
        p[2],
        MONTHS[p[1] - 1],
        p[0],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        json!({ "code": code, "message": message }).to_string(),
    )
}

fn parse_authorization(v: &str) -> Option<(String, String, String)> {
    let rest = v.strip_prefix("CNC-HMAC-SHA256 ")?;
    let mut f: HashMap<&str, &str> = HashMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        f.insert(k, v);
    }
    Some((
        f.get("Credential")?.to_string(),
        f.get("SignedHeaders")?.to_string(),
        f.get("Signature")?.to_string(),
    ))
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3)) {
            (b'%', Some(h))
                if std::str::from_utf8(h).is_ok_and(|h| u8::from_str_radix(h, 16).is_ok()) =>
            {
                out.push(u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap());
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn answer(
    st: &mut State,
    request_line: &str,
    get: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> (u16, String) {
    if !st.faults.is_empty() {
        return st.faults.remove(0);
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (Some(ak), Some(ts), Some(auth)) = (
        get("x-cnc-accesskey"),
        get("x-cnc-timestamp"),
        get("authorization"),
    ) else {
        return error(
            400,
            "MissingParameter",
            "x-cnc-accessKey, x-cnc-timestamp and Authorization are required",
        );
    };
    let Ok(ts) = ts.parse::<i64>() else {
        return error(400, "InvalidParameter", "x-cnc-timestamp is not a number");
    };
    let Some((credential, signed, signature)) = parse_authorization(&auth) else {
        return error(
            401,
            "InvalidAuthorization",
            "malformed Authorization header",
        );
    };
    if (now - ts).abs() > 300 {
        return error(
            401,
            "RequestExpired",
            "the timestamp is more than 5 minutes off",
        );
    }
    if credential != ak {
        return error(
            401,
            "InvalidAuthorization",
            "Credential is not x-cnc-accessKey",
        );
    }
    let Some((secret, enabled)) = st.keys.get(&ak).cloned() else {
        return error(401, "InvalidAccessKey", "the AccessKey does not exist");
    };
    if !enabled {
        return error(401, "InvalidAccessKey", "the AccessKey is disabled");
    }
    // The stricter reading of "identical x-cnc-timestamp ... does not allow
    // for repetition": a timestamp is spent by any request naming the key.
    if !st.seen.insert((ak.clone(), ts)) {
        return error(401, "RequestReplayed", "this timestamp was already used");
    }
    let names: Vec<&str> = signed.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return error(
            401,
            "SignatureDoesNotMatch",
            "content-type and host must be signed",
        );
    }
    let mut canonical_headers = String::new();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    for n in &sorted {
        let v = get(n).unwrap_or_default().trim().to_ascii_lowercase();
        canonical_headers.push_str(&format!("{n}:{v}\n"));
    }
    let canonical = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{}\n{}",
        unescape(query),
        sorted.join(";"),
        sha256_hex(body)
    );
    let to_sign = format!(
        "CNC-HMAC-SHA256\n{ts}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    if hex::encode(hmac256(secret.as_bytes(), to_sign.as_bytes())) != signature {
        return error(401, "SignatureDoesNotMatch", "the signature does not match");
    }
    st.authenticated += 1;
    match (method.as_str(), path) {
        ("GET", "/api/ssl/certificate") => (200, json!({ "ssl-certificates": [] }).to_string()),
        _ => error(404, "NotFound", "no such API"),
    }
}
