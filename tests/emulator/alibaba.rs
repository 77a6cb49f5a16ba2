//! An Alibaba Cloud STS emulator, written from the STS 2015-04-01 API model
//! (`GetCallerIdentity`: `IdentityType`, `AccountId`, `PrincipalId`,
//! `UserId`, `Arn`, `RoleId`, `RequestId`), the common error codes and the
//! RPC signature page, apart from keyhound's signer: it decodes the query,
//! re-encodes and sorts it itself, HMAC-SHA1s it with `secret&`, refuses a
//! nonce used twice and a timestamp more than 15 minutes off, and checks an
//! STS key's `SecurityToken`. Errors are `{"RequestId", "HostId", "Code",
//! "Message"}` bodies with the status Alibaba gives them.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// One AccessKey the emulator knows.
#[derive(Clone)]
struct Key {
    secret: String,
    enabled: bool,
    account: String,
    /// `user/NAME` or `assumed-role/ROLE/SESSION`.
    resource: String,
    token: Option<String>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Key>,
    nonces: HashSet<String>,
    faults: Vec<(u16, String)>,
    requests: Vec<String>,
    answered: u32,
    /// Error messages quote the caller's AccessKeyId.
    echo_ids: bool,
}

/// A running STS emulator; stops when dropped.
pub struct AlibabaEmulator {
    server: super::Loopback,
    state: Arc<Mutex<State>>,
}

impl AlibabaEmulator {
    /// Starts an emulator with no keys on 127.0.0.1 with a free port.
    pub fn start() -> AlibabaEmulator {
        let state = Arc::new(Mutex::new(State::default()));
        let server = super::Loopback::start(state.clone(), answer);
        AlibabaEmulator { server, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Adds a RAM user's AccessKey, enabled or disabled.
    pub fn user_key(
        &self,
        id: &str,
        secret: &str,
        enabled: bool,
        account: &str,
        user: &str,
    ) -> &Self {
        self.st().keys.insert(
            id.into(),
            Key {
                secret: secret.into(),
                enabled,
                account: account.into(),
                resource: format!("user/{user}"),
                token: None,
            },
        );
        self
    }

    /// Adds an STS credential of role `role`.
    pub fn sts_key(&self, id: &str, secret: &str, token: &str, account: &str, role: &str) -> &Self {
        self.st().keys.insert(
            id.into(),
            Key {
                secret: secret.into(),
                enabled: true,
                account: account.into(),
                resource: format!("assumed-role/{role}/keyhound-test"),
                token: Some(token.into()),
            },
        );
        self
    }

    /// Answers the next requests with `status` and `body`, one each.
    pub fn fault_next(&self, status: u16, body: &str, times: usize) {
        let mut st = self.st();
        for _ in 0..times {
            st.faults.push((status, body.to_string()));
        }
    }

    /// Makes every error message quote the caller's AccessKeyId, as a
    /// server that echoes what it was sent would.
    pub fn echo_caller_id(&self) {
        self.st().echo_ids = true;
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
        "RequestId": "5A2F7D0C-0000-4000-8000-00000000E001",
        "HostId": "sts.aliyuncs.com",
        "Code": code,
        "Message": message,
    });
    (status, body.to_string())
}

fn answer(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    let (status, body) = checked(st, req);
    let caller = req
        .line()
        .split(['?', '&', ' '])
        .find_map(|p| p.strip_prefix("AccessKeyId="))
        .map(str::to_string);
    match (st.echo_ids, status, caller) {
        (true, 400.., Some(id)) => {
            let mut v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let m = v["Message"].as_str().unwrap_or_default().to_string();
            v["Message"] = json!(format!("{m} AccessKeyId: {}", decode(&id)));
            (status, v.to_string())
        }
        _ => (status, body),
    }
}

fn checked(st: &mut State, req: &super::RawRequest) -> (u16, String) {
    let line = req.line();
    st.requests.push(line.clone());
    if let Some(f) = (!st.faults.is_empty()).then(|| st.faults.remove(0)) {
        return f;
    }
    let mut parts = line.split(' ');
    let (Some("GET"), Some(target)) = (parts.next(), parts.next()) else {
        return error(400, "UnsupportedHTTPMethod", "only GET is emulated");
    };
    let Some(("/", query)) = target.split_once('?') else {
        return error(400, "MissingParameter", "no query");
    };
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(decode(k), decode(v));
    }
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    for (k, want) in [
        ("Action", "GetCallerIdentity"),
        ("Version", "2015-04-01"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
    ] {
        if p(k) != want {
            return error(400, "InvalidParameter", &format!("{k} must be {want}"));
        }
    }
    let Some(key) = st.keys.get(&p("AccessKeyId")).cloned() else {
        return error(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    };
    if !st.nonces.insert(p("SignatureNonce")) {
        return error(
            409,
            "SignatureNonceUsed",
            "The request signature nonce has been used.",
        );
    }
    if !timestamp_fresh(&p("Timestamp")) {
        return error(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        );
    }
    let canonical: Vec<String> = params
        .iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let to_sign = format!("GET&%2F&{}", encode(&canonical.join("&")));
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", key.secret).as_bytes()).unwrap();
    m.update(to_sign.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
    if p("Signature") != want {
        return error(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    if !key.enabled {
        return error(
            400,
            "InvalidAccessKeyId.Inactive",
            "Specified access key is disabled.",
        );
    }
    if key
        .token
        .as_ref()
        .is_some_and(|t| params.get("SecurityToken") != Some(t))
    {
        return error(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        );
    }
    st.answered += 1;
    let role = key.resource.starts_with("assumed-role/");
    let body = json!({
        "RequestId": "5A2F7D0C-0000-4000-8000-000000000001",
        "IdentityType": if role { "AssumedRoleUser" } else { "RAMUser" },
        "AccountId": key.account,
        "PrincipalId": if role { "300800000000000001:keyhound-test" } else { "200900000000000001" },
        "UserId": if role { "" } else { "200900000000000001" },
        "RoleId": if role { "300800000000000001" } else { "" },
        "Arn": format!("acs:ram::{}:{}", key.account, key.resource),
    });
    (200, body.to_string())
}

/// Whether `YYYY-MM-DDThh:mm:ssZ` is within 15 minutes of now.
fn timestamp_fresh(ts: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let Ok(t) = time::PrimitiveDateTime::parse(ts, &fmt) else {
        return false;
    };
    let skew = time::OffsetDateTime::now_utc() - t.assume_utc();
    skew.whole_seconds().abs() <= 15 * 60
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
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
