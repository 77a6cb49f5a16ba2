//! CDNetworks (Wangsu) AccessKeys: a found AccessKey ID + secret pair
//! checked live with one read-only call signed with CNC-HMAC-SHA256, the
//! answer read into the same outcomes as Tencent's. Only the signature
//! leaves the machine, never the secret.
//!
//! The check is `GET /api/ssl/certificate` (list the account's
//! certificates), a read that changes nothing. CDNetworks documents the
//! signature (documents.cdnetworks.com `/document/api-doc/ak-sk-authentication`)
//! but no error codes, so answers are read by HTTP status: 2xx with a JSON
//! body is live, 401 is not live (an unknown or disabled AccessKey, or a
//! secret that is not its own: CDNetworks does not tell these apart), and
//! everything else (403, throttling, server errors, a clock more than five
//! minutes off the server's `Date`, a body that is not JSON) is unknown.

pub use super::http::Endpoint;
use super::http::{self, Answer, ClientError, verdict as verification};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Verification};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "CNC-HMAC-SHA256";

/// The international API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.cdnetworks.com/";

/// The read-only call a check makes.
pub const CHECK_PATH: &str = "/api/ssl/certificate";

const CONTENT_TYPE: &str = "application/json";

/// Answers larger than this are not read further (a certificate list is
/// small; anything bigger is not the answer expected).
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when the answer is throttling, a server error or no
/// answer at all.
const TRIES: u32 = 3;

/// How far the server's clock may be from ours before a refusal is put
/// down to the clock rather than the key.
const MAX_SKEW_SECS: i64 = 300;

/// The parts of a request the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignInput<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The path (`/api/ssl/certificate`).
    pub path: &'a str,
    /// The query after `?`, unescaped (empty when none).
    pub query: &'a str,
    /// `Content-Type`.
    pub content_type: &'a str,
    /// `Host`, with the port when it is not the scheme's default.
    pub host: &'a str,
    /// The exact body bytes sent.
    pub payload: &'a [u8],
    /// `x-cnc-timestamp`, Unix seconds.
    pub timestamp: i64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical request: method, path, query, the canonical headers
/// (`content-type` and `host`, lower-cased), the signed header names and
/// the hex SHA-256 of the body, one per line.
pub fn canonical_request(input: &SignInput<'_>) -> String {
    format!(
        "{}\n{}\n{}\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        input.method.to_ascii_uppercase(),
        input.path,
        input.query,
        input.content_type.trim().to_ascii_lowercase(),
        input.host.trim().to_ascii_lowercase(),
        sha256_hex(input.payload)
    )
}

/// `CNC-HMAC-SHA256\n<timestamp>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(input: &SignInput<'_>) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}",
        input.timestamp,
        sha256_hex(canonical_request(input).as_bytes())
    )
}

/// The `Authorization` header: the string to sign HMAC-ed with the raw
/// secret (no key derivation), in lower-case hex.
pub fn authorization(access_key: &str, secret: &str, input: &SignInput<'_>) -> String {
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(string_to_sign(input).as_bytes());
    let signature = hex::encode(m.finalize().into_bytes());
    format!(
        "{ALGORITHM} Credential={access_key}, SignedHeaders=content-type;host, Signature={signature}"
    )
}

/// Checks found CDNetworks pairs.
#[derive(Debug)]
pub struct Checker {
    http: reqwest::blocking::Client,
    endpoint: Endpoint,
    /// The last timestamp signed per AccessKey: CDNetworks refuses a
    /// timestamp used again within five minutes.
    last_timestamp: HashMap<String, i64>,
    backoff: Duration,
}

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker {
            http: http::client("CDNetworks", &endpoint, timeout)?,
            endpoint,
            last_timestamp: HashMap::new(),
            backoff: Duration::from_millis(250),
        })
    }

    /// A timestamp for `access_key` later than any it was signed with.
    fn timestamp_for(&mut self, access_key: &str) -> i64 {
        loop {
            let now = http::unix_now();
            match self.last_timestamp.get(access_key) {
                Some(&last) if now <= last => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    self.last_timestamp.insert(access_key.to_string(), now);
                    return now;
                }
            }
        }
    }

    /// One signed request; whether another try may tell more.
    fn check_once(&mut self, access_key: &str, secret: &Secret) -> (Verification, bool) {
        let url = self.endpoint.url(CHECK_PATH);
        let host = self.endpoint.host();
        let timestamp = self.timestamp_for(access_key);
        let input = SignInput {
            method: "GET",
            path: CHECK_PATH,
            query: "",
            content_type: CONTENT_TYPE,
            host: &host,
            payload: b"",
            timestamp,
        };
        let auth = authorization(access_key, secret.expose(), &input);
        let req = self
            .http
            .get(url)
            .header("Host", &host)
            .header("Content-Type", CONTENT_TYPE)
            .header("Accept", CONTENT_TYPE)
            .header("x-cnc-accessKey", access_key)
            .header("x-cnc-timestamp", timestamp.to_string())
            .header("x-cnc-auth-method", "AKSK")
            .header("Authorization", auth);
        let reply = match http::exchange(req, &host, MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verification(Outcome::Unknown, why), true),
        };
        let retry = reply.worth_retrying();
        (classify(&reply, http::unix_now()), retry)
    }
}

impl Provider for Checker {
    /// Checks one AccessKey ID with the secret found with it; without a
    /// secret nothing is sent.
    fn check(
        &mut self,
        id: &Secret,
        key: Option<&Secret>,
        _token: Option<&Secret>,
    ) -> Verification {
        let Some(secret) = key else {
            return verification(Outcome::Skipped, "no AccessKey secret found".to_string());
        };
        let backoff = self.backoff;
        http::with_tries(TRIES, backoff, || self.check_once(id.expose(), secret))
    }
}

