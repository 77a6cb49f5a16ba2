//! An Alibaba Cloud STS and RAM emulator, written from the STS 2015-04-01
//! and RAM 2015-05-01 API models of Alibaba's official Python SDK
//! (`alibabacloud_sts20150401`, `alibabacloud_ram20150501`: field names,
//! list shapes), the common error codes and the two signature pages, apart
//! from keyhound's signer. The RPC signature 1.0 (query `Signature`): it
//! decodes the query, re-encodes and sorts it itself, HMAC-SHA1s it with
//! `secret&`. The V3 signature (`Authorization: ACS3-HMAC-SHA256`, what the
//! official SDK sends): it rebuilds the canonical request from the method,
//! path, sorted query, the headers the request says it signed and the body
//! hash, and HMAC-SHA256s its hash. Either way it refuses a nonce used
//! twice, a time more than 15 minutes off, a disabled key and an STS key
//! without its token. Errors are `{"RequestId", "HostId", "Code",
//! "Message"}` bodies with the status Alibaba gives them.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// One AccessKey the emulator knows.
#[derive(Clone)]
struct Key {
    secret: String,
    enabled: bool,
    account: String,
    /// `root`, `user/NAME` or `assumed-role/ROLE/SESSION`.
    resource: String,
    token: Option<String>,
    /// May call RAM (an administrator's key).
    ram: bool,
    /// `AccessKeyLastUsed.LastUsedDate`.
    last_used: Option<String>,
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
    /// RAM user ids by account and user name.
    users: BTreeMap<(String, String), String>,
    /// `UpdateAccessKey` calls that changed a key: `(id, Status)`.
    updates: Vec<(String, String)>,
    /// The signature each authenticated request carried: `v1` or `v3`.
    signatures: Vec<&'static str>,
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
                ram: false,
                last_used: None,
            },
        );
        let mut st = self.st();
        let n = st.users.len();
        st.users
            .entry((account.to_string(), user.to_string()))
            .or_insert_with(|| format!("20{:016}", n + 1));
        drop(st);
        self
    }

    /// Adds the root account's AccessKey of `account` (may call RAM).
    pub fn root_key(&self, id: &str, secret: &str, account: &str) -> &Self {
        self.st().keys.insert(
            id.into(),
            Key {
                secret: secret.into(),
                enabled: true,
                account: account.into(),
                resource: "root".into(),
                token: None,
                ram: true,
                last_used: None,
            },
        );
        self
    }

    /// Lets `id` call RAM (a RAM administrator's key).
    pub fn ram_admin(&self, id: &str) -> &Self {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.ram = true;
        }
        self
    }

    /// Sets the date `GetAccessKeyLastUsed` gives for `id`.
    pub fn set_last_used(&self, id: &str, date: &str) -> &Self {
        if let Some(k) = self.st().keys.get_mut(id) {
            k.last_used = Some(date.into());
        }
        self
    }

    /// Whether `id` is enabled (`None`: unknown key).
    pub fn enabled(&self, id: &str) -> Option<bool> {
        self.st().keys.get(id).map(|k| k.enabled)
    }

    /// The `UpdateAccessKey` calls received: `(AccessKeyId, Status)`.
    pub fn updates(&self) -> Vec<(String, String)> {
        self.st().updates.clone()
    }

    /// The signature version of every authenticated request.
    pub fn signatures(&self) -> Vec<&'static str> {
        self.st().signatures.clone()
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
                ram: false,
                last_used: None,
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
            v["Message"] = json!(format!("{m} AccessKeyId: {}", super::unescape(&id)));
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
    let (Some(method @ ("GET" | "POST")), Some(target)) = (parts.next(), parts.next()) else {
        return error(
            400,
            "UnsupportedHTTPMethod",
            "only GET and POST are emulated",
        );
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/" {
        return error(404, "InvalidAction.NotFound", "RPC APIs are served at /");
    }
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let body = if form {
        String::from_utf8_lossy(&req.body).into_owned()
    } else {
        String::new()
    };
    for pair in query
        .split('&')
        .chain(body.split('&'))
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(super::unescape(k), super::unescape(v));
    }
    let v3 = req
        .header("authorization")
        .filter(|a| a.starts_with("ACS3-HMAC-SHA256 "));
    let signed = match &v3 {
        Some(auth) => check_v3(st, req, method, query, auth),
        None => check_v1(st, method, &params),
    };
    let (key_id, action, version) = match signed {
        Ok(s) => s,
        Err(e) => return e,
    };
    let key = st.keys[&key_id].clone();
    if !key.enabled {
        return error(
            400,
            "InvalidAccessKeyId.Inactive",
            "Specified access key is disabled.",
        );
    }
    let token = match &v3 {
        Some(_) => req.header("x-acs-security-token"),
        None => params.get("SecurityToken").cloned(),
    };
    if key.token.is_some() && key.token != token {
        return error(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        );
    }
    st.signatures.push(if v3.is_some() { "v3" } else { "v1" });
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    match (action.as_str(), version.as_str()) {
        ("GetCallerIdentity", "2015-04-01") => {
            st.answered += 1;
            identity(&key)
        }
        (_, "2015-05-01") if !key.ram => error(
            403,
            "NoPermission",
            "You are not authorized to do this action. You should be authorized by RAM.",
        ),
        ("ListUsers", "2015-05-01") => list_users(st, &key, &p("Marker"), &p("MaxItems")),
        ("ListAccessKeys", "2015-05-01") => {
            let user = p("UserName");
            let resource = if user.is_empty() {
                key.resource.clone()
            } else if st.users.contains_key(&(key.account.clone(), user.clone())) {
                format!("user/{user}")
            } else {
                return error(404, "EntityNotExist.User", "The user does not exist.");
            };
            let keys: Vec<_> = st
                .keys
                .iter()
                .filter(|(_, k)| k.account == key.account && k.resource == resource)
                .map(|(id, k)| {
                    json!({
                        "AccessKeyId": id,
                        "Status": if k.enabled { "Active" } else { "Inactive" },
                        "CreateDate": "2024-01-02T03:04:05Z",
                    })
                })
                .collect();
            ok(json!({ "AccessKeys": { "AccessKey": keys } }))
        }
        ("GetAccessKeyLastUsed", "2015-05-01") => match target_key(st, &key, &p) {
            Ok((_, k)) => ok(json!({
                "AccessKeyLastUsed": { "LastUsedDate": k.last_used.unwrap_or_default() }
            })),
            Err(e) => e,
        },
        ("UpdateAccessKey", "2015-05-01") => {
            let status = p("Status");
            let enabled = match status.as_str() {
                "Active" => true,
                "Inactive" => false,
                _ => {
                    return error(
                        400,
                        "InvalidParameter.Status.Format",
                        "The parameter Status is wrongly formed.",
                    );
                }
            };
            match target_key(st, &key, &p) {
                Ok((id, _)) => {
                    if let Some(k) = st.keys.get_mut(&id) {
                        k.enabled = enabled;
                    }
                    st.updates.push((id, status));
                    ok(json!({}))
                }
                Err(e) => e,
            }
        }
        (a, v) => error(
            400,
            "InvalidAction.NotFound",
            &format!("Specified api {a} of version {v} is not found."),
        ),
    }
}

