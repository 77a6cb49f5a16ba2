//! Rescans of many repositories since an earlier report (`scan --repos
//! --since-report`): only the commits made since are read, and the report
//! is what a full scan gives; whatever makes the earlier coverage unusable
//! (rewritten history, other flags) reads the repository whole.

use crate::org::{creds, pair, repo};
use crate::util::{TestEnv, git};
use serde_json::Value;
use std::path::PathBuf;

/// Three repositories: one with a pair, one clean, one with another pair.
fn three(env: &TestEnv) -> [PathBuf; 3] {
    let dirs = [
        repo(env.path(), "r0", &[("app.toml", creds(&pair(501)))]),
        repo(env.path(), "r1", &[("README.md", "clean\n".to_string())]),
        repo(env.path(), "r2", &[("settings.ini", creds(&pair(502)))]),
    ];
    let list: String = dirs.iter().map(|d| format!("{}\n", d.display())).collect();
    env.write("repos.txt", list);
    dirs
}

fn scan(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--repos", "repos.txt", "-f", "json"];
    args.extend(extra);
    let run = env.run(&args);
    assert!(matches!(run.code, 0 | 1), "{run}");
    run.json()
}

/// Scans the list as `extra` says, writing the JSON report to `file`.
fn scan_to(env: &TestEnv, file: &str, extra: &[&str]) {
    let mut args = vec!["scan", "--repos", "repos.txt", "-f", "json", "-o", file];
    args.extend(extra);
    let run = env.run(&args);
    assert!(matches!(run.code, 0 | 1), "{run}");
}

fn repos(report: &Value) -> &Vec<Value> {
    report["repositories"].as_array().unwrap()
}

#[test]
fn a_rescan_reads_only_new_commits_and_reports_what_a_full_scan_does() {
    let env = TestEnv::new();
    let [r0, r1, r2] = three(&env);
    scan_to(&env, "first.json", &[]);
    // Since: a new pair in r1, r0's file deleted (no longer in HEAD), an
    // annotated tag on r2's old commit whose message holds a pair.
    std::fs::write(r1.join("deploy.env"), creds(&pair(503))).unwrap();
    git(&r1, &["add", "-A"]);
    git(&r1, &["commit", "-q", "-m", "deploy"]);
    git(&r0, &["rm", "-q", "app.toml"]);
    git(&r0, &["commit", "-q", "-m", "remove"]);
    let (id, key) = pair(504);
    git(
        &r2,
        &[
            "tag",
            "-a",
            "v1",
            "-m",
            &format!("release\nSecretId={id} SecretKey={key}"),
        ],
    );
    let full = scan(&env, &[]);
    let since = scan(&env, &["--since-report", "first.json"]);
    assert_eq!(since["findings"], full["findings"]);
    assert_eq!(full["findings"].as_array().unwrap().len(), 4, "{full}");
    for (f, s) in repos(&full).iter().zip(repos(&since)) {
        assert_eq!(s["incremental"], true, "{s}");
        assert_eq!(s["covered"], f["covered"]);
        assert!(s["scanned"].as_u64() < f["scanned"].as_u64(), "{s} vs {f}");
    }
    let r0_gone = full["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["locations"][0]["path"] == "app.toml")
        .unwrap();
    assert_eq!(r0_gone["in_head"], false);
    // A rescan since the rescan's own report: nothing new, same findings.
    scan_to(&env, "second.json", &["--since-report", "first.json"]);
    let third = scan(&env, &["--since-report", "second.json"]);
    assert_eq!(third["findings"], full["findings"]);
    assert!(repos(&third).iter().all(|r| r["scanned"] == 0), "{third}");
}

#[test]
fn rewritten_history_and_other_flags_read_the_repository_whole() {
    let env = TestEnv::new();
    let [r0, _, _] = three(&env);
    scan_to(&env, "first.json", &[]);
    // r0's only commit replaced: the earlier commit is no longer reachable.
    std::fs::write(r0.join("app.toml"), creds(&pair(505))).unwrap();
    git(&r0, &["commit", "-q", "-a", "--amend", "-m", "rewritten"]);
    let run = env.run(&[
        "scan",
        "--repos",
        "repos.txt",
        "-f",
        "json",
        "--since-report",
        "first.json",
    ]);
    run.code(1).stderr_has("r0: read whole: commit");
    let since = run.json();
    let full = scan(&env, &[]);
    assert_eq!(since["findings"], full["findings"]);
    let flags = repos(&since)
        .iter()
        .map(|r| r["incremental"].as_bool().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(flags, [false, true, true]);
    // Other limits than the earlier scan's: everything read whole.
    let run = env.run(&[
        "scan",
        "--repos",
        "repos.txt",
        "-f",
        "json",
        "--since-report",
        "first.json",
        "--max-file-size",
        "1M",
    ]);
    run.code(1)
        .stderr_has("other rules, settings or keyhound version");
    assert!(repos(&run.json()).iter().all(|r| r["incremental"] == false));
}

#[test]
fn an_unreadable_earlier_report_is_an_error_naming_it() {
    let env = TestEnv::new();
    three(&env);
    env.write("bad.json", "{not json");
    env.run(&["scan", "--repos", "repos.txt", "--since-report", "bad.json"])
        .code(2)
        .stderr_has("bad.json");
}
