//! Without the binary: the library's `Verifier` against the emulator, and
//! the emulator's own signature checks with hand-made requests.

use super::{CI_USER, World, pair, world};
use keyhound::finding::{Fingerprint, Secret, SecretKind};
use serde_json::Value;

#[test]
fn verify_findings_checks_distinct_pairs_in_parallel_once_each() {
    use keyhound::finding::{Finding, Location, Match};
    use keyhound::source::Provenance;
    use keyhound::verify::tencent::{Client, ClientOptions, Endpoints, Verifier};
    let w = world();
    let ids: Vec<(String, String)> = (0..6).map(|i| pair("AKID", 700 + i)).collect();
    for (id, key) in &ids {
        w.em.key(CI_USER, id, key, "Active");
    }
    let finding = |rule: &str, id: &str, key: &str| {
        let secret = Secret::new(id, SecretKind::Identifier);
        let key = Secret::new(key, SecretKind::Key);
        Finding {
            fingerprint: Fingerprint::of(rule, &secret, Some(&key)),
            rule: rule.to_string(),
            secret,
            key: Some(key),
            token: None,
            matches: vec![Match {
                provenance: Provenance::Stdin,
                member: None,
                location: Location::default(),
                key_location: None,
                snippet: Default::default(),
                line_hash: None,
                binary: None,
                decoded: Vec::new(),
                repo: None,
            }],
            in_head: None,
            verification: None,
            response: None,
        }
    };
    // Every pair twice, under two rules: twelve findings, six pairs.
    let mut findings: Vec<Finding> = ["a.rule", "b.rule"]
        .iter()
        .flat_map(|r| ids.iter().map(move |(id, key)| finding(r, id, key)))
        .collect();
    let client = Client::new(
        Endpoints::custom(&w.em.url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    Verifier::new(client, None).verify_findings(&mut findings, |_| true);
    for f in &findings {
        let v = f.verification.as_ref().unwrap();
        assert_eq!(v.outcome, keyhound::verify::Outcome::Live, "{v:?}");
    }
    assert_eq!(w.em.calls("GetUserAppId"), 6);
}

/// Sends one raw GetUserAppId to the emulator with `Host: sent_host`,
/// signed by keyhound's signer for `signed_host` plus `extra` signed
/// headers; returns the error code (None: success).
fn raw_call(
    w: &World,
    signed_host: &str,
    sent_host: &str,
    extra: &[(&str, &str)],
) -> Option<String> {
    use keyhound::verify::tencent::sign::{SignInput, authorization};
    use std::io::{Read, Write};
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut headers = vec![("content-type", "application/json"), ("host", signed_host)];
    headers.extend_from_slice(extra);
    let input = SignInput {
        method: "POST",
        query: "",
        headers: &headers,
        payload: b"{}",
        service: "cam",
        timestamp: ts,
    };
    let auth = authorization(&w.root.0, &w.root.1, &input);
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {sent_host}\r\nContent-Type: application/json\r\n\
         X-TC-Action: GetUserAppId\r\nX-TC-Version: 2019-01-16\r\nX-TC-Timestamp: {ts}\r\n\
         Authorization: {auth}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let mut s = std::net::TcpStream::connect(("127.0.0.1", w.em.port())).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(
        resp.contains("\r\nContent-Type: application/json\r\n"),
        "{resp}"
    );
    let body: Value = serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    body.pointer("/Response/Error/Code")
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[test]
fn the_emulator_checks_signatures_from_signed_headers_and_host_port() {
    let w = world();
    let host = format!("127.0.0.1:{}", w.em.port());
    assert_eq!(raw_call(&w, &host, &host, &[]), None);
    // Signing one more header (as Tencent's current docs do) is accepted...
    assert_eq!(
        raw_call(&w, &host, &host, &[("x-tc-action", "GetUserAppId")]),
        None
    );
    // ...a request signed for another port is not, errors still HTTP 200.
    let other = format!("127.0.0.1:{}", w.em.port().wrapping_add(1));
    assert_eq!(
        raw_call(&w, &other, &host, &[]).as_deref(),
        Some("AuthFailure.SignatureFailure")
    );
}
