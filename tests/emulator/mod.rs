//! A CAM/STS emulator for tests: a std `TcpListener` on 127.0.0.1:0 served
//! by threads, holding accounts, sub-users, collaborators and keys. It checks
//! TC3 signatures the way Tencent does (from the request's `SignedHeaders`,
//! 5-minute window, scope date, `Host` with port), enforces permissions, and
//! answers with the documented HTTP-200 envelopes.
#![allow(dead_code)]

mod account;
mod actions;
pub mod alibaba;
pub mod baidu;
pub mod cdnetworks;
mod csip;
mod docs;
pub mod huawei;
pub mod qiniu;
mod sts;
mod tc3;
mod trail;
pub mod volcengine;
mod wire;

#[allow(unused_imports)]
pub use csip::Alarm;
pub use docs::beijing;
#[allow(unused_imports)]
pub use sts::Session;
#[allow(unused_imports)]
pub use trail::Logged;
pub(crate) use wire::{Loopback, RawRequest, read_request, rfc3986, unescape};

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What kind of identity a user is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The account owner.
    Root,
    /// A sub-user (UserType 2).
    SubUser,
    /// A collaborator (UserType 4).
    Collaborator,
    /// A CAM role, assumed with STS `AssumeRole`.
    Role,
    /// A WeCom (WeChat Work) sub-user (UserType 3).
    WeComUser,
    /// A CIC (identity centre) user.
    CicUser,
}

/// An identity of an account.
#[derive(Clone, Debug)]
pub struct User {
    pub uin: u64,
    pub owner: u64,
    pub name: String,
    pub kind: Kind,
    /// May call CAM read actions (ListUsers, ListAccessKeys...).
    pub cam_read: bool,
    /// May call UpdateAccessKey.
    pub cam_write: bool,
}

/// An access key.
#[derive(Clone, Debug, Default)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub uin: u64,
    pub status: String,
    pub created: String,
    /// `LastUsedDate`: a day late, so only what `set_last_used` says.
    pub last_used: Option<String>,
    /// `LastSecretUsedDate` (epoch ms): every authenticated call.
    pub last_used_ms: Option<i64>,
    /// Known to the international site only.
    pub intl: bool,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub action: String,
    /// Request line and headers, as sent.
    pub head: String,
    pub body: String,
    /// The error code answered, if any.
    pub error: Option<String>,
}

impl Recorded {
    /// The value of header `name` (case-insensitive), as received.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    }
}

