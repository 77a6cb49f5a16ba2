//! Volcengine AccessKeys (`AKLT…`, temporary `AKTP…` with a session token)
//! checked live with STS `GetCallerIdentity` (2018-01-01), a read that
//! changes nothing and that any credential may call: it names the account
//! (`AccountId`), the identity type (`Account`, `User`, `Role`), its id and
//! its TRN. Requests are signed with Volcengine's HMAC-SHA256 signature
//! (the "签名方法" page: canonical request over the method, path, sorted
//! query, the `content-type`, `host` and `x-*` headers and the body hash;
//! a key derived from the SecretAccessKey through the date, region,
//! service and `request`); only the signature leaves the machine.
//!
//! Answers are read by the error `Code` of `ResponseMetadata.Error`
//! (Volcengine's common error codes): `InvalidAccessKey` (an unknown or
//! disabled key) and an expired or invalid session token are not live,
//! `SignatureDoesNotMatch` is a wrong secret; throttling and server
//! errors are tried again, then unknown.

use super::http::{self, Channel, ClientError, Endpoint, field, verdict};
use super::provider::Provider;
use crate::finding::Secret;
use crate::verify::{Outcome, Owner, Verification};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// STS's public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://sts.volcengineapi.com/";

/// The query of the check.
pub const CHECK_QUERY: &str = "Action=GetCallerIdentity&Version=2018-01-01";

/// The region and service a request to STS is signed for (the official
/// SDK's defaults).
const REGION: &str = "cn-north-1";
const SERVICE: &str = "sts";

/// Answers larger than this are not read further.
const MAX_BODY: u64 = 1 << 20;

/// Tries of one check when the answer is throttling, a server error or no
/// answer at all.
const TRIES: u32 = 3;

fn hmac256(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What one signed request is made of.
pub struct SignInput<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The canonical query (names sorted, RFC 3986 encoded).
    pub query: &'a str,
    /// The `Host` header.
    pub host: &'a str,
    /// `YYYYMMDDThhmmssZ`.
    pub x_date: &'a str,
    /// The session token of a temporary key (`X-Security-Token`).
    pub token: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// The `Authorization` header of `input` signed with `ak`/`sk` for
/// `region`/`service`; the headers signed are `host`, `x-content-sha256`,
/// `x-date` and, with a token, `x-security-token`.
pub fn authorization(ak: &str, sk: &str, region: &str, service: &str, i: &SignInput) -> String {
    let body_hash = sha256_hex(i.body);
    let mut headers = vec![
        ("host", i.host),
        ("x-content-sha256", body_hash.as_str()),
        ("x-date", i.x_date),
    ];
    if let Some(t) = i.token {
        headers.push(("x-security-token", t));
    }
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let request = format!(
        "{}\n/\n{}\n{canonical_headers}\n{signed}\n{body_hash}",
        i.method, i.query
    );
    let date = &i.x_date[..8.min(i.x_date.len())];
    let scope = format!("{date}/{region}/{service}/request");
    let to_sign = format!(
        "HMAC-SHA256\n{}\n{scope}\n{}",
        i.x_date,
        sha256_hex(request.as_bytes())
    );
    let k = hmac256(sk.as_bytes(), date);
    let k = hmac256(&k, region);
    let k = hmac256(&k, service);
    let k = hmac256(&k, "request");
    let signature = hex::encode(hmac256(&k, &to_sign));
    format!("HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, Signature={signature}")
}

/// Checks found Volcengine credentials.
#[derive(Debug)]
pub struct Checker(Channel);

impl Checker {
    /// A checker sending to `endpoint`, each exchange within `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Checker, ClientError> {
        Ok(Checker(Channel::new("Volcengine", endpoint, timeout)?))
    }

    /// One signed `GetCallerIdentity`; whether another try may tell more.
    fn check_once(
        &self,
        id: &str,
        secret: &Secret,
        token: Option<&Secret>,
    ) -> (Verification, bool) {
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let x_date = time::OffsetDateTime::now_utc()
            .format(&fmt)
            .unwrap_or_default();
        let host = self.0.endpoint.host();
        let input = SignInput {
            method: "GET",
            query: CHECK_QUERY,
            host: &host,
            x_date: &x_date,
            token: token.map(Secret::expose),
            body: b"",
        };
        let auth = authorization(id, secret.expose(), REGION, SERVICE, &input);
        let mut url = self.0.endpoint.url("/");
        url.set_query(Some(CHECK_QUERY));
        let mut req = self
            .0
            .http
            .get(url)
            .header("X-Date", &x_date)
            .header("X-Content-Sha256", sha256_hex(b""))
            .header("Authorization", auth);
        if let Some(t) = token {
            req = req.header("X-Security-Token", t.expose());
        }
        let answer = match http::exchange(req, &host, MAX_BODY) {
            Ok(a) => a,
            Err(why) => return (verdict(Outcome::Unknown, why), true),
        };
        let (status, retry) = (answer.status, answer.worth_retrying());
        match answer.body {
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

impl Provider for Checker {
    /// Checks one AccessKeyId with the SecretAccessKey (and session token)
    /// found with it; without a secret nothing is sent.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification {
        http::with_key(key, "SecretAccessKey", TRIES, self.0.backoff, |secret| {
            self.check_once(id.expose(), secret, token)
        })
    }
}

/// The verdict of one answer, and whether another try may tell more.
fn classify(status: u16, body: &[u8]) -> (Verification, bool) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        let why = format!("unexpected answer (GetCallerIdentity, HTTP {status}): not JSON");
        return (verdict(Outcome::Unknown, why), status >= 500);
    };
    let meta = v.get("ResponseMetadata").cloned().unwrap_or_default();
    let error = meta.get("Error").cloned().unwrap_or_default();
    let mut again = false;
    let mut out = match (status, field(&error, "Code"), v.get("Result")) {
        (200..=299, None, Some(r)) if r.get("AccountId").is_some() => {
            let mut out = verdict(
                Outcome::Live,
                "authenticated (STS GetCallerIdentity)".to_string(),
            );
            out.owner = Some(owner(r));
            out
        }
        (_, Some(code), _) => {
            let message =
                crate::rule::echo::redact_ids(&field(&error, "Message").unwrap_or_default())
                    .into_owned();
            let outcome = match code.as_str() {
                "InvalidAccessKey" | "AccessKeyIsExpire" | "AccessKeyNotExist" => Outcome::NotLive,
                c if c.contains("Token") => Outcome::NotLive,
                "SignatureDoesNotMatch" => Outcome::WrongKey,
                _ => Outcome::Unknown,
            };
            again = status == 429
                || status >= 500
                || code.contains("Throttl")
                || code.contains("FlowLimit")
                || code == "ServiceFailure"
                || code == "InternalError";
            verdict(outcome, format!("{code}: {message} (HTTP {status})"))
        }
        _ => verdict(
            Outcome::Unknown,
            format!("unexpected answer (GetCallerIdentity, HTTP {status})"),
        ),
    };
    out.request_id = field(&meta, "RequestId");
    (out, again)
}

