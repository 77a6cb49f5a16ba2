//! The HTTP toolkit every provider's check is built on: endpoints given on
//! the command line (https anywhere, plain http only to a loopback address,
//! for tests and local proxies), one client per checker, bounded reads of
//! answers, tries with backoff, and the verdict constructor.

use crate::diagnostic::error_chain;
use crate::verify::{Outcome, Verification};
use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why an `--endpoint` value was refused.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL, or not a base URL: the value and what is wrong with it.
    #[error("endpoint {0:?} is not a usable base URL: {1}")]
    Invalid(String, String),
    /// Neither https nor http.
    #[error("endpoint {0:?}: the scheme must be https (or http to a loopback address)")]
    Scheme(String),
    /// Plain http to a non-loopback host.
    #[error(
        "endpoint {0:?}: plain http is only allowed to a loopback address \
         (127.0.0.0/8, ::1, localhost); use https"
    )]
    InsecureHttp(String),
}

/// A base URL given on the command line (`--endpoint` and the like), with
/// no path or query: https anywhere, http only to a loopback address.
pub fn checked_base(url: &str) -> Result<reqwest::Url, EndpointError> {
    let u = reqwest::Url::parse(url)
        .map_err(|e| EndpointError::Invalid(url.to_string(), e.to_string()))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(EndpointError::Scheme(url.to_string()));
    }
    let host = u
        .host_str()
        .ok_or_else(|| EndpointError::Invalid(url.to_string(), "it names no host".to_string()))?;
    if u.scheme() == "http" && !is_loopback(host) {
        return Err(EndpointError::InsecureHttp(url.to_string()));
    }
    if u.path() != "/" || u.query().is_some() || u.fragment().is_some() {
        return Err(EndpointError::Invalid(
            url.to_string(),
            "give only scheme, host and port (https://host[:port]/), no path or query".to_string(),
        ));
    }
    Ok(u)
}

/// Whether a URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where one provider's checks go: its API, or one base URL (tests, proxies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    base: reqwest::Url,
}

impl Endpoint {
    /// The provider's own endpoint, a constant known to parse.
    pub fn builtin(url: &'static str) -> Endpoint {
        Endpoint {
            base: reqwest::Url::parse(url).expect("a built-in endpoint parses"),
        }
    }

    /// A base URL given on the command line, checked by [`checked_base`].
    pub fn custom(url: &str) -> Result<Endpoint, EndpointError> {
        Ok(Endpoint {
            base: checked_base(url)?,
        })
    }

    /// Whether the endpoint is this machine.
    pub fn is_loopback(&self) -> bool {
        self.base.host_str().is_some_and(is_loopback)
    }

    /// The endpoint's URL with `path`.
    pub fn url(&self, path: &str) -> reqwest::Url {
        let mut u = self.base.clone();
        u.set_path(path);
        u
    }

    /// The `Host` header: host, plus `:port` when the URL names one.
    pub fn host(&self) -> String {
        match (self.base.host_str(), self.base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        }
    }
}

/// Why no checker could be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the {provider} HTTP client: {reason}")]
pub struct ClientError {
    /// The provider's name.
    pub provider: &'static str,
    /// What failed.
    pub reason: String,
}

/// An HTTP client for `endpoint`: no redirects, `timeout` per exchange, no
/// proxy for a loopback endpoint.
pub fn client(
    provider: &'static str,
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<reqwest::blocking::Client, ClientError> {
    let mut b = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("keyhound/", env!("CARGO_PKG_VERSION")));
    if endpoint.is_loopback() {
        b = b.no_proxy();
    }
    b.build().map_err(|e| ClientError {
        provider,
        reason: e.to_string(),
    })
}

/// One provider's connection: its client, its endpoint and the pause
/// between tries; what a provider's checker holds.
#[derive(Debug)]
pub struct Channel {
    /// The HTTP client.
    pub http: reqwest::blocking::Client,
    /// Where requests go.
    pub endpoint: Endpoint,
    /// The pause before a second try (longer before each further one).
    pub backoff: Duration,
}

impl Channel {
    /// A channel to `endpoint`, each exchange within `timeout`.
    pub fn new(
        provider: &'static str,
        endpoint: Endpoint,
        timeout: Duration,
    ) -> Result<Channel, ClientError> {
        Ok(Channel {
            http: client(provider, &endpoint, timeout)?,
            endpoint,
            backoff: Duration::from_millis(250),
        })
    }
}

/// An answer's body, at most `max` bytes: a larger one is an error, and only
/// one byte past `max` is ever read.
pub fn read_bounded(resp: reqwest::blocking::Response, max: u64) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    match resp.take(max + 1).read_to_end(&mut body) {
        Ok(n) if n as u64 > max => Err(format!("answer larger than {max} bytes")),
        Ok(_) => Ok(body),
        Err(e) => Err(format!("reading the answer failed: {e}")),
    }
}