#[derive(Default)]
pub(crate) struct State {
    users: BTreeMap<u64, User>,
    app_ids: HashMap<u64, u64>,
    keys: BTreeMap<String, Key>,
    calls: BTreeMap<String, u32>,
    budgets: HashMap<String, u32>,
    windows: HashMap<String, (i64, u32)>,
    clock_offset: i64,
    /// Error messages quote the caller's SecretId (`echo_caller_id`).
    echo_ids: bool,
    requests: Vec<Recorded>,
    denied: Vec<(u64, String)>,
    throttle_first: HashMap<String, u32>,
    sessions: BTreeMap<String, sts::Session>,
    faults: HashMap<String, (String, String)>,
    late: HashMap<String, Duration>,
    account: account::Model,
    events: Vec<trail::Logged>,
    /// CloudAudit keeps no `RequestClient` (see `Emulator::audit_drops_client`).
    audit_drops_client: bool,
    /// Cloud Security Center alarms, with the account they belong to.
    alarms: Vec<(u64, csip::Alarm)>,
    /// The SecretId the request being answered authenticated with.
    authenticated: Option<String>,
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Emulator {
    /// Starts an empty emulator (the China site) on 127.0.0.1 with a free port.
    pub fn start() -> Emulator {
        Emulator::listen(Arc::new(Mutex::new(State::default())), false)
    }

    /// The international site of the same world, on its own port.
    pub fn intl_site(&self) -> Emulator {
        Emulator::listen(self.state.clone(), true)
    }

    fn listen(state: Arc<Mutex<State>>, intl: bool) -> Emulator {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, &st, intl));
            }
        });
        Emulator { addr, state, stop }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Adds an account with its root user.
    pub fn account(&self, owner: u64, app_id: u64) -> &Self {
        let mut st = self.st();
        st.app_ids.insert(owner, app_id);
        st.users.insert(
            owner,
            User {
                uin: owner,
                owner,
                name: "root".into(),
                kind: Kind::Root,
                cam_read: true,
                cam_write: true,
            },
        );
        drop(st);
        self
    }

    /// Adds a sub-user or collaborator to `owner`'s account.
    pub fn user(
        &self,
        owner: u64,
        uin: u64,
        name: &str,
        kind: Kind,
        cam_read: bool,
        cam_write: bool,
    ) -> &Self {
        let u = User {
            uin,
            owner,
            name: name.into(),
            kind,
            cam_read,
            cam_write,
        };
        self.st().users.insert(uin, u);
        self
    }

    /// Adds an access key of `uin`.
    pub fn key(&self, uin: u64, id: &str, secret: &str, status: &str) -> &Self {
        let k = Key {
            id: id.into(),
            secret: secret.into(),
            uin,
            status: status.into(),
            created: "2024-03-01 10:20:30".into(),
            ..Key::default()
        };
        self.st().keys.insert(id.into(), k);
        self
    }

    /// Records a use of `id` at 08:00 UTC on `date` (`YYYY-MM-DD`).
    pub fn set_last_used(&self, id: &str, date: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.last_used = Some(date.into());
            k.last_used_ms = Some(docs::epoch_of(date) * 1000 + 8 * 3_600_000);
        }
    }

    /// Allows at most `per_second` calls of `action` per second; more get
    /// `RequestLimitExceeded`.
    pub fn budget(&self, action: &str, per_second: u32) {
        self.st().budgets.insert(action.into(), per_second);
    }

    /// Throttles the next `n` calls of `action`, whatever their rate.
    pub fn throttle_next(&self, action: &str, n: u32) {
        self.st().throttle_first.insert(action.into(), n);
    }

    /// Refuses `action` to `uin` (AuthFailure.UnauthorizedOperation), as a
    /// policy without that permission would.
    pub fn deny(&self, uin: u64, action: &str) {
        self.st().denied.push((uin, action.into()));
    }

    /// Makes every error message quote the caller's SecretId, as a server
    /// that echoes what it was sent would.
    pub fn echo_caller_id(&self) {
        self.st().echo_ids = true;
    }

    /// Moves the emulator's clock by `secs`.
    pub fn clock_offset(&self, secs: i64) {
        self.st().clock_offset = secs;
    }

    /// Calls received for `action` (every request, answered or refused).
    pub fn calls(&self, action: &str) -> u32 {
        self.st().calls.get(action).copied().unwrap_or(0)
    }

    pub fn total_calls(&self) -> u32 {
        self.st().calls.values().sum()
    }

    pub fn status(&self, id: &str) -> Option<String> {
        self.st().keys.get(id).map(|k| k.status.clone())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.st().requests.clone()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>, intl: bool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let peer = conn
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    loop {
        let Some(req) = read_request(&mut r) else {
            return;
        };
        let request_line = req.line();
        let get = |n: &str| req.header(n);
        let body = req.body.clone();
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let (answer, action) = {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            let action = get("x-tc-action").unwrap_or_default();
            *st.calls.entry(action.clone()).or_default() += 1;
            let n = st.requests.len() + 1;
            st.authenticated = None;
            let mut answer = dispatch(&mut st, intl, &method, &target, &get, &body);
            let caller = get("authorization").and_then(|a| tc3::parse_auth(&a));
            if let (true, Some(m), Some(c)) = (
                st.echo_ids,
                answer.pointer("/Error/Message").and_then(Value::as_str),
                caller,
            ) {
                answer["Error"]["Message"] = json!(format!("{m} (SecretId {})", c.id));
            }
            let error = answer
                .pointer("/Error/Code")
                .and_then(Value::as_str)
                .map(str::to_string);
            let request_id = format!("00000000-0000-4000-8000-{n:012}");
            if let Some(id) = st.authenticated.take() {
                let now = now_secs(&st);
                let call = trail::Call {
                    id: &id,
                    action: &action,
                    at: now,
                    region: get("x-tc-region").unwrap_or_default(),
                    ip: &peer,
                    client: get("x-tc-requestclient").unwrap_or_default(),
                    params: String::from_utf8_lossy(&body).into_owned(),
                    error: error.clone(),
                    request_id: &request_id,
                };
                trail::record(&mut st, call);
            }
            st.requests.push(Recorded {
                action: action.clone(),
                head: req.head.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
                error,
            });
            answer["RequestId"] = json!(request_id);
            (answer, action)
        };
        let late = state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .late
            .get(&action)
            .copied();
        if let Some(d) = late {
            std::thread::sleep(d);
        }
        let payload = serde_json::to_vec(&json!({ "Response": answer })).unwrap();
        let _ = action;
        let out = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        );
        if w.write_all(out.as_bytes())
            .and_then(|_| w.write_all(&payload))
            .is_err()
        {
            return;
        }
        if get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

pub(crate) fn err(code: &str, msg: &str) -> Value {
    json!({ "Error": { "Code": code, "Message": msg } })
}

const CAM_ACTIONS: &[&str] = &[
    "GetUserAppId",
    "GetSecurityLastUsed",
    "ListAccessKeys",
    "UpdateAccessKey",
    "ListUsers",
    "GetUser",
    "DescribeSubAccounts",
    "GetAccountSummary",
    "ListCollaborators",
    "ListAccounts",
];
const STS_ACTIONS: &[&str] = &["GetCallerIdentity", "AssumeRole", "QueryApiKey"];
const AUDIT_ACTIONS: &[&str] = &["DescribeEvents"];
const CSIP_ACTIONS: &[&str] = &["DescribeAccessKeyAlarm"];

/// The emulator's clock: this machine's, moved by `clock_offset`.
pub(crate) fn now_secs(st: &State) -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + st.clock_offset
}

