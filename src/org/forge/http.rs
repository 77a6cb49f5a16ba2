//! The forge's HTTP answers: one bounded GET, the next page (`Link:
//! rel="next"` or GitLab's `x-next-page`), and waiting out a rate limit
//! until its reset, never longer than the caller allows.

use super::ForgeError;
use crate::diagnostic::{Diagnostics, error_chain};
use crate::finding::Secret;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most bytes of one page read; a page of 100 GitHub repositories is
/// about 600 KiB.
pub(super) const MAX_PAGE: u64 = 16 << 20;
/// Rate-limit waits for one page before giving up.
const MAX_RATE_WAITS: u32 = 5;
/// How long to wait on a 429 that names no reset (GitHub: "at least one
/// minute").
const DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Added to a reset time: the forge's clock and ours differ a little.
const RESET_MARGIN: Duration = Duration::from_secs(1);

/// One page of an answer.
pub(super) struct Page {
    /// The body, at most [`MAX_PAGE`] bytes.
    pub body: Vec<u8>,
    /// The next page, if the answer names one.
    pub next: Option<Url>,
}

/// A client for one forge's API: its origin, its token header, its headers.
pub(super) struct Client {
    http: reqwest::blocking::Client,
    base: Url,
    token: Option<(HeaderName, HeaderValue)>,
    max_wait: Duration,
}

impl Client {
    /// A client for the API under `base` (https, or http on a loopback
    /// address), sending `token` (a header name and its whole value) and
    /// `headers` on every request.
    pub(super) fn new(
        base: &str,
        token: Option<(&'static str, Secret)>,
        headers: &[(&'static str, &'static str)],
        max_wait: Duration,
    ) -> Result<Client, ForgeError> {
        let base = api_base(base)?;
        let mut default = HeaderMap::new();
        for (k, v) in headers {
            default.insert(*k, HeaderValue::from_static(v));
        }
        let token = match token {
            Some((name, secret)) => {
                let mut value =
                    HeaderValue::from_str(secret.expose()).map_err(|_| ForgeError::Token(name))?;
                value.set_sensitive(true);
                Some((HeaderName::from_static(name), value))
            }
            None => None,
        };
        let origin = base.origin();
        let mut b = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            // A renamed organisation answers 301; the token goes no further
            // than the origin it was given for.
            .redirect(reqwest::redirect::Policy::custom(move |a| {
                if a.previous().len() < 5 && a.url().origin() == origin {
                    a.follow()
                } else {
                    a.stop()
                }
            }))
            .default_headers(default)
            .user_agent(concat!("keyhound/", env!("CARGO_PKG_VERSION")));
        if base.host_str().is_some_and(is_loopback) {
            b = b.no_proxy();
        }
        let http = b.build().map_err(|e| ForgeError::Transport {
            url: base.to_string(),
            reason: error_chain(&e),
        })?;
        Ok(Client {
            http,
            base,
            token,
            max_wait,
        })
    }

    /// `path_and_query` under the API base.
    pub(super) fn url(&self, path_and_query: &str) -> Result<Url, ForgeError> {
        let base = self.base.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path_and_query}"))
            .map_err(|_| ForgeError::ApiUrl(format!("{base}{path_and_query}"), "not a URL"))
    }

    /// GETs `url`, waiting out rate limits (notes in `diags`).
    pub(super) fn get(&self, url: &Url, diags: &Diagnostics) -> Result<Page, ForgeError> {
        if url.origin() != self.base.origin() {
            return Err(ForgeError::ForeignPage(url.to_string()));
        }
        let mut waits = 0;
        loop {
            let mut req = self.http.get(url.clone());
            if let Some((name, value)) = &self.token {
                req = req.header(name, value);
            }
            let resp = req.send().map_err(|e| ForgeError::Transport {
                url: url.to_string(),
                reason: error_chain(&e),
            })?;
            let status = resp.status().as_u16();
            if (status == 403 || status == 429)
                && let Some(wait) = rate_wait(status, resp.headers(), SystemTime::now())
            {
                if wait > self.max_wait {
                    return Err(ForgeError::RateLimited {
                        url: url.to_string(),
                        wait: wait.as_secs(),
                        max: self.max_wait.as_secs(),
                    });
                }
                if waits >= MAX_RATE_WAITS {
                    return Err(ForgeError::StillLimited {
                        url: url.to_string(),
                        waits,
                    });
                }
                waits += 1;
                diags.note(format!(
                    "rate limited by {url}: waited {}s for the limit to reset",
                    wait.as_secs_f64().ceil()
                ));
                std::thread::sleep(wait);
                continue;
            }
            let next = next_page(url, resp.headers());
            let body = read_bounded(resp, url)?;
            if !(200..300).contains(&status) {
                return Err(ForgeError::Status {
                    url: url.to_string(),
                    status,
                    detail: status_detail(&body),
                });
            }
            return Ok(Page { body, next });
        }
    }
}

