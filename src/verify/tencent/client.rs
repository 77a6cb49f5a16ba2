//! The HTTP client for Tencent Cloud API 3.0: TC3-signed POSTs to the
//! endpoints, timeouts, per-action rate limits, retries, and the HTTP-200
//! error envelope turned into [`ApiError`].

pub use super::api::{Action, Service};
use super::endpoint::host_header;
pub use super::endpoint::{Endpoints, Site};
use super::sign::{self, SignInput};
use crate::diagnostic::error_chain;
use crate::finding::{Secret, SecretKind};
pub use crate::verify::http::{EndpointError, checked_base, is_loopback};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A SecretId/SecretKey pair (and token, for temporary credentials).
/// `Debug` shows the id shortened and nothing of the key.
#[derive(Clone)]
pub struct Credential {
    id: String,
    key: Secret,
    token: Option<Secret>,
}

impl Credential {
    /// A long-term key pair.
    pub fn new(id: impl Into<String>, key: impl Into<Box<str>>) -> Credential {
        Credential {
            id: id.into(),
            key: Secret::new(key, SecretKind::Key),
            token: None,
        }
    }

    /// Adds a session token (temporary credentials).
    pub fn with_token(mut self, token: Option<Secret>) -> Credential {
        self.token = token;
        self
    }

    /// The SecretId.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session token of temporary credentials.
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credential({}, {})",
            crate::finding::redact(&self.id, SecretKind::Identifier),
            self.key
        )
    }
}

/// An error answer from Tencent (HTTP 200, `Response.Error`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (RequestId {request_id})")]
pub struct ApiError {
    /// `AuthFailure.SecretIdNotFound`, `RequestLimitExceeded`, ...
    pub code: String,
    /// Tencent's message.
    pub message: String,
    /// The request's id, for the audit trail.
    pub request_id: String,
}

/// Why a call did not return an answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Tencent answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// No answer: connection refused, reset, timeout.
    #[error("{action}: no answer from {host}: {reason}")]
    Transport {
        /// The action.
        action: Action,
        /// Host called.
        host: String,
        /// What went wrong.
        reason: String,
        /// Whether it timed out (the call may have been applied).
        timed_out: bool,
    },
    /// An HTTP status other than 200.
    #[error("{action}: unexpected answer from {host}: HTTP {status}")]
    Status {
        /// The action.
        action: Action,
        /// Host called.
        host: String,
        /// The HTTP status code.
        status: u16,
    },
    /// An HTTP-200 answer whose fields are not as documented.
    #[error(transparent)]
    Malformed(#[from] super::answer::Malformed),
    /// A body that is not the envelope, or too large.
    #[error("{action}: unexpected answer from {host}: {reason}")]
    Protocol {
        /// The action.
        action: Action,
        /// Host called.
        host: String,
        /// What was wrong with it.
        reason: String,
    },
}

impl CallError {
    /// The API error code, when Tencent answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Api(e) => Some(&e.code),
            _ => None,
        }
    }
}

/// A successful answer: `Response` without `RequestId`, and the id.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The `Response` object.
    pub body: Value,
    /// `Response.RequestId`.
    pub request_id: String,
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Deadline of one HTTP exchange.
    pub timeout: Duration,
    /// Retries after throttling or a server error.
    pub retries: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// `X-TC-Region` for STS (required there).
    pub region: String,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(250),
            region: "ap-guangzhou".to_string(),
        }
    }
}

/// Whether a failed call is worth another try: throttling always (Tencent
/// refused it, nothing happened); server errors and lost connections only
/// for read-only actions, since a state change may have been applied.
fn should_retry(action: Action, e: &CallError) -> bool {
    match e {
        CallError::Api(a) if a.code.starts_with("RequestLimitExceeded") => true,
        _ if action.is_state_changing() => false,
        CallError::Api(a) => a.code.starts_with("InternalError") || a.code == "ServiceUnavailable",
        CallError::Status { status, .. } => (500..600).contains(status),
        CallError::Transport { .. } => true,
        CallError::Protocol { .. } | CallError::Setup(_) | CallError::Malformed(_) => false,
    }
}

/// Spaces calls of one action at least `1s / limit` apart.
#[derive(Debug, Default)]
struct Limiter {
    next: Mutex<HashMap<Action, Instant>>,
}

impl Limiter {
    fn wait(&self, action: Action) {
        let interval = Duration::from_secs(1) / action.rate_limit();
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = next.get(&action).copied().unwrap_or(now).max(now);
            next.insert(action, slot + interval);
            slot
        };
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// A TC3-signing client for CAM and STS.
#[derive(Debug)]
pub struct Client {
    http: reqwest::blocking::Client,
    endpoints: Endpoints,
    opts: ClientOptions,
    limiter: Limiter,
    signed: Mutex<Vec<SignedCall>>,
}

/// How keyhound names itself to Tencent (`X-TC-RequestClient`); CloudAudit
/// may keep it as the event's `RequestClient`.
pub const REQUEST_CLIENT: &str = concat!("keyhound-", env!("CARGO_PKG_VERSION"));

/// One call this client signed: what CloudAudit will log for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCall {
    /// The SecretId it was signed with.
    pub id: String,
    /// The action.
    pub action: Action,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: i64,
    /// Tencent's RequestId of the answer, when one came back.
    pub request_id: Option<String>,
}

