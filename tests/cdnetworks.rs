//! CDNetworks AccessKeys checked live: `scan --verify` and `verify --from`
//! through the binary, against the CDNetworks emulator on 127.0.0.1.

use crate::cam::emulator::cdnetworks::CdnEmulator;
use crate::util::{TestEnv, fake};
use keyhound::finding::{Fingerprint, Secret, SecretKind};
use serde_json::{Value, json};

const RULE: &str = "cdnetworks.access-key";

fn pair(seed: u64) -> (String, String) {
    (fake("", 36, seed), fake("", 32, seed + 500))
}

fn config(ak: &str, sk: &str) -> String {
    format!("cdnetworks:\n  access_key: {ak}\n  secret_key: {sk}\n")
}

/// `scan --verify` of `files` as JSON: the findings by AccessKey ID, and
/// the exit code.
fn scan(env: &TestEnv, em: &CdnEmulator, extra: &[&str]) -> (Vec<Value>, i32, String) {
    let out = env
        .cmd()
        .args(["scan", ".", "--verify", "--format", "json"])
        .args(["--cdnetworks-endpoint", &em.url()])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let findings = doc["findings"].as_array().unwrap().clone();
    (findings, out.status.code().unwrap(), stderr)
}

fn verdict<'a>(findings: &'a [Value], ak: &str) -> &'a Value {
    let shown = Secret::new(ak, SecretKind::Identifier).redacted();
    &findings
        .iter()
        .find(|f| f["secret"] == shown.as_str())
        .unwrap_or_else(|| panic!("no finding for {shown}: {findings:?}"))["verification"]
}

#[test]
fn scan_verify_tells_live_from_dead_cdnetworks_keys() {
    let em = CdnEmulator::start();
    let live = pair(1);
    let disabled = pair(2);
    let unknown = pair(3);
    let wrong = (live.0.clone(), fake("", 32, 4));
    let other = pair(5);
    em.key(&live.0, &live.1, true)
        .key(&disabled.0, &disabled.1, false)
        .key(&other.0, &other.1, true);
    let env = TestEnv::new();
    env.write("a/live.yml", config(&live.0, &live.1));
    env.write("b/disabled.yml", config(&disabled.0, &disabled.1));
    env.write("c/unknown.yml", config(&unknown.0, &unknown.1));
    env.write("d/wrong.yml", config(&other.0, &wrong.1));
    let (findings, code, stderr) = scan(&env, &em, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&findings, &live.0)["outcome"], "live");
    assert!(
        verdict(&findings, &live.0)["detail"]
            .as_str()
            .unwrap()
            .contains("GET /api/ssl/certificate")
    );
    for ak in [&disabled.0, &unknown.0, &other.0] {
        let v = verdict(&findings, ak);
        assert_eq!(v["outcome"], "not_live", "{v}");
        assert!(v["detail"].as_str().unwrap().contains("HTTP 401"), "{v}");
    }
    assert_eq!(em.authenticated(), 1, "only the live pair signs correctly");
    for r in em.requests() {
        for s in [&live.1, &disabled.1, &unknown.1, &wrong.1] {
            assert!(!r.contains(s.as_str()), "a secret left the machine: {r}");
        }
        assert!(r.contains("x-cnc-auth-method: AKSK"), "{r}");
    }
}

#[test]
fn a_key_found_without_its_secret_is_not_sent() {
    let em = CdnEmulator::start();
    let (ak, _) = pair(11);
    let env = TestEnv::new();
    env.write("h.txt", format!("x-cnc-accessKey: {ak}\n"));
    let (findings, _, stderr) = scan(&env, &em, &[]);
    let v = verdict(&findings, &ak);
    assert_eq!(v["outcome"], "skipped", "{v} {stderr}");
    assert!(em.requests().is_empty());
}