/// One exchange's answer, as far as a verdict needs it.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Date` header, if any.
    pub date: Option<String>,
    /// The body, or why it could not be read within the bound.
    pub body: Result<Vec<u8>, String>,
}

impl Answer {
    /// Whether another try may tell more: throttling, a server error, an
    /// unreadable body.
    pub fn worth_retrying(&self) -> bool {
        self.status == 429 || self.status >= 500 || self.body.is_err()
    }
}

/// Sends `req` to `host` and reads the answer, at most `max` bytes of body;
/// no answer at all is an error saying so (an unknown verdict, worth
/// another try).
pub fn exchange(
    req: reqwest::blocking::RequestBuilder,
    host: &str,
    max: u64,
) -> Result<Answer, String> {
    let resp = req
        .send()
        .map_err(|e| format!("network: no answer from {host}: {}", error_chain(&e)))?;
    let status = resp.status().as_u16();
    let date = resp
        .headers()
        .get("date")
        .and_then(|d| d.to_str().ok())
        .map(str::to_string);
    Ok(Answer {
        status,
        date,
        body: read_bounded(resp, max),
    })
}

/// Runs `once` up to `tries` times while it says another try may tell more
/// (throttling, a server error, no answer), sleeping `backoff` times the
/// number of tries so far in between.
pub fn with_tries(
    tries: u32,
    backoff: Duration,
    mut once: impl FnMut() -> (Verification, bool),
) -> Verification {
    let mut n = 0;
    loop {
        n += 1;
        let (v, retry) = once();
        if !retry || n >= tries {
            return v;
        }
        std::thread::sleep(backoff * n);
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A check that needs the key found with the id: without one nothing is
/// sent and the verdict (skipped) says `missing`; with one, `once` is tried
/// up to `tries` times ([`with_tries`]).
pub fn with_key(
    key: Option<&crate::finding::Secret>,
    missing: &str,
    tries: u32,
    backoff: Duration,
    mut once: impl FnMut(&crate::finding::Secret) -> (Verification, bool),
) -> Verification {
    match key {
        None => verdict(Outcome::Skipped, format!("no {missing} found")),
        Some(k) => with_tries(tries, backoff, || once(k)),
    }
}

/// A field of a provider's JSON answer as text (a number too), cleaned for
/// a terminal and cut to 200 characters; `None` when absent or empty.
pub fn field(v: &serde_json::Value, k: &str) -> Option<String> {
    let s = match v.get(k)? {
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(
        crate::report::sanitize::sanitize(&s)
            .chars()
            .take(200)
            .collect(),
    )
}

/// The name an ARN-shaped identity string ends with (Alibaba's `acs:`,
/// Volcengine's `trn:`): `<scheme>:<service>::<account>:user/<name>` or
/// `...:assumed-role/<role>/<session>` give what follows the first `/`.
pub fn arn_name(arn: Option<&str>) -> Option<String> {
    arn.and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, res)| res.split_once('/'))
        .map(|(_, n)| n.to_string())
}

/// The bytes RFC 3986 leaves unencoded are its unreserved characters
/// (`A-Za-z0-9-_.~`); every other byte is `%XX`, upper case.
const RFC3986: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s` percent-encoded as the providers' signatures want it (RFC 3986: a
/// space is `%20`, `*` is `%2A`, `~` stays).
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, RFC3986).to_string()
}

/// A verdict with nothing known beyond its outcome and why.
pub fn verdict(outcome: Outcome, detail: String) -> Verification {
    Verification {
        outcome,
        detail,
        request_id: None,
        owner: None,
        status: None,
        created: None,
        last_used: None,
        last_used_note: None,
        never_used: false,
        keyhound_calls: Vec::new(),
        incident: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_http_base_urls() {
        assert!(Endpoint::custom("https://sts.example.com/").is_ok());
        assert!(
            Endpoint::custom("http://127.0.0.1:8080/")
                .unwrap()
                .is_loopback()
        );
        assert!(matches!(
            Endpoint::custom("http://sts.example.com/"),
            Err(EndpointError::InsecureHttp(_))
        ));
        assert!(matches!(
            Endpoint::custom("ftp://127.0.0.1/"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            Endpoint::custom("https://sts.example.com/v1?x=1"),
            Err(EndpointError::Invalid(..))
        ));
        let e = Endpoint::custom("http://[::1]:9/").unwrap();
        assert_eq!(e.host(), "[::1]:9");
        assert_eq!(e.url("/a").as_str(), "http://[::1]:9/a");
    }

    #[test]
    fn tries_stop_at_the_first_final_answer_or_the_limit() {
        let mut calls = 0;
        let v = with_tries(3, Duration::ZERO, || {
            calls += 1;
            (verdict(Outcome::Unknown, "busy".into()), true)
        });
        assert_eq!((calls, v.outcome), (3, Outcome::Unknown));
        let mut calls = 0;
        with_tries(3, Duration::ZERO, || {
            calls += 1;
            (verdict(Outcome::Live, String::new()), false)
        });
        assert_eq!(calls, 1);
    }
}