/// A success body: `fields` with a RequestId.
fn ok(mut fields: serde_json::Value) -> (u16, String) {
    fields["RequestId"] = json!("5A2F7D0C-0000-4000-8000-000000000002");
    (200, fields.to_string())
}

/// The `GetCallerIdentity` answer for `key`.
fn identity(key: &Key) -> (u16, String) {
    let role = key.resource.starts_with("assumed-role/");
    let root = key.resource == "root";
    let body = json!({
        "RequestId": "5A2F7D0C-0000-4000-8000-000000000001",
        "IdentityType": if role { "AssumedRoleUser" } else if root { "Account" } else { "RAMUser" },
        "AccountId": key.account,
        "PrincipalId": if role { "300800000000000001:keyhound-test" } else { "200900000000000001" },
        "UserId": if role { "" } else { "200900000000000001" },
        "RoleId": if role { "300800000000000001" } else { "" },
        "Arn": if root { format!("acs:ram::{}:root", key.account) } else { format!("acs:ram::{}:{}", key.account, key.resource) },
    });
    (200, body.to_string())
}

/// One page of the caller's account's RAM users, `MaxItems` (at most
/// 1000) after `Marker`.
fn list_users(st: &State, key: &Key, marker: &str, max: &str) -> (u16, String) {
    let max: usize = max.parse().unwrap_or(100).clamp(1, 1000);
    let start: usize = marker.parse().unwrap_or(0);
    let all: Vec<(&String, &String)> = st
        .users
        .iter()
        .filter(|((a, _), _)| *a == key.account)
        .map(|((_, name), id)| (name, id))
        .collect();
    let page: Vec<_> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|(name, id)| {
            json!({ "UserName": name, "UserId": id, "DisplayName": name,
                    "CreateDate": "2024-01-02T03:04:05Z" })
        })
        .collect();
    let truncated = start + max < all.len();
    let mut body = json!({ "Users": { "User": page }, "IsTruncated": truncated });
    if truncated {
        body["Marker"] = json!((start + max).to_string());
    }
    ok(body)
}