/// The API base URL: https, or http on a loopback address; no query.
fn api_base(s: &str) -> Result<Url, ForgeError> {
    let u = Url::parse(s).map_err(|_| ForgeError::ApiUrl(s.to_string(), "not a URL"))?;
    let loopback = u.host_str().is_some_and(is_loopback);
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ForgeError::ApiUrl(
                s.to_string(),
                "plain http only to a loopback address; use https",
            ));
        }
        _ => return Err(ForgeError::ApiUrl(s.to_string(), "expected an https URL")),
    }
    if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
        return Err(ForgeError::ApiUrl(
            s.to_string(),
            "expected no query, fragment or user",
        ));
    }
    Ok(u)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn read_bounded(resp: reqwest::blocking::Response, url: &Url) -> Result<Vec<u8>, ForgeError> {
    let too_large = || ForgeError::TooLarge {
        url: url.to_string(),
        max: MAX_PAGE,
    };
    if resp.content_length().is_some_and(|n| n > MAX_PAGE) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    resp.take(MAX_PAGE + 1)
        .read_to_end(&mut body)
        .map_err(|e| ForgeError::Transport {
            url: url.to_string(),
            reason: error_chain(&e),
        })?;
    if body.len() as u64 > MAX_PAGE {
        return Err(too_large());
    }
    Ok(body)
}

/// The forge's own words on a failed request: `message` of a JSON body,
/// one line, shortened.
fn status_detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let msg = v
        .get("message")
        .or_else(|| v.get("error"))
        .and_then(|m| m.as_str())
        .unwrap_or("");
    msg.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

fn header<'h>(headers: &'h HeaderMap, names: &[&str]) -> Option<&'h str> {
    names
        .iter()
        .find_map(|n| headers.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// How long a 403 or 429 asks to wait, or `None` when it is not a rate
/// limit: `retry-after` seconds, else the reset time when no requests
/// remain, else a minute for a bare 429.
fn rate_wait(status: u16, headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(secs) = header(headers, &["retry-after"]).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    let remaining = header(headers, &["x-ratelimit-remaining", "ratelimit-remaining"]);
    let reset = header(headers, &["x-ratelimit-reset", "ratelimit-reset"])
        .and_then(|v| v.parse::<u64>().ok());
    match (remaining, reset) {
        (Some("0"), Some(reset)) => {
            let at = UNIX_EPOCH + Duration::from_secs(reset);
            Some(at.duration_since(now).unwrap_or_default() + RESET_MARGIN)
        }
        _ if status == 429 => Some(DEFAULT_WAIT),
        _ => None,
    }
}

/// The next page: the `Link` header's `rel="next"`, else `x-next-page` (a
/// page number, empty on the last page) applied to `url`.
fn next_page(url: &Url, headers: &HeaderMap) -> Option<Url> {
    let link = headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(link_next);
    if let Some(next) = link {
        // An unparsable next link is kept as is, so that `get` names it.
        return Some(url.join(&next).unwrap_or_else(|_| url.clone()));
    }
    let page = header(headers, &["x-next-page"]).filter(|p| !p.is_empty())?;
    page.parse::<u64>().ok()?;
    let mut next = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("page", page);
    Some(next)
}

/// The `rel="next"` target of one `Link` header value.
fn link_next(value: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|r| r.trim_matches('"'))
                .is_some_and(|r| r.split_whitespace().any(|r| r == "next"))
        });
        is_next.then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn link_next_is_found_among_other_relations() {
        let v = r#"<https://api.github.com/orgs/a/repos?page=1>; rel="prev", <https://api.github.com/orgs/a/repos?page=3>; rel="next", <https://api.github.com/orgs/a/repos?page=9>; rel="last""#;
        assert_eq!(
            link_next(v).as_deref(),
            Some("https://api.github.com/orgs/a/repos?page=3")
        );
        assert_eq!(link_next(r#"<https://x/?page=1>; rel="first""#), None);
        assert_eq!(link_next("garbage"), None);
    }

    #[test]
    fn x_next_page_replaces_the_page_parameter() {
        let url = Url::parse("http://127.0.0.1:9/api/v4/groups/a%2Fb/projects?per_page=100&page=2")
            .unwrap();
        let next = next_page(&url, &headers(&[("x-next-page", "3")])).unwrap();
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:9/api/v4/groups/a%2Fb/projects?per_page=100&page=3"
        );
        assert!(next_page(&url, &headers(&[("x-next-page", "")])).is_none());
        assert!(next_page(&url, &headers(&[])).is_none());
    }

    #[test]
    fn rate_limits_wait_for_retry_after_or_the_reset() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(rate_wait(403, &h, now), Some(Duration::from_secs(7)));
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1010"),
        ]);
        assert_eq!(rate_wait(403, &h, now), Some(Duration::from_secs(11)));
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "990")]);
        assert_eq!(rate_wait(429, &h, now), Some(RESET_MARGIN));
        let h = headers(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", "1010"),
        ]);
        assert_eq!(rate_wait(403, &h, now), None, "a plain 403 is not a limit");
        assert_eq!(rate_wait(429, &h, now), Some(DEFAULT_WAIT));
    }

    #[test]
    fn api_base_allows_https_and_loopback_http() {
        assert!(api_base("https://ghe.example.com/api/v3").is_ok());
        assert!(api_base("http://127.0.0.1:8080").is_ok());
        assert!(api_base("http://gitlab.example.com").is_err());
        assert!(api_base("ftp://127.0.0.1").is_err());
        assert!(api_base("https://u:p@example.com").is_err());
    }
}