#[test]
fn unusable_answers_are_unknown_never_dead() {
    let em = CdnEmulator::start();
    let live = pair(21);
    em.key(&live.0, &live.1, true);
    let env = TestEnv::new();
    env.write("k.yml", config(&live.0, &live.1));
    for (status, body, tries, says) in [
        (200, "<html>maintenance</html>", 1, "not JSON"),
        (403, r#"{"code":"Forbidden","message":"no"}"#, 1, "HTTP 403"),
        (500, "{}", 3, "server error"),
        (429, "{}", 3, "throttled"),
    ] {
        let before = em.requests().len();
        em.fault_next(status, body, tries);
        let (findings, _, stderr) = scan(&env, &em, &[]);
        let v = verdict(&findings, &live.0);
        assert_eq!(v["outcome"], "unknown", "{status}: {v} {stderr}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{v}");
        assert_eq!(em.requests().len() - before, tries, "{status}: tries");
    }
    let (findings, _, _) = scan(&env, &em, &[]);
    assert_eq!(verdict(&findings, &live.0)["outcome"], "live");
}

#[test]
fn a_refusal_from_a_skewed_clock_is_unknown() {
    let em = CdnEmulator::start();
    let live = pair(31);
    em.key(&live.0, &live.1, true);
    em.clock_offset(3600);
    let env = TestEnv::new();
    env.write("k.yml", config(&live.0, &live.1));
    let (findings, _, _) = scan(&env, &em, &[]);
    let v = verdict(&findings, &live.0);
    assert_eq!(v["outcome"], "unknown", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("clock skew"), "{v}");
}

fn report(findings: &[(&str, &str)]) -> String {
    let list: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, (ak, sk))| {
            let s = Secret::new(*ak, SecretKind::Identifier);
            let k = Secret::new(*sk, SecretKind::Key);
            json!({
                "fingerprint": Fingerprint::of(RULE, &s, Some(&k)).as_str(), "rule": RULE,
                "name": "CDNetworks AccessKey", "severity": "high", "secret": ak, "key": sk,
                "token": null, "redacted": false, "in_head": null, "verification": null,
                "locations": [{"kind": "file", "path": format!("f{i}"), "line": 1, "column": 1,
                  "end_line": 1, "end_column": 37, "key_line": null, "key_column": null,
                  "commit": null, "snippet": "x"}]
            })
        })
        .collect();
    json!({"version": 1, "tool": {"name": "keyhound", "version": "0.1.0"},
           "stats": {"scanned": 1, "bytes": 1, "skipped_binary": 0, "skipped_too_large": 0, "unreadable": 0},
           "suppressed": 0, "findings": list})
    .to_string()
}

#[test]
fn verify_from_checks_each_secret_of_one_key_without_replaying_a_timestamp() {
    let em = CdnEmulator::start();
    let live = pair(41);
    em.key(&live.0, &live.1, true);
    let wrong = fake("", 32, 42);
    let env = TestEnv::new();
    env.write("r.json", report(&[(&live.0, &wrong), (&live.0, &live.1)]));
    let out = env
        .cmd()
        .args(["verify", "--from", "r.json", "--format", "json"])
        .args(["--cdnetworks-endpoint", &em.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["verification"]["outcome"], "not_live");
    assert_eq!(
        doc["findings"][1]["verification"]["outcome"], "live",
        "a second check of the same AccessKey uses a new timestamp: {}",
        doc["findings"][1]
    );
    let human = env
        .cmd()
        .args(["verify", "--from", "r.json"])
        .args(["--cdnetworks-endpoint", &em.url()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().nth(1).unwrap().contains("LIVE"), "{text}");
    assert!(!text.contains(&live.0), "ids are shortened: {text}");
}

#[test]
fn a_bad_cdnetworks_endpoint_is_refused_before_scanning() {
    let env = TestEnv::new();
    env.write("k.yml", "nothing");
    let out = env
        .cmd()
        .args([
            "scan",
            ".",
            "--verify",
            "--cdnetworks-endpoint",
            "http://10.1.2.3:80/",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("http://10.1.2.3:80/") && err.contains("loopback"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
