//! Alibaba Cloud AccessKeys (`LTAI…`, STS `STS.…` with a SecurityToken)
//! checked live with STS `GetCallerIdentity`, a read that changes nothing
//! and that every key may call: it names the account, the user or role and
//! its ARN. Requests are signed with the RPC signature, version 1.0
//! (HMAC-SHA1 over the canonicalized query, as Alibaba's "Signature
//! method" page for RPC APIs documents it); only the signature leaves the
//! machine, never the secret.
//!
//! Answers are read by the error `Code` Alibaba documents for its common
//! errors: `InvalidAccessKeyId.NotFound` (no such key) and
//! `InvalidAccessKeyId.Inactive` (disabled) are not live,
//! `SignatureDoesNotMatch` is a wrong secret, an expired or mismatched
//! `InvalidSecurityToken.*` is not live; throttling, server errors and a
//! nonce used twice are tried again, then unknown.

pub mod ram;

use super::http::{self, Channel, ClientError, Endpoint, field, verdict};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Owner, Verification};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// STS's public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://sts.aliyuncs.com/";

/// The STS API version `GetCallerIdentity` belongs to.
pub const STS_VERSION: &str = "2015-04-01";

/// Answers larger than this are not read further.
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when the answer is throttling, a server error or no
/// answer at all.
const TRIES: u32 = 3;

pub use super::http::percent_encode;

/// The canonicalized query: parameters sorted by name, each name and value
/// percent-encoded, joined with `&`.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percent(canonical query)`.
pub fn string_to_sign(method: &str, params: &[(&str, &str)]) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// The base64 HMAC-SHA1 of the string to sign, keyed with the secret and
/// `&`.
pub fn signature(secret: &str, method: &str, params: &[(&str, &str)]) -> String {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes any key length");
    m.update(string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// The URL of one RPC call to `endpoint`: `action_params` (Action, Version
/// and the call's own) with the common parameters, signed with `secret`
/// (RPC signature 1.0, GET).
pub fn signed_url(
    endpoint: &Endpoint,
    id: &str,
    secret: &Secret,
    token: Option<&Secret>,
    action_params: &[(&str, &str)],
) -> reqwest::Url {
    let timestamp = timestamp();
    let nonce = nonce();
    let mut params = vec![
        ("AccessKeyId", id),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce.as_str()),
        ("SignatureVersion", "1.0"),
        ("Timestamp", timestamp.as_str()),
    ];
    params.extend_from_slice(action_params);
    if let Some(t) = token {
        params.push(("SecurityToken", t.expose()));
    }
    let sig = signature(secret.expose(), "GET", &params);
    let mut url = endpoint.url("/");
    url.set_query(Some(&format!(
        "{}&Signature={}",
        canonical_query(&params),
        percent_encode(&sig)
    )));
    url
}

/// Checks found Alibaba Cloud credentials.
#[derive(Debug)]
pub struct Checker(Channel);

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker(Channel::new("Alibaba Cloud", endpoint, timeout)?))
    }

    /// One signed `GetCallerIdentity`; whether another try may tell more.
    fn check_once(
        &self,
        id: &str,
        secret: &Secret,
        token: Option<&Secret>,
    ) -> (Verification, bool) {
        let url = signed_url(
            &self.0.endpoint,
            id,
            secret,
            token,
            &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
        );
        let answer = match http::exchange(self.0.http.get(url), &self.0.endpoint.host(), MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verdict(Outcome::Unknown, why), true),
        };
        let (status, retry) = (answer.status, answer.worth_retrying());
        let body = answer.body;
        match body {
            Ok(b) => {
                let (v, again) = classify(status, &b);
                (v, retry || again)
            }
            Err(e) => (
                verdict(
                    Outcome::Unknown,
                    format!("unexpected answer (GetCallerIdentity, HTTP {status}): {e}"),
                ),
                true,
            ),
        }
    }
}

impl Checker {
    /// A live RAM user's key asks RAM `GetAccessKeyLastUsed` about itself,
    /// where its policies let it (a read that changes nothing); the date
    /// may be keyhound's own `GetCallerIdentity` a moment before, and the
    /// note says so. Refused or failed, the note says why.
    fn last_used(&self, id: &str, secret: &Secret, v: &mut Verification) {
        let user = match &v.owner {
            Some(o) if o.principal.as_deref() == Some("sub-user") => o.name.clone(),
            _ => None,
        };
        let Some(user) = user else {
            return;
        };
        let ram = if self.0.endpoint == Endpoint::builtin(DEFAULT_ENDPOINT) {
            Endpoint::builtin(ram::RAM_ENDPOINT)
        } else {
            self.0.endpoint.clone()
        };
        let url = signed_url(
            &ram,
            id,
            secret,
            None,
            &[
                ("Action", "GetAccessKeyLastUsed"),
                ("Version", ram::RAM_VERSION),
                ("UserAccessKeyId", id),
                ("UserName", user.as_str()),
            ],
        );
        let read = http::exchange(self.0.http.get(url), &ram.host(), MAX_BODY)
            .map_err(|why| why.to_string())
            .and_then(|a| {
                let status = a.status;
                let body = a.body.map_err(|e| e.to_string())?;
                let json: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|_| format!("unexpected answer (HTTP {status})"))?;
                match field(&json, "Code") {
                    Some(code) => Err(format!("{code} (HTTP {status})")),
                    None => Ok(json
                        .get("AccessKeyLastUsed")
                        .and_then(|l| field(l, "LastUsedDate"))),
                }
            });
        match read {
            Ok(Some(date)) => {
                v.last_used = Some(date);
                v.last_used_note = Some(
                    "RAM GetAccessKeyLastUsed, read with the found key itself after keyhound's \
                     GetCallerIdentity: the date may be that check"
                        .to_string(),
                );
            }
            Ok(None) => {
                v.last_used_note =
                    Some("RAM GetAccessKeyLastUsed, read with the found key, gave no date".into());
            }
            Err(why) => {
                v.last_used_note = Some(format!(
                    "not read: the found key may not call RAM GetAccessKeyLastUsed ({why}); \
                     `keyhound disable` reads it with your own account's key"
                ));
            }
        }
    }
}

