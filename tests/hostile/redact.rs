//! Secrets that try to escape redaction with default flags: two on a line,
//! one cut by the snippet window, one in a commit summary.

use super::{git, id, key, run, texts};
use crate::util::TestEnv;

const FORMATS: [&str; 4] = ["human", "json", "jsonl", "sarif"];

/// Whether `out` holds a piece of `secret` that redaction hides: for a
/// SecretId anything past its first 8 and before its last 4 characters,
/// for a key any 10 characters in a row.
fn leaks(out: &str, secret: &str) -> Option<String> {
    let hidden = if secret.starts_with("AKID") {
        &secret[8..secret.len() - 4]
    } else {
        secret
    };
    (0..=hidden.len().saturating_sub(10))
        .map(|i| &hidden[i..i + 10])
        .find(|piece| out.contains(piece))
        .map(str::to_string)
}

fn assert_no_leak(env: &TestEnv, args: &[&str], secrets: &[String]) {
    for format in FORMATS {
        let mut all = args.to_vec();
        all.extend(["-f", format]);
        let out = run(env, &all);
        let (stdout, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{all:?}: {err}");
        for s in secrets {
            if let Some(piece) = leaks(&format!("{stdout}{err}"), s) {
                panic!("{all:?} shows {piece:?} of a secret:\n{stdout}");
            }
        }
    }
}

#[test]
fn two_credentials_on_one_line_mask_each_other() {
    let env = TestEnv::new();
    let (id1, k1, id2, k2) = (id(11), key(11), id(12), key(12));
    env.write(
        "creds.ini",
        format!("pairs = SecretId={id1} SecretKey={k1}; SecretId={id2} SecretKey={k2}\n"),
    );
    assert_no_leak(&env, &["scan", "."], &[id1, k1, id2, k2]);
}

#[test]
fn secrets_cut_by_the_snippet_window_stay_masked() {
    let env = TestEnv::new();
    let (id1, k1, id2) = (id(13), key(13), id(14));
    // id2's snippet window starts 250 bytes before id2: in the middle of k1.
    let head = format!("SecretId={id1} SecretKey=");
    let before = format!("{head}{k1} ");
    let filler = "x".repeat(head.len() + 16 + 250 - before.len() - " SecretId=".len());
    let line = format!("{before}{filler} SecretId={id2} {}\n", "y ".repeat(150));
    assert_eq!(line.find(&id2).unwrap() - 250, head.len() + 16);
    env.write("long.txt", line);
    assert_no_leak(&env, &["scan", "."], &[id1, k1, id2]);
}

#[test]
fn commit_summaries_holding_a_found_key_are_masked() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    let (id1, k1) = (id(15), key(15));
    env.write("app.ini", format!("secret_id = {id1}\nsecret_key = {k1}\n"));
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", &format!("use {k1}")]);
    assert_no_leak(&env, &["scan", "--git", "."], &[id1, k1]);
}

/// A report written with `--show-secrets`, holding one pair and a lone key.
fn raw_report(env: &TestEnv, seed: u64) -> Vec<String> {
    let (id1, k1, id2, k2) = (id(seed), key(seed), id(seed + 50), key(seed + 50));
    env.write(
        "app.ini",
        format!("pairs = SecretId={id1} SecretKey={k1}; SecretId={id2} SecretKey={k2}\n"),
    );
    let out = run(
        env,
        &[
            "scan",
            "--show-secrets",
            "-f",
            "json",
            "-o",
            "raw.json",
            "app.ini",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", texts(&out).1);
    let raw = std::fs::read_to_string(env.path().join("raw.json")).unwrap();
    assert!(
        raw.contains(&k1),
        "the input report holds the raw key: {raw}"
    );
    vec![id1, k1, id2, k2]
}

#[test]
fn merging_a_report_with_shown_secrets_redacts_them() {
    let env = TestEnv::new();
    let secrets = raw_report(&env, 16);
    assert_no_leak(&env, &["report", "merge", "raw.json"], &secrets);
    let out = run(
        &env,
        &[
            "report",
            "merge",
            "--show-secrets",
            "-f",
            "json",
            "raw.json",
        ],
    );
    assert!(
        texts(&out).0.contains(&secrets[1]),
        "--show-secrets shows them"
    );
}

#[cfg(unix)]
#[test]
fn reports_holding_raw_secrets_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    raw_report(&env, 17);
    let mode = |name: &str| {
        std::fs::metadata(env.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("raw.json"), 0o600, "--show-secrets -o");
    let out = run(
        &env,
        &["scan", "-f", "json", "-o", "redacted.json", "app.ini"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_ne!(
        mode("redacted.json") & 0o044,
        0,
        "a redacted report keeps the usual mode"
    );
}

#[test]
fn verifying_a_report_with_shown_secrets_redacts_them() {
    let env = TestEnv::new();
    let secrets = raw_report(&env, 18);
    // An emulated account that knows neither key: each check is answered at
    // once (a closed port costs every check its retries), the report is
    // written again with the verdicts.
    let em = crate::cam::emulator::Emulator::start();
    let endpoint = em.url();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--from", "raw.json", "--endpoint", &endpoint];
        args.extend(extra);
        let out = run(&env, &args);
        let (stdout, err) = texts(&out);
        assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {err}");
        format!("{stdout}{err}")
    };
    for format in ["human", "json"] {
        let out = verify(&["-f", format]);
        for s in &secrets {
            if let Some(piece) = leaks(&out, s) {
                panic!("verify -f {format} shows {piece:?} of a secret:\n{out}");
            }
        }
    }
    assert!(verify(&["-f", "json", "--show-secrets"]).contains(&secrets[1]));
}
