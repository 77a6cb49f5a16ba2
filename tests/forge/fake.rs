//! A fake GitHub and GitLab REST API for tests: a std `TcpListener` on
//! 127.0.0.1:0, one thread per connection, `Connection: close`. It pages
//! its repositories `PER_PAGE` at a time (GitHub by `Link`, GitLab by
//! `x-next-page`), can answer one rate-limit refusal, and records every
//! request with the time it arrived.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Repositories per page (small, so a handful of repositories spans pages).
pub const PER_PAGE: usize = 2;

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// Path and query.
    pub target: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// When it arrived.
    pub at: SystemTime,
}

impl Request {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `page` query parameter (1 when absent).
    pub fn page(&self) -> usize {
        self.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
}

/// An answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send no `content-length`: the body ends when the connection closes.
    pub no_length: bool,
}

impl Answer {
    pub fn json(status: u16, v: &Value) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(v).unwrap(),
            no_length: false,
        }
    }
}

/// Which API the fake speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    GitHub,
    GitLab,
}

/// A repository the fake lists.
#[derive(Clone, Debug)]
pub struct FakeRepo {
    pub name: String,
    pub url: String,
    pub fork: bool,
    pub archived: bool,
}

impl FakeRepo {
    pub fn new(name: &str, url: &str) -> FakeRepo {
        FakeRepo {
            name: name.into(),
            url: url.into(),
            fork: false,
            archived: false,
        }
    }
}

type Override = Box<dyn Fn(&Request, &str) -> Option<Answer> + Send + Sync>;

struct State {
    requests: Vec<Request>,
    /// Page to refuse once with a rate limit, and the reset's offset in
    /// seconds from the refusal.
    limit: Option<(usize, u64)>,
    /// The reset time answered (epoch seconds), once refused.
    reset: Option<u64>,
}

/// A running fake API.
pub struct FakeForge {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FakeForge {
    /// A fake `kind` API listing `repos` of `owner` (GitLab: the group path
    /// as it must arrive, percent-encoded). `custom` may answer a request
    /// instead of the fake.
    pub fn start(
        kind: Kind,
        owner: &str,
        repos: Vec<FakeRepo>,
        custom: Option<Override>,
    ) -> FakeForge {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            requests: Vec::new(),
            limit: None,
            reset: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let base = format!("http://127.0.0.1:{port}");
        let serve = Arc::new(Serve {
            kind,
            owner: owner.to_string(),
            repos,
            custom,
            base,
            state: state.clone(),
        });
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let serve = serve.clone();
                std::thread::spawn(move || serve.handle(conn));
            }
        });
        FakeForge { port, state, stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Refuses the first request for `page` with a rate limit that resets
    /// `secs` seconds later.
    pub fn limit_page(&self, page: usize, secs: u64) {
        self.state.lock().unwrap().limit = Some((page, secs));
    }

    /// The reset time answered, if a refusal was made.
    pub fn reset(&self) -> Option<u64> {
        self.state.lock().unwrap().reset
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for FakeForge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Serve {
    kind: Kind,
    owner: String,
    repos: Vec<FakeRepo>,
    custom: Option<Override>,
    base: String,
    state: Arc<Mutex<State>>,
}

impl Serve {
    fn handle(&self, conn: TcpStream) {
        conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.is_empty() {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let req = Request {
            target,
            headers,
            at: SystemTime::now(),
        };
        self.state.lock().unwrap().requests.push(req.clone());
        let answer = self
            .custom
            .as_ref()
            .and_then(|c| c(&req, &self.base))
            .unwrap_or_else(|| self.answer(&req));
        let mut conn = conn;
        let mut head = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", answer.status);
        if !answer.no_length {
            head.push_str(&format!("content-length: {}\r\n", answer.body.len()));
        }
        for (k, v) in &answer.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = conn.write_all(head.as_bytes());
        let _ = conn.write_all(&answer.body);
    }

    fn answer(&self, req: &Request) -> Answer {
        let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
        let (want_path, want_query) = match self.kind {
            Kind::GitHub => (
                format!("/orgs/{}/repos", self.owner),
                ["per_page=100", "type=all"],
            ),
            Kind::GitLab => (
                format!("/api/v4/groups/{}/projects", self.owner),
                ["include_subgroups=true", "per_page=100"],
            ),
        };
        let params: Vec<&str> = query.split('&').collect();
        if path != want_path || !want_query.iter().all(|q| params.contains(q)) {
            return Answer::json(404, &json!({"message": "Not Found"}));
        }
        let page = req.page();
        if let Some(refusal) = self.rate_limit(page) {
            return refusal;
        }
        let pages = self.repos.len().div_ceil(PER_PAGE).max(1);
        let items: Vec<Value> = self
            .repos
            .iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .map(|r| self.item(r))
            .collect();
        let mut a = Answer::json(200, &Value::Array(items));
        if page < pages {
            match self.kind {
                Kind::GitHub => {
                    let link = |p: usize| {
                        format!("<{}{want_path}?per_page=100&type=all&page={p}>", self.base)
                    };
                    a.headers.push((
                        "link".into(),
                        format!(
                            "{}; rel=\"next\", {}; rel=\"last\"",
                            link(page + 1),
                            link(pages)
                        ),
                    ));
                }
                Kind::GitLab => a
                    .headers
                    .push(("x-next-page".into(), (page + 1).to_string())),
            }
        } else if self.kind == Kind::GitLab {
            a.headers.push(("x-next-page".into(), String::new()));
        }
        a
    }

    /// The refusal of a limited page, until its reset.
    fn rate_limit(&self, page: usize) -> Option<Answer> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut st = self.state.lock().unwrap();
        let (limited, secs) = st.limit?;
        if limited != page {
            return None;
        }
        let reset = match st.reset {
            Some(r) if now >= r => return None,
            Some(r) => r,
            None => now + secs,
        };
        st.reset = Some(reset);
        let (remaining, reset_header) = match self.kind {
            Kind::GitHub => ("x-ratelimit-remaining", "x-ratelimit-reset"),
            Kind::GitLab => ("ratelimit-remaining", "ratelimit-reset"),
        };
        let mut a = Answer::json(
            if self.kind == Kind::GitHub { 403 } else { 429 },
            &json!({"message": "API rate limit exceeded"}),
        );
        a.headers.push((remaining.into(), "0".into()));
        a.headers.push((reset_header.into(), reset.to_string()));
        Some(a)
    }

    fn item(&self, r: &FakeRepo) -> Value {
        match self.kind {
            Kind::GitHub => json!({
                "id": r.name.len(),
                "name": r.name.rsplit('/').next(),
                "full_name": r.name,
                "private": false,
                "html_url": format!("https://github.example/{}", r.name),
                "clone_url": r.url,
                "ssh_url": format!("git@github.example:{}.git", r.name),
                "fork": r.fork,
                "archived": r.archived,
            }),
            Kind::GitLab => {
                let mut v = json!({
                    "id": r.name.len(),
                    "path_with_namespace": r.name,
                    "http_url_to_repo": r.url,
                    "ssh_url_to_repo": format!("git@gitlab.example:{}.git", r.name),
                    "archived": r.archived,
                });
                if r.fork {
                    v["forked_from_project"] =
                        json!({"id": 1, "path_with_namespace": "other/upstream"});
                }
                v
            }
        }
    }
}