impl Provider for Checker {
    /// Checks one AccessKey ID with the secret (and SecurityToken) found
    /// with it; without a secret nothing is sent. A live RAM user's key
    /// then reads its own last use where it may.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification {
        let mut v = http::with_key(key, "AccessKey secret", TRIES, self.0.backoff, |secret| {
            self.check_once(id.expose(), secret, token)
        });
        if let (Outcome::Live, Some(secret), None) = (v.outcome, key, token) {
            self.last_used(id.expose(), secret, &mut v);
        }
        v
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, UTC.
fn timestamp() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

/// A nonce no other request of this process uses.
fn nonce() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}-{:x}-{:x}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Error codes another try may answer differently.
fn transient(code: &str) -> bool {
    code.starts_with("Throttling")
        || matches!(
            code,
            "ServiceUnavailable" | "InternalError" | "SignatureNonceUsed"
        )
}

/// The verdict of one answer, and whether another try may tell more.
fn classify(status: u16, body: &[u8]) -> (Verification, bool) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        let why = format!("unexpected answer (GetCallerIdentity, HTTP {status}): not JSON");
        return (verdict(Outcome::Unknown, why), false);
    };
    let mut again = false;
    let request_id = field(&v, "RequestId");
    let mut out = match (status, field(&v, "Code")) {
        (200..=299, None) if v.get("AccountId").is_some() => {
            let mut out = verdict(
                Outcome::Live,
                "authenticated (STS GetCallerIdentity)".to_string(),
            );
            out.owner = Some(owner(&v));
            out
        }
        (_, Some(code)) => {
            let message = crate::rule::echo::redact_ids(&field(&v, "Message").unwrap_or_default())
                .into_owned();
            let outcome = match code.as_str() {
                "InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId.Inactive" => Outcome::NotLive,
                c if c.starts_with("InvalidSecurityToken") => Outcome::NotLive,
                "SignatureDoesNotMatch" => Outcome::WrongKey,
                _ => Outcome::Unknown,
            };
            again = transient(&code);
            verdict(outcome, format!("{code}: {message} (HTTP {status})"))
        }
        _ => verdict(
            Outcome::Unknown,
            format!("unexpected answer (GetCallerIdentity, HTTP {status})"),
        ),
    };
    out.request_id = request_id;
    (out, again)
}

/// Who the caller is, from `GetCallerIdentity`.
fn owner(v: &serde_json::Value) -> Owner {
    let arn = field(v, "Arn");
    let kind = field(v, "IdentityType");
    let principal = kind.as_deref().map(|k| match k {
        "Account" => "root".to_string(),
        "RAMUser" => "sub-user".to_string(),
        "AssumedRoleUser" => "role".to_string(),
        other => other.to_string(),
    });
    // acs:ram::<account>:user/<name>, acs:ram::<account>:assumed-role/<role>/<session>
    let name = crate::verify::http::arn_name(arn.as_deref());
    Owner {
        owner_uin: field(v, "AccountId"),
        uin: field(v, "UserId").or_else(|| field(v, "PrincipalId")),
        principal,
        name,
        arn,
        role_id: field(v, "RoleId"),
        ..Owner::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Alibaba Cloud's "RPC signature method" page (ECS
    /// `DescribeRegions`, AccessKey `testid` / `testsecret`).
    #[test]
    fn the_documented_rpc_signature_example_is_reproduced() {
        let params = [
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ];
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            signature("testsecret", "GET", &params),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn percent_encoding_follows_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
    }

    #[test]
    fn answers_are_read_by_code() {
        let (live, again) = classify(
            200,
            br#"{"IdentityType":"RAMUser","AccountId":"1234567890123456","RequestId":"R1","PrincipalId":"2000001","UserId":"2000001","Arn":"acs:ram::1234567890123456:user/deploy"}"#,
        );
        assert_eq!((live.outcome, again), (Outcome::Live, false));
        let o = live.owner.unwrap();
        assert_eq!(o.owner_uin.as_deref(), Some("1234567890123456"));
        assert_eq!(o.principal.as_deref(), Some("sub-user"));
        assert_eq!(o.name.as_deref(), Some("deploy"));
        assert_eq!(live.request_id.as_deref(), Some("R1"));
        let code = |c: &str| {
            let (v, again) = classify(
                400,
                format!(r#"{{"Code":"{c}","Message":"m","RequestId":"R"}}"#).as_bytes(),
            );
            (v.outcome, again)
        };
        assert_eq!(
            code("InvalidAccessKeyId.NotFound"),
            (Outcome::NotLive, false)
        );
        assert_eq!(
            code("InvalidAccessKeyId.Inactive"),
            (Outcome::NotLive, false)
        );
        assert_eq!(
            code("InvalidSecurityToken.Expired"),
            (Outcome::NotLive, false)
        );
        assert_eq!(code("SignatureDoesNotMatch"), (Outcome::WrongKey, false));
        assert_eq!(code("Throttling.User"), (Outcome::Unknown, true));
        assert_eq!(classify(502, b"<html>").0.outcome, Outcome::Unknown);
    }
}