/// Who the caller is, from `GetCallerIdentity`'s `Result`.
fn owner(r: &serde_json::Value) -> Owner {
    let trn = field(r, "Trn");
    let principal = field(r, "IdentityType").map(|k| match k.as_str() {
        "Account" => "root".to_string(),
        "User" => "sub-user".to_string(),
        "Role" => "role".to_string(),
        other => other.to_string(),
    });
    // trn:iam::<account>:user/<name>, trn:sts::<account>:assumed-role/<role>/<session>
    let name = crate::verify::http::arn_name(trn.as_deref());
    Owner {
        owner_uin: field(r, "AccountId"),
        uin: field(r, "IdentityId"),
        principal,
        name,
        arn: trn,
        ..Owner::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demonstration AccessKey pair of Volcengine's signature example
    /// page, signed for `GetCallerIdentity` at a fixed time; the expected
    /// header is what the official Python SDK's `SignerV4.sign_only`
    /// produces for the same request.
    #[test]
    fn the_official_sdks_signature_is_reproduced() {
        let input = SignInput {
            method: "GET",
            query: CHECK_QUERY,
            host: "sts.volcengineapi.com",
            x_date: "20261207T083000Z",
            token: None,
            body: b"",
        };
        assert_eq!(
            authorization(
                "AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE",
                "TnpCak5XWXpZV1U0WkRaaE5ERmxaR0ZpTmpjeVkyUXlZek0wTWpJMU1qWQ==",
                REGION,
                SERVICE,
                &input
            ),
            "HMAC-SHA256 Credential=AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE/20261207/\
             cn-north-1/sts/request, SignedHeaders=host;x-content-sha256;x-date, \
             Signature=4e814363863f8231856d6ca03036fc737bf32779e5e4e4e9ed263a1c498d5837"
        );
    }

    #[test]
    fn answers_are_read_by_code() {
        let ok = br#"{"ResponseMetadata":{"RequestId":"R1"},"Result":{"AccountId":2000000000,
            "Trn":"trn:iam::2000000000:user/bob","IdentityType":"User","IdentityId":"123"}}"#;
        let (v, again) = classify(200, ok);
        assert_eq!(v.outcome, Outcome::Live);
        assert!(!again);
        let o = v.owner.unwrap();
        assert_eq!(o.owner_uin.as_deref(), Some("2000000000"));
        assert_eq!(o.name.as_deref(), Some("bob"));
        assert_eq!(o.principal.as_deref(), Some("sub-user"));
        assert_eq!(v.request_id.as_deref(), Some("R1"));
        let err = |code: &str| {
            let b = format!(
                r#"{{"ResponseMetadata":{{"RequestId":"R2","Error":{{"Code":"{code}","Message":"m"}}}}}}"#
            );
            classify(401, b.as_bytes())
        };
        assert_eq!(err("InvalidAccessKey").0.outcome, Outcome::NotLive);
        assert_eq!(err("SignatureDoesNotMatch").0.outcome, Outcome::WrongKey);
        assert_eq!(err("SessionTokenInvalid").0.outcome, Outcome::NotLive);
        assert!(err("ServiceFailure").1);
    }
}
