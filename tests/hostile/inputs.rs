//! Input files that are not scan targets (reports, baselines, journals and
//! the files a report points at) are read through one bounded reader:
//! regular files only, a size cap per kind, refused without hanging.

use super::{id, key, run, run_within, texts};
use crate::util::TestEnv;
use std::path::Path;
use std::time::Duration;

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn verify_from_a_report_pointing_at_a_device_or_fifo_finishes_and_names_it() {
    let env = TestEnv::new();
    env.write(
        "app.env",
        format!("secret_id = {}\nsecret_key = {}\n", id(80), key(80)),
    );
    let out = run(&env, &["scan", ".", "-f", "json", "-o", "r.json"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
    let report = std::fs::read_to_string(env.path().join("r.json")).unwrap();
    assert!(report.contains("\"./app.env\""), "{report}");
    let fifo = env.path().join("pipe");
    mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    for target in ["/dev/zero", fifo.as_str()] {
        env.write(
            "bad.json",
            report.replace("\"./app.env\"", &format!("{target:?}")),
        );
        let out = run(
            &env,
            &[
                "verify",
                "--from",
                "bad.json",
                "--endpoint",
                "http://127.0.0.1:9",
            ],
        );
        let (_, err) = texts(&out);
        assert!(
            err.lines()
                .any(|l| l.contains(target) && l.contains("not a regular file")),
            "{target}: {err}"
        );
    }
}

#[test]
fn a_journal_that_is_a_fifo_is_refused() {
    let env = TestEnv::new();
    mkfifo(&env.path().join("j.jsonl"));
    let out = env
        .cmd()
        .env("TENCENTCLOUD_SECRET_ID", id(82))
        .env("TENCENTCLOUD_SECRET_KEY", key(82))
        .args(["enable", "--journal", "j.jsonl", "--yes"])
        .args(["--endpoint", "http://127.0.0.1:9"])
        .timeout(super::LIMIT)
        .output()
        .unwrap();
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("j.jsonl") && l.contains("not a regular file (a FIFO)")),
        "{err}"
    );
}

