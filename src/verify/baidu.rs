//! Baidu AI Cloud AK/SK pairs (`ALTAK…` and 32-hex BCE keys, with an STS
//! session token when one was found) checked live with BOS `ListBuckets`
//! (`GET /`), a read that changes nothing. Baidu has no caller-identity
//! call (its STS `GetSessionToken` creates credentials, so it is not used);
//! the bucket list is the read every key may attempt, and its `owner`
//! names the account (`id`, `displayName`). A key that authenticates but
//! may not list buckets answers `AccessDenied`: live, owner unknown.
//! Requests carry a `bce-auth-v1` authorization (the "生成认证字符串"
//! page: a signing key HMAC-SHA256'd from the SK over the prefix
//! `bce-auth-v1/AK/timestamp/expiry`, then the canonical request over the
//! method, path, query and the signed `host` and `x-bce-*` headers, all
//! URI-encoded); only the signature leaves the machine.

use super::http::{self, Channel, ClientError, Endpoint, field, verdict};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Owner, Verification};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// BOS's Beijing endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://bj.bcebos.com/";

/// How long a signature is valid, in seconds (the SDK's default).
const EXPIRY: u32 = 1800;

/// Answers larger than this are not read further.
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when there is no answer or a server error.
const TRIES: u32 = 3;

fn hmac_hex(key: &[u8], data: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The `Authorization` of a bodiless `GET /` with `headers` (lower-case
/// names; all of them signed), at `timestamp` (`YYYY-MM-DDThh:mm:ssZ`).
pub fn authorization(ak: &str, sk: &str, timestamp: &str, headers: &[(&str, &str)]) -> String {
    let prefix = format!("bce-auth-v1/{ak}/{timestamp}/{EXPIRY}");
    let signing_key = hmac_hex(sk.as_bytes(), &prefix);
    let mut canonical: Vec<String> = headers
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                http::percent_encode(k),
                http::percent_encode(v.trim())
            )
        })
        .collect();
    canonical.sort();
    let mut names: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    names.sort_unstable();
    let request = format!("GET\n/\n\n{}", canonical.join("\n"));
    let signature = hmac_hex(signing_key.as_bytes(), &request);
    format!("{prefix}/{}/{signature}", names.join(";"))
}

/// Checks found Baidu AI Cloud credentials.
#[derive(Debug)]
pub struct Checker(Channel);

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker(Channel::new("Baidu AI Cloud", endpoint, timeout)?))
    }

    /// One signed `ListBuckets`; whether another try may tell more.
    fn check_once(&self, ak: &str, sk: &Secret, token: Option<&Secret>) -> (Verification, bool) {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let now = time::OffsetDateTime::now_utc()
            .format(&fmt)
            .unwrap_or_default();
        let host = self.0.endpoint.host();
        let mut headers = vec![("host", host.as_str()), ("x-bce-date", now.as_str())];
        if let Some(t) = token {
            headers.push(("x-bce-security-token", t.expose()));
        }
        let auth = authorization(ak, sk.expose(), &now, &headers);
        let mut req = self
            .0
            .http
            .get(self.0.endpoint.url("/"))
            .header("x-bce-date", &now)
            .header("Authorization", auth);
        if let Some(t) = token {
            req = req.header("x-bce-security-token", t.expose());
        }
        let answer = match http::exchange(req, &host, MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verdict(Outcome::Unknown, why), true),
        };
        let status = answer.status;
        let v = match answer.body {
            Ok(b) => classify(status, &b),
            Err(e) => verdict(
                Outcome::Unknown,
                format!("unexpected answer (ListBuckets, HTTP {status}): {e}"),
            ),
        };
        (v, status >= 500)
    }
}

impl Provider for Checker {
    /// Checks one AK with the SK (and session token) found with it;
    /// without an SK nothing is sent.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification {
        http::with_key(key, "SecretAccessKey", TRIES, self.0.backoff, |sk| {
            self.check_once(id.expose(), sk, token)
        })
    }
}

/// The verdict of one answer, read by Baidu's error `code`.
fn classify(status: u16, body: &[u8]) -> Verification {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return verdict(
            Outcome::Unknown,
            format!("unexpected answer (ListBuckets, HTTP {status}): not JSON"),
        );
    };
    let mut out = match (status, field(&v, "code")) {
        (200, None) if v.get("owner").is_some() => {
            let o = &v["owner"];
            let mut out = verdict(Outcome::Live, "authenticated (BOS ListBuckets)".to_string());
            out.owner = Some(Owner {
                owner_uin: field(o, "id"),
                name: field(o, "displayName"),
                ..Owner::default()
            });
            out
        }
        (_, Some(code)) => {
            let message = crate::rule::echo::redact_ids(&field(&v, "message").unwrap_or_default())
                .into_owned();
            let outcome = match code.as_str() {
                "InvalidAccessKeyId" | "InvalidSessionToken" | "InvalidSecurityToken" => {
                    Outcome::NotLive
                }
                "SignatureDoesNotMatch" => Outcome::WrongKey,
                // authenticated, but not allowed to list buckets
                "AccessDenied" => Outcome::Live,
                _ => Outcome::Unknown,
            };
            verdict(outcome, format!("{code}: {message} (HTTP {status})"))
        }
        _ => verdict(
            Outcome::Unknown,
            format!("unexpected answer (ListBuckets, HTTP {status})"),
        ),
    };
    out.request_id = field(&v, "requestId");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invented AK/SK signed for `GET /` at a fixed time; the expected
    /// string is what the official Python SDK's `bce_v1_signer.sign`
    /// produces for the same request and signed headers.
    #[test]
    fn the_official_sdks_authorization_is_reproduced() {
        assert_eq!(
            authorization(
                "ALTAKkeyhoundExample0000",
                "keyhoundExampleSecretKey00000000",
                "2026-12-07T08:30:00Z",
                &[
                    ("host", "bj.bcebos.com"),
                    ("x-bce-date", "2026-12-07T08:30:00Z")
                ]
            ),
            "bce-auth-v1/ALTAKkeyhoundExample0000/2026-12-07T08:30:00Z/1800/host;x-bce-date/\
             9de83863dd349fbad7766e0dd51e2e286d7e2b431377089c56339f13087a0c31"
        );
    }

    #[test]
    fn answers_are_read_by_code() {
        let ok = br#"{"owner":{"id":"10eb6f5ff6ff4605bf044313e8f3ffa5","displayName":"acme"},"buckets":[]}"#;
        let v = classify(200, ok);
        assert_eq!(v.outcome, Outcome::Live);
        assert_eq!(v.owner.unwrap().name.as_deref(), Some("acme"));
        let err = |code: &str| {
            let b = format!(r#"{{"code":"{code}","message":"m","requestId":"r"}}"#);
            classify(403, b.as_bytes()).outcome
        };
        assert_eq!(err("InvalidAccessKeyId"), Outcome::NotLive);
        assert_eq!(err("SignatureDoesNotMatch"), Outcome::WrongKey);
        assert_eq!(err("AccessDenied"), Outcome::Live);
        assert_eq!(err("InternalError"), Outcome::Unknown);
    }
}