impl SignedCall {
    /// The call as a report records it for later runs.
    pub fn recorded(&self) -> crate::finding::SignedCheck {
        crate::finding::SignedCheck {
            time: super::check::utc_time(self.timestamp),
            action: self.action.name().to_string(),
            request_id: self.request_id.clone(),
            client: REQUEST_CLIENT.to_string(),
        }
    }
}

/// The largest answer read; CAM and STS answers are a few kilobytes.
const MAX_BODY: usize = 1 << 20;

impl Client {
    /// A client for `endpoints`.
    pub fn new(endpoints: Endpoints, opts: ClientOptions) -> Result<Client, CallError> {
        let mut b = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("keyhound/", env!("CARGO_PKG_VERSION")));
        if endpoints.is_loopback() {
            b = b.no_proxy();
        }
        let http = b.build().map_err(|e| CallError::Setup(error_chain(&e)))?;
        Ok(Client {
            http,
            endpoints,
            opts,
            limiter: Limiter::default(),
            signed: Mutex::new(Vec::new()),
        })
    }

    /// A client like this one for the other site, if there is one.
    pub fn other_site(&self) -> Option<Client> {
        Client::new(self.endpoints.other_site()?, self.opts.clone()).ok()
    }

    /// Every call this client signed with SecretId `id`, in order.
    pub fn signed_with(&self, id: &str) -> Vec<SignedCall> {
        let signed = self.signed.lock().unwrap_or_else(|e| e.into_inner());
        signed.iter().filter(|c| c.id == id).cloned().collect()
    }

    /// Calls `action` (of its service) with JSON `params`, signed with
    /// `cred`, retrying throttled and failed read-only calls with backoff.
    pub fn call(
        &self,
        cred: &Credential,
        action: Action,
        params: &Value,
    ) -> Result<Answer, CallError> {
        let mut backoff = self.opts.backoff;
        let mut attempt = 0;
        loop {
            let result = self.call_once(cred, action, params);
            let retry = result
                .as_ref()
                .err()
                .is_some_and(|e| should_retry(action, e));
            if !retry || attempt >= self.opts.retries {
                return result;
            }
            tracing::debug!(
                action = action.name(),
                attempt,
                "retrying after {backoff:?}"
            );
            std::thread::sleep(backoff);
            backoff *= 2;
            attempt += 1;
        }
    }

    fn call_once(
        &self,
        cred: &Credential,
        action: Action,
        params: &Value,
    ) -> Result<Answer, CallError> {
        self.limiter.wait(action);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let result = self.send(cred, action, params, timestamp);
        let request_id = match &result {
            Ok(a) => Some(a.request_id.clone()),
            Err(CallError::Api(e)) => Some(e.request_id.clone()),
            Err(_) => None,
        };
        let call = SignedCall {
            id: cred.id.clone(),
            action,
            timestamp,
            request_id: request_id.filter(|r| !r.is_empty()),
        };
        self.signed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call);
        result
    }

    fn send(
        &self,
        cred: &Credential,
        action: Action,
        params: &Value,
        timestamp: i64,
    ) -> Result<Answer, CallError> {
        let service = action.service();
        let url = self.endpoints.url(service);
        let host = host_header(&url);
        let body = serde_json::to_vec(params).expect("JSON values serialize");
        let content_type = "application/json";
        let signed = [("content-type", content_type), ("host", host.as_str())];
        let input = SignInput {
            method: "POST",
            query: "",
            headers: &signed,
            payload: &body,
            service: service.name(),
            timestamp,
        };
        let auth = sign::authorization(&cred.id, cred.key.expose(), &input);
        let mut req = self
            .http
            .post(url)
            .header("Host", &host)
            .header("Content-Type", content_type)
            .header("X-TC-Action", action.name())
            .header("X-TC-Version", service.version())
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Language", "en-US")
            .header("X-TC-RequestClient", REQUEST_CLIENT)
            .header("Authorization", auth);
        if matches!(service, Service::Sts | Service::CloudAudit | Service::Csip) {
            req = req.header("X-TC-Region", &self.opts.region);
        }
        if let Some(t) = &cred.token {
            req = req.header("X-TC-Token", t.expose());
        }
        let transport = |e: reqwest::Error| CallError::Transport {
            action,
            host: host.clone(),
            reason: error_chain(&e),
            timed_out: e.is_timeout(),
        };
        let resp = req.body(body).send().map_err(transport)?;
        let status = resp.status();
        let protocol = |reason: String| CallError::Protocol {
            action,
            host: host.clone(),
            reason,
        };
        if status != reqwest::StatusCode::OK {
            return Err(CallError::Status {
                action,
                host: host.clone(),
                status: status.as_u16(),
            });
        }
        let too_large = || protocol(format!("answer of more than {MAX_BODY} bytes"));
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let bytes = read_capped(resp).map_err(|e| CallError::Transport {
            action,
            host: host.clone(),
            reason: error_chain(&e),
            timed_out: e.kind() == std::io::ErrorKind::TimedOut
                || e.get_ref()
                    .and_then(|i| i.downcast_ref::<reqwest::Error>())
                    .is_some_and(reqwest::Error::is_timeout),
        })?;
        if bytes.len() > MAX_BODY {
            return Err(too_large());
        }
        parse_envelope(&bytes).map_err(|e| match e {
            Envelope::Api(api) => CallError::Api(api),
            Envelope::Bad(reason) => protocol(reason),
        })
    }
}