/// The Unix time of an HTTP `Date` header (`Thu, 17 May 2012 19:37:58 GMT`).
fn http_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), fmt)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// `code: message` of an error body (`{"code": ..., "message": ...}`), or
/// nothing when it has neither.
fn error_text(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = |k: &str| match v.get(k) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let text = match (field("code"), field("message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        (None, Some(m)) => m,
        (None, None) => return None,
    };
    Some(
        crate::report::sanitize::sanitize(&text)
            .chars()
            .take(200)
            .collect(),
    )
}

/// The verdict of an answer received at `now`.
fn classify(r: &Answer, now: i64) -> Verification {
    let call = format!("GET {CHECK_PATH}");
    let body = match &r.body {
        Ok(b) => b,
        Err(e) => {
            return verification(
                Outcome::Unknown,
                format!("unexpected answer ({call}, HTTP {}): {e}", r.status),
            );
        }
    };
    let said = error_text(body)
        .map(|t| format!(", {t}"))
        .unwrap_or_default();
    if (200..300).contains(&r.status) {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(_) => verification(Outcome::Live, format!("authenticated ({call})")),
            Err(_) => verification(
                Outcome::Unknown,
                format!("unexpected answer ({call}, HTTP {}): not JSON", r.status),
            ),
        };
    }
    let skew = r
        .date
        .as_deref()
        .and_then(http_date)
        .map(|server| server - now)
        .filter(|d| d.abs() > MAX_SKEW_SECS);
    if let Some(d) = skew {
        return verification(
            Outcome::Unknown,
            format!(
                "clock skew: this machine's clock is {}s off CDNetworks' ({call}, HTTP {}{said})",
                -d, r.status
            ),
        );
    }
    let (outcome, why) = match r.status {
        401 => (
            Outcome::NotLive,
            "AccessKey rejected: unknown, disabled, or not paired with this secret",
        ),
        403 => (
            Outcome::Unknown,
            "refused: CDNetworks does not say whether the key lacks permission or was rejected",
        ),
        429 => (Outcome::Unknown, "throttled by CDNetworks after retries"),
        s if s >= 500 => (Outcome::Unknown, "CDNetworks server error after retries"),
        _ => (Outcome::Unknown, "unexpected answer"),
    };
    verification(outcome, format!("{why} ({call}, HTTP {}{said})", r.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ts: i64) -> SignInput<'static> {
        SignInput {
            method: "get",
            path: CHECK_PATH,
            query: "",
            content_type: "Application/JSON",
            host: "API.cdnetworks.com",
            payload: b"",
            timestamp: ts,
        }
    }

    #[test]
    fn the_canonical_request_follows_the_documented_layout() {
        let c = canonical_request(&input(1_700_000_000));
        let lines: Vec<&str> = c.split('\n').collect();
        assert_eq!(
            lines,
            [
                "GET",
                "/api/ssl/certificate",
                "",
                "content-type:application/json",
                "host:api.cdnetworks.com",
                "",
                "content-type;host",
                // SHA-256 of the empty body
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ]
        );
        let s = string_to_sign(&input(1_700_000_000));
        assert!(s.starts_with("CNC-HMAC-SHA256\n1700000000\n"), "{s}");
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_raw_secret() {
        let a = authorization("ak", "s1", &input(1));
        let b = authorization("ak", "s2", &input(1));
        let c = authorization("ak", "s1", &input(2));
        assert!(a.starts_with(
            "CNC-HMAC-SHA256 Credential=ak, SignedHeaders=content-type;host, Signature="
        ));
        assert_ne!(a, b);
        assert_ne!(a, c);
        let mut m = Hmac::<Sha256>::new_from_slice(b"s1").unwrap();
        m.update(string_to_sign(&input(1)).as_bytes());
        assert!(a.ends_with(&hex::encode(m.finalize().into_bytes())));
        assert!(!a.contains("s1,"), "the secret itself is not in the header");
    }

    fn reply(status: u16, body: &str, date: Option<&str>) -> Answer {
        Answer {
            status,
            date: date.map(str::to_string),
            body: Ok(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn answers_are_read_by_status() {
        let now = 1_337_284_678; // Thu, 17 May 2012 19:57:58 GMT
        let ok = classify(&reply(200, r#"{"ssl-certificates":[]}"#, None), now);
        assert_eq!(ok.outcome, Outcome::Live);
        let bad = classify(&reply(200, "<html>", None), now);
        assert_eq!(bad.outcome, Outcome::Unknown);
        let denied = classify(&reply(401, r#"{"code":"x","message":"no"}"#, None), now);
        assert_eq!(denied.outcome, Outcome::NotLive);
        assert!(denied.detail.contains("x: no"), "{}", denied.detail);
        for s in [403, 429, 500, 502, 404, 302] {
            assert_eq!(
                classify(&reply(s, "{}", None), now).outcome,
                Outcome::Unknown,
                "{s}"
            );
        }
        let skewed = classify(
            &reply(401, "{}", Some("Thu, 17 May 2012 19:37:58 GMT")),
            now,
        );
        assert_eq!(skewed.outcome, Outcome::Unknown);
        assert!(skewed.detail.contains("clock skew"), "{}", skewed.detail);
        let close = classify(
            &reply(401, "{}", Some("Thu, 17 May 2012 19:56:58 GMT")),
            now,
        );
        assert_eq!(close.outcome, Outcome::NotLive);
    }

    #[test]
    fn endpoints_are_checked_like_tencent_ones() {
        assert!(Endpoint::custom("http://127.0.0.1:9/").is_ok());
        assert!(Endpoint::custom("http://10.0.0.1:9/").is_err());
        assert!(Endpoint::custom("https://api.cdnetworks.com/").is_ok());
    }
}
