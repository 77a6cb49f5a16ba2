//! Merged organisation reports against the emulator: `verify --from`
//! checks each distinct pair once, `disable --from` plans from the merge.

use super::{audited, world};
use crate::org::{creds, repo};
use crate::util::{RunExt, TestEnv};
use serde_json::Value;

#[test]
fn org_merged_report_verifies_each_pair_once_and_feeds_disable() {
    let w = world();
    let env = TestEnv::new();
    let mut list = String::new();
    for i in 0..6 {
        let files = match i {
            0..3 => vec![("deploy.env", creds(&w.ci))],
            3 => vec![("root.ini", creds(&w.root))],
            _ => vec![("README.md", format!("repository {i}\n"))],
        };
        list += &format!("{}\n", repo(env.path(), &format!("r{i}"), &files).display());
    }
    env.write("repos.txt", list);
    for i in 0..2 {
        let out = env
            .cmd()
            .args([
                "scan",
                "--repos",
                "repos.txt",
                "--show-secrets",
                "-f",
                "json",
            ])
            .args(["--shard", &format!("{i}/2"), "-o", &format!("s{i}.json")])
            .run();
        assert!(matches!(out.code, 0 | 1));
    }
    env.cmd()
        .args([
            "report",
            "merge",
            "s1.json",
            "s0.json",
            "--show-secrets",
            "-o",
            "org.json",
        ])
        .assert()
        .code(1);
    let out = env
        .cmd()
        .args([
            "verify",
            "--from",
            "org.json",
            "--format",
            "json",
            "--endpoint",
            &w.em.url(),
        ])
        .run();
    out.code(1);
    let doc: Value = out.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert!(
        findings
            .iter()
            .all(|f| f["verification"]["outcome"] == "live")
    );
    assert_eq!(w.em.calls("GetUserAppId"), 2, "one check per distinct pair");
    let out = audited(&env, &w, &["disable", "--from", "org.json"]);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(text.contains(&w.ci.0[..8]), "{text}");
}

#[test]
fn a_redacted_merged_report_is_verified_and_disabled_from_each_locations_repository() {
    let w = world();
    let env = TestEnv::new();
    let mut list = String::new();
    for (i, files) in [
        vec![("deploy.env", creds(&w.ci))],
        vec![("root.ini", creds(&w.root))],
        vec![("README.md", "nothing here\n".to_string())],
    ]
    .into_iter()
    .enumerate()
    {
        list += &format!("{}\n", repo(env.path(), &format!("r{i}"), &files).display());
    }
    env.write("repos.txt", list);
    for i in 0..2 {
        let out = env
            .cmd()
            .args(["scan", "--repos", "repos.txt", "-f", "json"])
            .args(["--shard", &format!("{i}/2"), "-o", &format!("s{i}.json")])
            .run();
        assert!(matches!(out.code, 0 | 1));
    }
    env.cmd()
        .args(["report", "merge", "s1.json", "s0.json", "-o", "org.json"])
        .assert()
        .code(1);
    let merged = std::fs::read_to_string(env.path().join("org.json")).unwrap();
    assert!(
        !merged.contains(&w.ci.1) && !merged.contains(&w.ci.0),
        "redacted"
    );
    // Run from elsewhere: no --repo, and the current directory is no
    // repository; each location names its own.
    let elsewhere = TestEnv::new();
    let org = env.path().join("org.json");
    let out = elsewhere
        .cmd()
        .arg("verify")
        .arg("--from")
        .arg(&org)
        .args(["--format", "json", "--endpoint", &w.em.url()])
        .run();
    let stderr = out.stderr.as_str();
    out.code(1);
    let doc: Value = out.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{doc}");
    assert!(
        findings
            .iter()
            .all(|f| f["verification"]["outcome"] == "live"),
        "{doc}\n{stderr}"
    );
    let out = elsewhere
        .cmd()
        .arg("disable")
        .arg("--from")
        .arg(&org)
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .run();
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains(&w.ci.0[..8]) && !text.contains("cannot verify"),
        "{text}"
    );
}
