//! The loopback HTTP plumbing the emulators share: one request read off a
//! kept-alive connection, a JSON server on 127.0.0.1 for the small provider
//! emulators, and RFC 3986 percent-encoding for the signatures they check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One HTTP/1.1 request read off a connection: its head as sent (request
/// line and headers), the headers with lower-cased names, and the body.
pub(crate) struct RawRequest {
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The request line (`POST / HTTP/1.1`).
    pub fn line(&self) -> String {
        self.head.lines().next().unwrap_or_default().to_string()
    }

    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Reads the next request of a kept-alive connection; `None` when the peer
/// closed it or sent a cut-off request.
pub(crate) fn read_request(r: &mut BufReader<TcpStream>) -> Option<RawRequest> {
    let mut head = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => head.push_str(&line),
        }
    }
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut req = RawRequest {
        head,
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    r.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// A loopback HTTP server handing each request to `answer` with its state,
/// answering JSON; stops when dropped. The small provider emulators
/// (Alibaba STS, Qiniu UC) run on it.
pub(crate) struct Loopback {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Loopback {
    /// Listens on 127.0.0.1 with a free port.
    pub fn start<S: Send + 'static>(
        state: Arc<Mutex<S>>,
        answer: fn(&mut S, &RawRequest) -> (u16, String),
    ) -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let sp = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = state.clone();
                std::thread::spawn(move || serve_json(conn, &st, answer));
            }
        });
        Loopback { addr, stop }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_json<S>(
    conn: TcpStream,
    state: &Mutex<S>,
    answer: fn(&mut S, &RawRequest) -> (u16, String),
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    while let Some(req) = read_request(&mut r) {
        let (status, payload) = answer(&mut state.lock().unwrap_or_else(|e| e.into_inner()), &req);
        let out = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        );
        if w.write_all(out.as_bytes())
            .and_then(|_| w.write_all(payload.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

/// RFC 3986's unreserved characters stay, every other byte is `%XX`: the
/// encoding the signature pages of Alibaba Cloud, Volcengine and Baidu AI
/// Cloud canonicalise with.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s` percent-encoded per RFC 3986.
pub(crate) fn rfc3986(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// `%XX` escapes of a query part decoded (lossily into UTF-8).
pub(crate) fn unescape(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