fn dispatch(
    st: &mut State,
    intl: bool,
    method: &str,
    target: &str,
    get: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Value {
    let action = get("x-tc-action").unwrap_or_default();
    let Some(auth) = get("authorization").and_then(|a| tc3::parse_auth(&a)) else {
        return err(
            "AuthFailure.InvalidAuthorization",
            "Authorization header is missing or malformed.",
        );
    };
    let Some(ts) = get("x-tc-timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return err(
            "MissingParameter",
            "The request is missing a required parameter `Timestamp`.",
        );
    };
    let now = now_secs(st);
    if (now - ts).abs() > 300 {
        return err(
            "AuthFailure.SignatureExpire",
            &format!("Signature expired. Timestamp is {ts}, server time is {now}."),
        );
    }
    let not_found = "The SecretId is not found, please ensure that your SecretId is correct.";
    let Some(key) = st.keys.get(&auth.id).cloned() else {
        return err("AuthFailure.SecretIdNotFound", not_found);
    };
    if key.status != "Active" || key.intl != intl {
        return err("AuthFailure.SecretIdNotFound", not_found);
    }
    if let Some(e) = sts::check_token(st, &key, get("x-tc-token").as_deref(), now) {
        return e;
    }
    let bad_sig =
        "The provided credentials could not be validated. Please check your signature is correct.";
    if auth.date != tc3::utc_date(ts) {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    if !names.contains(&"content-type") || !names.contains(&"host") || names != sorted {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    if tc3::signature(&key.secret, &auth, method, target, get, body, ts) != auth.signature {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    // Authenticated: this call is a use of the key, and CloudAudit logs it.
    if let Some(k) = st.keys.get_mut(&auth.id) {
        k.last_used_ms = Some(now * 1000);
    }
    st.authenticated = Some(auth.id.clone());
    let (actions, version) = match auth.service.as_str() {
        "cam" => (CAM_ACTIONS, "2019-01-16"),
        "sts" => (STS_ACTIONS, "2018-08-13"),
        "cloudaudit" => (AUDIT_ACTIONS, "2019-03-19"),
        "csip" => (CSIP_ACTIONS, "2022-11-21"),
        _ => return err("InvalidAction", "unknown service"),
    };
    let modelled = auth.service == "cam" && account::answers(st, &action);
    if auth.service == "cam" && account::ACTIONS.contains(&action.as_str()) && !modelled {
        return err(
            "InvalidAction",
            &format!("Action `{action}` is not supported."),
        );
    }
    if !actions.contains(&action.as_str()) && !modelled {
        return err(
            "InvalidAction",
            &format!("Action `{action}` is not supported."),
        );
    }
    if get("x-tc-version").as_deref() != Some(version) {
        return err("NoSuchVersion", "The requested version does not exist.");
    }
    if (auth.service == "sts" || auth.service == "cloudaudit")
        && get("x-tc-region").is_none_or(|r| r.is_empty())
    {
        return err(
            "MissingParameter",
            "The request is missing a required parameter `Region`.",
        );
    }
    if let Some(n) = st.throttle_first.get_mut(&action).filter(|n| **n > 0) {
        *n -= 1;
        return err(
            "RequestLimitExceeded",
            "Your current request times exceeds the frequency limit.",
        );
    }
    if let Some(&limit) = st.budgets.get(&action) {
        let w = st.windows.entry(action.clone()).or_insert((now, 0));
        if w.0 != now {
            *w = (now, 0);
        }
        w.1 += 1;
        if w.1 > limit {
            return err(
                "RequestLimitExceeded",
                &format!(
                    "Your current request times equals to `{}` in a second, which exceeds the frequency limit `{limit}` for a second.",
                    w.1
                ),
            );
        }
    }
    let Ok(params) = serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { body })
    else {
        return err("InvalidParameter", "Request body is not valid JSON.");
    };
    let caller = st
        .users
        .get(&key.uin)
        .cloned()
        .expect("keys belong to users");
    if st
        .denied
        .iter()
        .any(|(u, a)| *u == caller.uin && *a == action)
    {
        return actions::unauthorized(&action, &caller);
    }
    if let Some((code, message)) = st.faults.get(&format!("{}:{action}", key.id)).cloned() {
        return err(&code, &message);
    }
    if action == "AssumeRole" {
        return sts::assume_role(st, &caller, &params, now);
    }
    if let Some(s) = st
        .sessions
        .get(&key.id)
        .filter(|_| action == "GetCallerIdentity")
    {
        return sts::role_identity(s, caller.owner);
    }
    let mut answer = actions::act(st, &action, &caller, &key, &params);
    account::decorate(st, &action, &mut answer);
    answer
}
