//! Huawei Cloud AK/SK pairs (and temporary AK/SK with their security token)
//! checked live with IAM `KeystoneListAuthDomains` (`GET
//! /v3/auth/domains`), a read that changes nothing and that any credential
//! may call: it names the account (domain) the key belongs to. Requests
//! are signed with Huawei's `SDK-HMAC-SHA256` AK/SK signature (the API
//! signing guide: canonical request over the method, the path with a
//! trailing `/`, the sorted query, every header sent lower-cased and the
//! body hash; HMAC-SHA256 keyed with the SK itself); only the signature
//! leaves the machine.
//!
//! API Gateway answers every authentication failure with `APIG.0301`
//! (`APIGW.0301` at some endpoints) and tells the cause only in
//! `error_msg`, as its "Common Errors Related to IAM Authentication
//! Information" page lists them: `ak not exist` is not live, `verify aksk
//! signature fail` a wrong SK, `decrypt token fail` an expired or foreign
//! token (not live). After five failures in a row Huawei locks the AK for
//! five minutes, so a check is never repeated after a refusal.

use super::http::{self, Channel, ClientError, Endpoint, field, verdict};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Owner, Verification};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// IAM's global endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://iam.myhuaweicloud.com/";

/// The read-only call a check makes.
pub const CHECK_PATH: &str = "/v3/auth/domains";

/// Answers larger than this are not read further.
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when there is no answer or a server error.
const TRIES: u32 = 3;

/// The `Content-Type` the SDK sends (and signs) with every IAM call.
const CONTENT_TYPE: &str = "application/json";

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The `Authorization` of a bodiless `GET path` to `host` at `x_sdk_date`
/// (`YYYYMMDDThhmmssZ`) signed with `ak`/`sk`; the headers signed are
/// `content-type`, `host`, `x-sdk-date` and, with a token,
/// `x-security-token`.
pub fn authorization(
    ak: &str,
    sk: &str,
    path: &str,
    host: &str,
    x_sdk_date: &str,
    token: Option<&str>,
) -> String {
    let mut headers = vec![
        ("content-type", CONTENT_TYPE),
        ("host", host),
        ("x-sdk-date", x_sdk_date),
    ];
    if let Some(t) = token {
        headers.push(("x-security-token", t));
    }
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let uri = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let request = format!(
        "GET\n{uri}\n\n{canonical_headers}\n{signed}\n{}",
        sha256_hex(b"")
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{x_sdk_date}\n{}",
        sha256_hex(request.as_bytes())
    );
    let mut m = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).expect("HMAC takes any key length");
    m.update(to_sign.as_bytes());
    let signature = hex::encode(m.finalize().into_bytes());
    format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed}, Signature={signature}")
}

/// Checks found Huawei Cloud credentials.
#[derive(Debug)]
pub struct Checker(Channel);

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker(Channel::new("Huawei Cloud", endpoint, timeout)?))
    }

    /// One signed `KeystoneListAuthDomains`; whether another try may tell
    /// more.
    fn check_once(&self, ak: &str, sk: &Secret, token: Option<&Secret>) -> (Verification, bool) {
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let date = time::OffsetDateTime::now_utc()
            .format(&fmt)
            .unwrap_or_default();
        let host = self.0.endpoint.host();
        let auth = authorization(
            ak,
            sk.expose(),
            CHECK_PATH,
            &host,
            &date,
            token.map(Secret::expose),
        );
        let mut req = self
            .0
            .http
            .get(self.0.endpoint.url(CHECK_PATH))
            .header("Content-Type", CONTENT_TYPE)
            .header("X-Sdk-Date", &date)
            .header("Authorization", auth);
        if let Some(t) = token {
            req = req.header("X-Security-Token", t.expose());
        }
        let answer = match http::exchange(req, &host, MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verdict(Outcome::Unknown, why), true),
        };
        let status = answer.status;
        let retry = status >= 500;
        let v = match answer.body {
            Ok(b) => classify(status, &b),
            Err(e) => verdict(
                Outcome::Unknown,
                format!("unexpected answer (KeystoneListAuthDomains, HTTP {status}): {e}"),
            ),
        };
        (v, retry)
    }
}

