//! One-line files of six megabytes in the shapes that made scans quadratic
//! (a SecretId repeated, `AKID` repeated, long `password=` and base64
//! lines): each is scanned whole and its findings are placed at the right
//! line and column. A quadratic step would stall these tests for minutes
//! (`AKID` repeated over 8 MB took 290 s in a debug build before it was
//! made linear; 2-12 s since, on a loaded machine).

use super::{id, key, run_within, texts};
use crate::util::TestEnv;
use std::time::Duration;

const SIZE: usize = 6 << 20;

/// Far above a linear scan of [`SIZE`] on a slow machine, far below a
/// quadratic one.
const LIMIT: Duration = Duration::from_secs(120);

/// Scans `name` as JSON and returns the report.
fn scan(env: &TestEnv, name: &str) -> serde_json::Value {
    let out = run_within(env, &["scan", name, "-f", "json", "-j", "1"], LIMIT);
    let (stdout, err) = texts(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    serde_json::from_str(&stdout).expect("a JSON report")
}

/// A pair at the end of `line`, and where its SecretId starts (1-based).
fn with_pair_at_end(mut line: String, seed: u64) -> (String, String, usize) {
    let sid = id(seed);
    line.push_str(" SecretId=");
    let column = line.len() + 1;
    line.push_str(&format!("{sid} SecretKey={}\n", key(seed)));
    (line, sid, column)
}

fn assert_pair_found(report: &serde_json::Value, sid: &str, column: usize) {
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "tencent.secret-id" && f["secret"].as_str().unwrap().starts_with(&sid[..8])
        })
        .unwrap_or_else(|| panic!("the pair at the end is not found: {report}"));
    let at = &found["locations"][0];
    assert_eq!(
        (at["line"].as_u64(), at["column"].as_u64()),
        (Some(1), Some(column as u64))
    );
    assert!(found["key"].is_string(), "the SecretKey is paired");
}

#[test]
fn a_secret_id_repeated_on_one_line_is_found_at_every_place() {
    let env = TestEnv::new();
    let sid = id(41);
    let unit = format!("SecretId={sid} {} ", "x".repeat(300));
    let n = SIZE / unit.len();
    env.write("ids.txt", unit.repeat(n));
    let report = scan(&env, "ids.txt");
    let findings = report["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["rule"] == "tencent.secret-id")
        .expect("the id is found");
    let locations = f["locations"].as_array().unwrap();
    assert_eq!(locations.len(), n);
    let last = &locations[n - 1];
    let column = (n - 1) * unit.len() + "SecretId=".len() + 1;
    assert_eq!(last["column"].as_u64(), Some(column as u64));
}

#[test]
fn akid_repeated_on_one_line_is_no_finding() {
    let env = TestEnv::new();
    let (line, sid, column) = with_pair_at_end("AKID".repeat(SIZE / 4), 42);
    env.write("akid.txt", line);
    let report = scan(&env, "akid.txt");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1, "{report}");
    assert_pair_found(&report, &sid, column);
}

#[test]
fn long_password_and_base64_lines_are_scanned_whole() {
    let env = TestEnv::new();
    let mut pw = String::new();
    let mut seed = 0;
    let filler = "y".repeat(300);
    while pw.len() < SIZE {
        seed += 1;
        let value = crate::util::fake("", 24, seed % 64);
        pw.push_str(&format!("password=\"{value}\" {filler} "));
    }
    let mut b64 = String::new();
    while b64.len() < SIZE {
        seed += 1;
        b64.push_str(&crate::util::fake("", 4096, seed));
    }
    for (name, line) in [("pw.txt", pw), ("b64.txt", b64)] {
        let (line, sid, column) = with_pair_at_end(line, 43);
        env.write(name, line);
        assert_pair_found(&scan(&env, name), &sid, column);
    }
}
