//! A CAM/STS emulator for tests: a std `TcpListener` on 127.0.0.1:0 served
//! by threads, holding accounts, sub-users, collaborators and keys. It checks
//! TC3 signatures the way Tencent does (from the request's `SignedHeaders`,
//! 5-minute window, scope date, `Host` with port), enforces permissions, and
//! answers with the documented HTTP-200 envelopes.
#![allow(dead_code)]

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
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
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub uin: u64,
    pub status: String,
    pub created: String,
    pub last_used: Option<String>,
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
struct State {
    users: BTreeMap<u64, User>,
    app_ids: HashMap<u64, u64>,
    keys: BTreeMap<String, Key>,
    calls: BTreeMap<String, u32>,
    budgets: HashMap<String, u32>,
    windows: HashMap<String, (i64, u32)>,
    clock_offset: i64,
    requests: Vec<Recorded>,
    denied: Vec<(u64, String)>,
    throttle_first: HashMap<String, u32>,
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Emulator {
    /// Starts an empty emulator on 127.0.0.1 with a free port.
    pub fn start() -> Emulator {
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
            last_used: None,
        };
        self.st().keys.insert(id.into(), k);
        self
    }

    pub fn set_last_used(&self, id: &str, date: &str) {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.last_used = Some(date.into());
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

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    loop {
        let mut head = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let len: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let (answer, action) = {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            let action = get("x-tc-action").unwrap_or_default();
            *st.calls.entry(action.clone()).or_default() += 1;
            let n = st.requests.len() + 1;
            let answer = dispatch(&mut st, &method, &target, &get, &body);
            let error = answer
                .pointer("/Error/Code")
                .and_then(Value::as_str)
                .map(str::to_string);
            st.requests.push(Recorded {
                action: action.clone(),
                head: head.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
                error,
            });
            let mut answer = answer;
            answer["RequestId"] = json!(format!("00000000-0000-4000-8000-{n:012}"));
            (answer, action)
        };
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

fn err(code: &str, msg: &str) -> Value {
    json!({ "Error": { "Code": code, "Message": msg } })
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn hmac256(k: &[u8], m: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(k).unwrap();
    mac.update(m);
    mac.finalize().into_bytes().to_vec()
}

/// UTC date of a Unix time, computed independently of keyhound's signer.
fn utc_date(ts: i64) -> String {
    let mut days = ts.div_euclid(86_400);
    let mut year = 1970;
    loop {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let len = if leap { 366 } else { 365 };
        if days < len {
            let months = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let mut month = 0;
            while days >= months[month] {
                days -= months[month];
                month += 1;
            }
            return format!("{year:04}-{:02}-{:02}", month + 1, days + 1);
        }
        days -= len;
        year += 1;
    }
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
];
const STS_ACTIONS: &[&str] = &["GetCallerIdentity"];

fn dispatch(
    st: &mut State,
    method: &str,
    target: &str,
    get: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Value {
    let action = get("x-tc-action").unwrap_or_default();
    let Some(auth) = get("authorization").and_then(|a| parse_auth(&a)) else {
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
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + st.clock_offset;
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
    if key.status != "Active" {
        return err("AuthFailure.SecretIdNotFound", not_found);
    }
    if get("x-tc-token").is_some() {
        return err("AuthFailure.TokenFailure", "Token verification failed.");
    }
    let bad_sig =
        "The provided credentials could not be validated. Please check your signature is correct.";
    if auth.date != utc_date(ts) {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    if !names.contains(&"content-type") || !names.contains(&"host") || names != sorted {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    let canon_headers: String = names
        .iter()
        .map(|n| {
            format!(
                "{n}:{}\n",
                get(n).unwrap_or_default().trim().to_ascii_lowercase()
            )
        })
        .collect();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let payload: &[u8] = if method == "POST" { body } else { b"" };
    let canonical = format!(
        "{method}\n{path}\n{}\n{canon_headers}\n{}\n{}",
        if method == "GET" { query } else { "" },
        auth.signed_headers,
        sha256_hex(payload)
    );
    let sts = format!(
        "TC3-HMAC-SHA256\n{ts}\n{}/{}/tc3_request\n{}",
        auth.date,
        auth.service,
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac256(
        format!("TC3{}", key.secret).as_bytes(),
        auth.date.as_bytes(),
    );
    let k = hmac256(&k, auth.service.as_bytes());
    let k = hmac256(&k, b"tc3_request");
    if hex::encode(hmac256(&k, sts.as_bytes())) != auth.signature {
        return err("AuthFailure.SignatureFailure", bad_sig);
    }
    let (actions, version) = match auth.service.as_str() {
        "cam" => (CAM_ACTIONS, "2019-01-16"),
        "sts" => (STS_ACTIONS, "2018-08-13"),
        _ => return err("InvalidAction", "unknown service"),
    };
    if !actions.contains(&action.as_str()) {
        return err(
            "InvalidAction",
            &format!("Action `{action}` is not supported."),
        );
    }
    if get("x-tc-version").as_deref() != Some(version) {
        return err("NoSuchVersion", "The requested version does not exist.");
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
        return unauthorized(&action, &caller);
    }
    act(st, &action, &caller, &key, &params)
}

struct Auth {
    id: String,
    date: String,
    service: String,
    signed_headers: String,
    signature: String,
}

fn parse_auth(v: &str) -> Option<Auth> {
    let rest = v.strip_prefix("TC3-HMAC-SHA256 ")?;
    let mut f: HashMap<&str, &str> = HashMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        f.insert(k, v);
    }
    let cred: Vec<&str> = f.get("Credential")?.split('/').collect();
    if cred.len() != 4 || cred[3] != "tc3_request" {
        return None;
    }
    Some(Auth {
        id: cred[0].into(),
        date: cred[1].into(),
        service: cred[2].into(),
        signed_headers: f.get("SignedHeaders")?.to_string(),
        signature: f.get("Signature")?.to_string(),
    })
}

fn unauthorized(action: &str, caller: &User) -> Value {
    err(
        "AuthFailure.UnauthorizedOperation",
        &format!(
            "you are not authorized to perform operation (cam:{action})\nresource (qcs::cam::uin/{}:uin/{}) has no permission",
            caller.owner, caller.uin
        ),
    )
}

fn user_json(u: &User) -> Value {
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

fn act(st: &mut State, action: &str, caller: &User, key: &Key, p: &Value) -> Value {
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
                match mine.and_then(|k| k.last_used.clone()) {
                    Some(d) => json!({"SecretId": i, "LastUsedDate": d, "LastSecretUsedDate": 1_700_000_000_000_i64}),
                    None => json!({"SecretId": i, "LastUsedDate": null, "LastSecretUsedDate": null}),
                }
            }).collect();
            json!({ "SecretIdLastUsedRows": rows })
        }
        _ if !read_ok => unauthorized(action, caller),
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
                    j["UserType"] = json!(if u.kind == Kind::Collaborator { 4 } else { 2 });
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
                json!({"AccessKeys": st.keys.values().filter(|k| k.uin == t.uin).map(|k| json!({
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