impl Provider for Checker {
    /// Checks one AK with the SK (and security token) found with it;
    /// without an SK nothing is sent.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification {
        http::with_key(key, "SK", TRIES, self.0.backoff, |sk| {
            self.check_once(id.expose(), sk, token)
        })
    }
}

/// The verdict of one answer.
fn classify(status: u16, body: &[u8]) -> Verification {
    let call = "KeystoneListAuthDomains";
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return verdict(
            Outcome::Unknown,
            format!("unexpected answer ({call}, HTTP {status}): not JSON"),
        );
    };
    let domain = v
        .get("domains")
        .and_then(|d| d.as_array())
        .and_then(|d| d.first());
    let mut out = match (status, domain, field(&v, "error_code")) {
        (200, Some(d), None) => {
            let mut out = verdict(Outcome::Live, format!("authenticated ({call})"));
            out.owner = Some(Owner {
                owner_uin: field(d, "id"),
                name: field(d, "name"),
                principal: Some("account".to_string()),
                ..Owner::default()
            });
            out
        }
        (_, _, Some(code)) => {
            let message =
                crate::rule::echo::redact_ids(&field(&v, "error_msg").unwrap_or_default())
                    .into_owned();
            // API Gateway's one code for every authentication failure: its
            // documented messages tell the causes apart.
            let lower = message.to_ascii_lowercase();
            let outcome = if !code.ends_with(".0301") {
                Outcome::Unknown
            } else if lower.contains("ak not exist") || lower.contains("decrypt token fail") {
                Outcome::NotLive
            } else if lower.contains("verify aksk signature fail") {
                Outcome::WrongKey
            } else {
                Outcome::Unknown
            };
            verdict(outcome, format!("{code}: {message} (HTTP {status})"))
        }
        _ => verdict(
            Outcome::Unknown,
            format!("unexpected answer ({call}, HTTP {status})"),
        ),
    };
    out.request_id = field(&v, "request_id");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invented AK/SK signed for `KeystoneListAuthDomains` at a fixed
    /// time; the expected header is what the official Python SDK's
    /// `huaweicloudsdkcore.signer.Signer` produces for the same request.
    #[test]
    fn the_official_sdks_signature_is_reproduced() {
        assert_eq!(
            authorization(
                "HPUAKEYHOUNDEXAMPLE1",
                "kEyHoUnDtEsTsEcReTkEy0123456789abcdefGHIJ",
                CHECK_PATH,
                "iam.myhuaweicloud.com",
                "20261207T083000Z",
                None
            ),
            "SDK-HMAC-SHA256 Access=HPUAKEYHOUNDEXAMPLE1, \
             SignedHeaders=content-type;host;x-sdk-date, \
             Signature=66a73df839dd44730b839b333a27761b3163bf99ad284f9541680f80b223319e"
        );
    }

    #[test]
    fn answers_are_read_by_code_and_documented_message() {
        let ok = br#"{"domains":[{"enabled":true,"id":"d78cbac186b744899480f25bd022f468","name":"acme"}]}"#;
        let v = classify(200, ok);
        assert_eq!(v.outcome, Outcome::Live);
        assert_eq!(v.owner.unwrap().name.as_deref(), Some("acme"));
        let err = |msg: &str| {
            let b = format!(r#"{{"error_msg":"{msg}","error_code":"APIG.0301","request_id":"r"}}"#);
            classify(401, b.as_bytes()).outcome
        };
        assert_eq!(
            err(
                "Incorrect IAM authentication information: Get secretKey failed,ak:x,err:ak not exist"
            ),
            Outcome::NotLive
        );
        assert_eq!(
            err("Incorrect IAM authentication information: verify aksk signature fail"),
            Outcome::WrongKey
        );
        assert_eq!(
            err(
                "Incorrect IAM authentication information: AK access failed to reach the limit,forbidden."
            ),
            Outcome::Unknown
        );
    }
}