/// The body, streamed: at most one byte more than [`MAX_BODY`] is read, so an
/// endless or oversized answer costs a bounded read, never the whole of it.
fn read_capped(resp: reqwest::blocking::Response) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(8 << 10);
    resp.take(MAX_BODY as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why a body is not a successful answer.
#[derive(Debug)]
pub enum Envelope {
    /// Tencent's `Response.Error`.
    Api(ApiError),
    /// Not the `{"Response": {...}}` envelope: what is wrong with it.
    Bad(String),
}

/// Splits `{"Response": {...}}` into an answer or an [`ApiError`].
pub fn parse_envelope(bytes: &[u8]) -> Result<Answer, Envelope> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| Envelope::Bad(format!("not JSON: {e}")))?;
    let Some(Value::Object(mut resp)) = v.get("Response").cloned() else {
        return Err(Envelope::Bad("no Response object".into()));
    };
    let request_id = match resp.remove("RequestId") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    if let Some(err) = resp.get("Error") {
        let field = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        return Err(Envelope::Api(ApiError {
            code: field("Code"),
            // Where a server's words enter keyhound: a SecretId it echoes
            // is shortened here, for every output that quotes it.
            message: crate::rule::echo::redact_ids(&field("Message")).into_owned(),
            request_id,
        }));
    }
    Ok(Answer {
        body: Value::Object(resp),
        request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_secret_id_is_shortened_in_the_error_message() {
        let id = "AKIDq2Zc7Wm4Xv9Bn3Lk8Jh5Gf1Ds6Ap0Qw3";
        let body = format!(
            r#"{{"Response":{{"Error":{{"Code":"AuthFailure.SecretIdNotFound","Message":"SecretId {id} not found"}},"RequestId":"r"}}}}"#
        );
        let Err(Envelope::Api(e)) = parse_envelope(body.as_bytes()) else {
            panic!("an API error");
        };
        assert_eq!(e.message, "SecretId AKIDq2Zc…0Qw3 not found");
    }

    #[test]
    fn envelope_errors_become_api_errors() {
        let e = br#"{"Response":{"Error":{"Code":"AuthFailure.SecretIdNotFound","Message":"m"},"RequestId":"r-1"}}"#;
        match parse_envelope(e) {
            Err(Envelope::Api(a)) => {
                assert_eq!(a.code, "AuthFailure.SecretIdNotFound");
                assert_eq!(a.request_id, "r-1");
            }
            _ => panic!("expected an API error"),
        }
        let ok = br#"{"Response":{"Uin":"1","RequestId":"r-2"}}"#;
        let a = parse_envelope(ok).ok().unwrap();
        assert_eq!(a.request_id, "r-2");
        assert_eq!(a.body["Uin"], "1");
        assert!(a.body.get("RequestId").is_none());
        assert!(matches!(parse_envelope(b"<html>"), Err(Envelope::Bad(_))));
    }

    #[test]
    fn credential_debug_hides_the_key() {
        let c = Credential::new(
            "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1",
            "Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0",
        );
        let d = format!("{c:?}");
        assert!(!d.contains("Zx81"), "{d}");
        assert!(!d.contains("AKIDq3Wm8Rt2"), "{d}");
    }

    #[test]
    fn state_changes_are_retried_only_when_refused() {
        let api = |code: &str| {
            CallError::Api(ApiError {
                code: code.into(),
                message: String::new(),
                request_id: String::new(),
            })
        };
        let timeout = CallError::Transport {
            action: Action::UpdateAccessKey,
            host: "h".into(),
            reason: "timed out".into(),
            timed_out: true,
        };
        let status = |status| CallError::Status {
            action: Action::GetUserAppId,
            host: "h".into(),
            status,
        };
        let update = Action::UpdateAccessKey;
        let read = Action::GetUserAppId;
        assert!(should_retry(update, &api("RequestLimitExceeded")));
        assert!(!should_retry(update, &timeout));
        assert!(!should_retry(update, &api("InternalError.SystemError")));
        assert!(!should_retry(update, &status(503)));
        assert!(should_retry(read, &timeout));
        assert!(should_retry(read, &api("InternalError.SystemError")));
        assert!(!should_retry(read, &api("AuthFailure.SecretIdNotFound")));
        assert!(should_retry(read, &status(502)));
        assert!(!should_retry(read, &status(404)));
        let bad = CallError::Protocol {
            action: read,
            host: "h".into(),
            reason: "HTTP 5 in a body that is not JSON".into(),
        };
        assert!(
            !should_retry(read, &bad),
            "decided on the type, not the text"
        );
    }
}
