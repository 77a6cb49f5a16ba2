//! The emulator's own TC3-HMAC-SHA256 check, written apart from keyhound's
//! signer so a shared mistake cannot hide: the canonical request is rebuilt
//! from the headers the request names in `SignedHeaders`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub(super) fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub(super) fn hmac256(k: &[u8], m: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(k).unwrap();
    mac.update(m);
    mac.finalize().into_bytes().to_vec()
}

/// UTC date of a Unix time, computed independently of keyhound's signer.
pub(super) fn utc_date(ts: i64) -> String {
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

pub(super) struct Auth {
    pub id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: String,
    pub signature: String,
}

pub(super) fn parse_auth(v: &str) -> Option<Auth> {
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

/// The signature the request should carry if signed with `secret`.
pub(super) fn signature(
    secret: &str,
    auth: &Auth,
    method: &str,
    target: &str,
    get: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    ts: i64,
) -> String {
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
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
    let k = hmac256(format!("TC3{}", secret).as_bytes(), auth.date.as_bytes());
    let k = hmac256(&k, auth.service.as_bytes());
    let k = hmac256(&k, b"tc3_request");
    hex::encode(hmac256(&k, sts.as_bytes()))
}
