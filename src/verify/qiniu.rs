//! Qiniu AccessKey/SecretKey pairs checked live with `GET /buckets` on the
//! UC (bucket management) host: the bucket list, a read that changes
//! nothing. Qiniu has no caller-identity call, so a live key says nothing of
//! its owner. The request carries a management token (`QBox
//! <AccessKey>:<sign>`, Qiniu's "管理凭证": the URL-safe base64 HMAC-SHA1
//! of `<path>?<query>\n<body>` keyed with the SecretKey); only the token
//! leaves the machine, never the SecretKey.
//!
//! Answers are read by status: 200 with a JSON list is live, 401 (`bad
//! token`: an unknown or disabled AccessKey, or a SecretKey that is not its
//! own; Qiniu does not tell these apart) is not live, throttling and server
//! errors are tried again, then unknown.

use super::http::{self, Channel, ClientError, Endpoint, verdict};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Verification};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::time::Duration;

/// The bucket management host.
pub const DEFAULT_ENDPOINT: &str = "https://uc.qbox.me/";

/// The read-only call a check makes.
pub const CHECK_PATH: &str = "/buckets";

/// Answers larger than this are not read further.
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when the answer is throttling, a server error or no
/// answer at all.
const TRIES: u32 = 3;

/// The management token of a request for `path_and_query` with `body`
/// (empty for a GET): `AccessKey:urlsafe_base64(hmac_sha1(SecretKey,
/// "<path>?<query>\n<body>"))`.
pub fn access_token(
    access_key: &str,
    secret_key: &str,
    path_and_query: &str,
    body: &[u8],
) -> String {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC takes any key length");
    m.update(path_and_query.as_bytes());
    m.update(b"\n");
    m.update(body);
    let sign = base64::engine::general_purpose::URL_SAFE.encode(m.finalize().into_bytes());
    format!("{access_key}:{sign}")
}

/// Checks found Qiniu pairs.
#[derive(Debug)]
pub struct Checker(Channel);

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker(Channel::new("Qiniu", endpoint, timeout)?))
    }

    /// One signed `GET /buckets`; whether another try may tell more.
    fn check_once(&self, access_key: &str, secret: &Secret) -> (Verification, bool) {
        let token = access_token(access_key, secret.expose(), CHECK_PATH, b"");
        let req = self
            .0
            .http
            .get(self.0.endpoint.url(CHECK_PATH))
            .header("Authorization", format!("QBox {token}"));
        let answer = match http::exchange(req, &self.0.endpoint.host(), MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verdict(Outcome::Unknown, why), true),
        };
        let (status, retry) = (answer.status, answer.worth_retrying());
        let body = answer.body;
        let v = match body {
            Ok(b) => classify(status, &b),
            Err(e) => verdict(
                Outcome::Unknown,
                format!("unexpected answer (GET {CHECK_PATH}, HTTP {status}): {e}"),
            ),
        };
        (v, retry)
    }
}

impl Provider for Checker {
    /// Checks one AccessKey with the SecretKey found with it; without a
    /// SecretKey nothing is sent.
    fn check(
        &mut self,
        id: &Secret,
        key: Option<&Secret>,
        _token: Option<&Secret>,
    ) -> Verification {
        http::with_key(key, "SecretKey", TRIES, self.0.backoff, |secret| {
            self.check_once(id.expose(), secret)
        })
    }
}

/// The verdict of one answer.
fn classify(status: u16, body: &[u8]) -> Verification {
    let call = format!("GET {CHECK_PATH}");
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let said = json
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|e| e.as_str())
        .map(|e| {
            let e: String = crate::report::sanitize::sanitize(e)
                .chars()
                .take(200)
                .collect();
            format!(", {e}")
        })
        .unwrap_or_default();
    let (outcome, why) = match (status, &json) {
        (200, Some(serde_json::Value::Array(_))) => (Outcome::Live, "authenticated"),
        (200, _) => (Outcome::Unknown, "unexpected answer: not a bucket list"),
        (401, _) => (
            Outcome::NotLive,
            "AccessKey rejected: unknown, disabled, or not paired with this SecretKey",
        ),
        (429, _) => (Outcome::Unknown, "throttled by Qiniu after retries"),
        (s, _) if s >= 500 => (Outcome::Unknown, "Qiniu server error after retries"),
        _ => (Outcome::Unknown, "unexpected answer"),
    };
    verdict(outcome, format!("{why} ({call}, HTTP {status}{said})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Qiniu's management token page (`MY_ACCESS_KEY`,
    /// `MY_SECRET_KEY`, a `move` request).
    #[test]
    fn the_documented_management_token_example_is_reproduced() {
        assert_eq!(
            access_token(
                "MY_ACCESS_KEY",
                "MY_SECRET_KEY",
                "/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ=",
                b""
            ),
            "MY_ACCESS_KEY:FXsYh0wKHYPEsIAgdPD9OfjkeEM="
        );
    }

    #[test]
    fn answers_are_read_by_status() {
        assert_eq!(classify(200, br#"["a","b"]"#).outcome, Outcome::Live);
        assert_eq!(classify(200, b"<html>").outcome, Outcome::Unknown);
        let bad = classify(401, br#"{"error":"bad token"}"#);
        assert_eq!(bad.outcome, Outcome::NotLive);
        assert!(bad.detail.contains("bad token"), "{}", bad.detail);
        assert_eq!(classify(503, b"").outcome, Outcome::Unknown);
    }
}