/// The key `UserAccessKeyId` names, of user `UserName` (or the caller's
/// own when none), in the caller's account.
fn target_key(
    st: &State,
    caller: &Key,
    p: &dyn Fn(&str) -> String,
) -> Result<(String, Key), (u16, String)> {
    let user = p("UserName");
    let resource = if user.is_empty() {
        caller.resource.clone()
    } else {
        format!("user/{user}")
    };
    let id = p("UserAccessKeyId");
    match st.keys.get(&id) {
        Some(k) if k.account == caller.account && k.resource == resource => Ok((id, k.clone())),
        _ => Err(error(
            404,
            "EntityNotExist.User.AccessKey",
            "The access key does not exist.",
        )),
    }
}

type Signed = Result<(String, String, String), (u16, String)>;

/// The RPC signature 1.0: `(AccessKeyId, Action, Version)` when it holds.
fn check_v1(st: &mut State, method: &str, params: &BTreeMap<String, String>) -> Signed {
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    for (k, want) in [
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
    ] {
        if p(k) != want {
            return Err(error(
                400,
                "InvalidParameter",
                &format!("{k} must be {want}"),
            ));
        }
    }
    let id = p("AccessKeyId");
    let key = known(st, &id)?;
    fresh(st, &p("SignatureNonce"), &p("Timestamp"))?;
    let canonical: Vec<String> = params
        .iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| format!("{}={}", super::rfc3986(k), super::rfc3986(v)))
        .collect();
    let to_sign = format!("{method}&%2F&{}", super::rfc3986(&canonical.join("&")));
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", key.secret).as_bytes()).unwrap();
    m.update(to_sign.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
    if p("Signature") != want {
        return Err(mismatch());
    }
    Ok((id, p("Action"), p("Version")))
}

/// The V3 signature (`ACS3-HMAC-SHA256`): `(AccessKeyId, Action,
/// Version)` from the `x-acs-*` headers when it holds.
fn check_v3(
    st: &mut State,
    req: &super::RawRequest,
    method: &str,
    query: &str,
    auth: &str,
) -> Signed {
    let fields: HashMap<&str, &str> = auth["ACS3-HMAC-SHA256 ".len()..]
        .split(',')
        .filter_map(|f| f.trim().split_once('='))
        .collect();
    let (Some(id), Some(signed), Some(sig)) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
    ) else {
        return Err(error(
            400,
            "IncompleteSignature",
            "The Authorization header is incomplete.",
        ));
    };
    let key = known(st, id)?;
    let h = |k: &str| req.header(k).unwrap_or_default();
    let names: Vec<&str> = signed.split(';').collect();
    for must in [
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ] {
        if !names.contains(&must) {
            return Err(error(
                400,
                "IncompleteSignature",
                &format!("{must} is not signed"),
            ));
        }
    }
    fresh(st, &h("x-acs-signature-nonce"), &h("x-acs-date"))?;
    let body_hash = hex::encode(Sha256::digest(&req.body));
    if h("x-acs-content-sha256") != body_hash {
        return Err(error(
            400,
            "InvalidParameter",
            "x-acs-content-sha256 is not the body's hash",
        ));
    }
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
    let canonical_query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let headers: String = names
        .iter()
        .map(|n| format!("{n}:{}\n", h(n).trim()))
        .collect();
    let request = format!(
        "{method}\n/\n{}\n{headers}\n{signed}\n{body_hash}",
        canonical_query.join("&")
    );
    let to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let mut m = Hmac::<Sha256>::new_from_slice(key.secret.as_bytes()).unwrap();
    m.update(to_sign.as_bytes());
    if hex::encode(m.finalize().into_bytes()) != *sig {
        return Err(mismatch());
    }
    Ok((id.to_string(), h("x-acs-action"), h("x-acs-version")))
}

fn known(st: &State, id: &str) -> Result<Key, (u16, String)> {
    st.keys.get(id).cloned().ok_or_else(|| {
        error(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })
}

fn fresh(st: &mut State, nonce: &str, time: &str) -> Result<(), (u16, String)> {
    if !st.nonces.insert(nonce.to_string()) {
        return Err(error(
            409,
            "SignatureNonceUsed",
            "The request signature nonce has been used.",
        ));
    }
    if !timestamp_fresh(time) {
        return Err(error(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

fn mismatch() -> (u16, String) {
    error(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation.",
    )
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
