//! Hostile servers on 127.0.0.1: answers too large to hold, answers that
//! never end, and HTTP-200 answers that are not what Tencent documents.
//! Each must end as "unknown" after a bounded read, never as "live".

use super::{LIMIT, id, key, texts};
use crate::util::TestEnv;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the server answers to every request.
#[derive(Clone)]
enum Answer {
    /// HTTP 200 with this JSON body.
    Json(String),
    /// `Content-Length: 2000000000`, then bytes until the client leaves.
    Huge,
    /// A chunked body that never ends.
    Endless,
}

/// The most any one connection is sent, so a client that reads everything
/// still ends (and the test sees how much it took).
const SERVER_CAP: u64 = 256 << 20;

struct Server {
    port: u16,
    sent: Arc<AtomicU64>,
}

impl Server {
    fn start(answer: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (answer, counter) = (answer.clone(), counter.clone());
                std::thread::spawn(move || serve(conn, &answer, &counter));
            }
        });
        Server { port, sent }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

fn serve(conn: TcpStream, answer: &Answer, sent: &AtomicU64) {
    let mut w = conn.try_clone().expect("clone stream");
    let mut r = BufReader::new(conn);
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let mut send = |b: &[u8]| {
            let ok = w.write_all(b).is_ok();
            sent.fetch_add(b.len() as u64, Ordering::SeqCst);
            ok
        };
        let filler = vec![b' '; 64 << 10];
        match answer {
            Answer::Json(j) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    j.len()
                );
                if !send(head.as_bytes()) || !send(j.as_bytes()) {
                    return;
                }
            }
            Answer::Huge => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Content-Length: 2000000000\r\n\r\n{\"Response\":{\"Uin\":\"";
                let mut ok = send(head.as_bytes());
                while ok && sent.load(Ordering::SeqCst) < SERVER_CAP {
                    ok = send(&filler);
                }
                return;
            }
            Answer::Endless => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Transfer-Encoding: chunked\r\n\r\n";
                let mut ok = send(head.as_bytes());
                let chunk = [
                    format!("{:x}\r\n", filler.len()).as_bytes(),
                    &filler,
                    b"\r\n",
                ]
                .concat();
                while ok && sent.load(Ordering::SeqCst) < SERVER_CAP {
                    ok = send(&chunk);
                }
                return;
            }
        }
    }
}

/// `verify --from` a report holding one invented pair, against `server`.
fn verify_against(server: &Server) -> (Value, String) {
    let env = TestEnv::new();
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        crate::cam::report(&[(r, &id(41), Some(&key(41)), "a")], false),
    );
    let out = env
        .cmd()
        .args(["verify", "--from", "r.json", "--format", "json"])
        .args(["--endpoint", &server.url()])
        .timeout(LIMIT)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{stderr} (exit {:?})", out.status.code()));
    (doc["findings"][0]["verification"].clone(), stderr)
}

#[test]
fn oversized_and_endless_answers_are_unknown_after_a_bounded_read() {
    for answer in [Answer::Huge, Answer::Endless] {
        let server = Server::start(answer);
        let started = std::time::Instant::now();
        let (v, err) = verify_against(&server);
        assert_eq!(v["outcome"], "unknown", "{v}{err}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("more than"), "the cap is named: {detail}");
        // Whatever the socket buffers held, far less than the body offered.
        assert!(
            server.sent() < 32 << 20,
            "{} bytes were pulled from the server",
            server.sent()
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}

#[test]
fn http_200_answers_that_do_not_parse_as_documented_are_unknown() {
    let ok = r#"{"Response":{"Uin":"100000000011","OwnerUin":"100000000011","AppId":1250000011,
        "Type":"CAMUser","AccountId":"100000000011","UserId":"100000000011",
        "PrincipalId":"100000000011","Arn":"qcs::cam::uin/100000000011","RequestId":"r-1"}}"#;
    let (v, err) = verify_against(&Server::start(Answer::Json(ok.into())));
    assert_eq!(
        v["outcome"], "live",
        "a documented answer is live: {v}{err}"
    );
    for bad in [
        r#"{"Response":{"Uin":["x"],"OwnerUin":"100000000011","AppId":1250000011,"RequestId":"r"}}"#,
        r#"{"Response":{"Uin":"100000000011","OwnerUin":"100000000011","AppId":"notnum","RequestId":"r"}}"#,
        r#"{"Response":{"Uin":"100000000011","OwnerUin":{},"AppId":1250000011,"RequestId":"r"}}"#,
        r#"{"Response":{"Uin":"x","OwnerUin":"y","AppId":-1,"RequestId":"r"}}"#,
        r#"{"Response":{"RequestId":"r"}}"#,
        r#"{"Response":[]}"#,
        r#"{"Response":{"Error":"x","RequestId":"r"}}"#,
    ] {
        let (v, err) = verify_against(&Server::start(Answer::Json(bad.into())));
        assert_eq!(v["outcome"], "unknown", "{bad}: {v}{err}");
        assert!(v["owner"].is_null(), "no owner read from {bad}: {v}");
    }
}