#[test]
fn an_oversized_baseline_is_refused_from_its_size_without_being_read() {
    let env = TestEnv::new();
    env.write("app.env", format!("secret_id = {}\n", id(81)));
    // Sparse: 300 MiB long, nothing on disk; reading it whole would show.
    std::fs::File::create(env.path().join("base.json"))
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    let started = std::time::Instant::now();
    let out = run(&env, &["scan", ".", "--baseline", "base.json"]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("base.json") && err.contains("larger than 256 MiB"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let out = run(&env, &["report", "merge", "/dev/zero"]);
    let (_, err) = texts(&out);
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
}

/// A tree whose `.keyhound.toml` raises `max_file_size` to 100G, and a
/// sparse file over the 100 MiB default with a secret at its start.
fn big_file_and_a_raising_config() -> TestEnv {
    let env = TestEnv::new();
    env.write(".keyhound.toml", "max_file_size = \"100G\"\n");
    let big = env.path().join("big.env");
    std::fs::write(&big, format!("secret_id = {}\n", id(83))).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(101 << 20)
        .unwrap();
    env
}

#[test]
fn a_config_in_the_scanned_tree_cannot_raise_max_file_size() {
    let env = big_file_and_a_raising_config();
    let out = run(&env, &["scan", "."]);
    let (_, err) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "still skipped as too large: {err}"
    );
    assert!(
        err.lines().any(|l| l.contains(".keyhound.toml")
            && l.contains("max_file_size")
            && l.contains("ignored")),
        "{err}"
    );
}

/// Scans 101 MiB (10-25 s in a debug build on a loaded machine), so it
/// runs in its own step, under a longer limit.
#[test]
#[ignore = "slow (scans 101 MiB): cargo test --test integration slow_ -- --ignored (.ci/run does)"]
fn slow_the_users_own_config_raises_max_file_size() {
    let env = big_file_and_a_raising_config();
    let args = ["scan", ".", "--config", ".keyhound.toml"];
    let out = run_within(&env, &args, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
}

#[test]
fn a_config_in_the_scanned_tree_with_20k_rules_is_refused_before_it_is_parsed() {
    let env = TestEnv::new();
    let mut toml = String::new();
    for i in 0..20_000 {
        toml.push_str(&format!(
            "[[rule]]\nid = \"acme.t{i}\"\nname = \"Acme\"\nkeywords = [\"acme{i}\"]\n\
             pattern = '(acme{i}_[0-9]{{10}})'\nexamples = [\"acme{i}_0123456789\"]\n"
        ));
    }
    env.write(".keyhound.toml", toml);
    env.write("app.env", format!("secret_id = {}\n", id(84)));
    let started = std::time::Instant::now();
    let out = run(&env, &["scan", "."]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains(".keyhound.toml") && l.contains("larger than 1 MiB")),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_config_in_the_scanned_tree_adds_at_most_1000_rules() {
    let env = TestEnv::new();
    let mut toml = String::new();
    for i in 0..1500 {
        toml.push_str(&format!(
            "[[rule]]\nid = \"acme.t{i}\"\nname = \"Acme\"\nkeywords = [\"acme{i}\"]\n\
             pattern = '(acme{i}_[0-9]{{10}})'\nexamples = [\"acme{i}_0123456789\"]\n"
        ));
    }
    env.write(".keyhound.toml", toml);
    env.write("app.env", "acme1499_0123456789\n");
    let out = run(&env, &["scan", ".", "-f", "json"]);
    let (report, err) = texts(&out);
    assert!(
        !report.contains("acme.t1499"),
        "rule 1500 is left out: {report}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("1500 rules, only the first 1000 used")),
        "{err}"
    );
}

#[test]
fn a_gitleaks_config_in_the_scanned_tree_adds_at_most_1000_allowlist_regexes() {
    let env = TestEnv::new();
    // An allowlist past the cap is left out whole: the key it would allow
    // is reported. A small one after it still applies.
    let mut huge: Vec<String> = (0..1500).map(|i| format!("'''^nothing{i}$'''")).collect();
    huge.push("'''AKID'''".to_string());
    env.write(
        ".gitleaks.toml",
        format!(
            "[extend]\nuseDefault = true\n\n[[allowlists]]\ndescription = \"huge\"\nregexes = [{}]\n\n\
             [[allowlists]]\ndescription = \"small\"\npaths = ['''^vendor/''']\n",
            huge.join(", ")
        ),
    );
    let creds = |seed| format!("SecretId={}\nSecretKey={}\n", id(seed), key(seed));
    env.write("app.env", creds(61));
    env.write("vendor/lib.env", creds(62));
    let started = std::time::Instant::now();
    let out = run(&env, &["scan", ".", "-f", "json"]);
    let (report, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&report).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| {
            l["path"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("./")
        })
        .collect();
    assert!(paths.contains(&"app.env"), "{report}");
    assert!(!paths.iter().any(|p| p.starts_with("vendor")), "{report}");
    assert!(
        err.lines()
            .any(|l| l.contains(".gitleaks.toml")
                && l.contains("1 allowlists (1501 regexes) left out")),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The user's own --config is not bounded: the whole allowlist applies.
    let out = run(
        &env,
        &["scan", ".", "--config", ".gitleaks.toml", "-f", "json"],
    );
    let (report, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{report}{err}");
}

#[test]
fn a_keyhound_config_in_the_scanned_tree_shares_the_allowlist_bound() {
    let env = TestEnv::new();
    let huge: Vec<String> = (0..1200).map(|i| format!("'''^nothing{i}$'''")).collect();
    env.write(
        ".keyhound.toml",
        format!(
            "[[allow]]\ndescription = \"small\"\npaths = ['vendor/**']\n\n\
             [[allow]]\ndescription = \"huge\"\nregexes = [{}, '''AKID''']\n",
            huge.join(", ")
        ),
    );
    let creds = |seed| format!("SecretId={}\nSecretKey={}\n", id(seed), key(seed));
    env.write("app.env", creds(63));
    env.write("vendor/lib.env", creds(64));
    let out = run(&env, &["scan", ".", "-f", "json"]);
    let (report, err) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the huge allowlist is left out: {err}"
    );
    assert!(
        report.contains("app.env") && !report.contains("vendor/"),
        "{report}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains(".keyhound.toml")
                && l.contains("1 allowlists (1201 regexes) left out")),
        "{err}"
    );
    let out = run(
        &env,
        &["scan", ".", "--config", ".keyhound.toml", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "--config is not bounded");
}
