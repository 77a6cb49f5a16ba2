//! Organisation scans through the binary: many repositories in one run
//! (local paths and file:// clones), shards, and merged reports.

use crate::util::{RunExt, TestEnv, fake, git};
use predicates::str::contains;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub(crate) fn pair(seed: u64) -> (String, String) {
    (fake("AKID", 32, seed), fake("", 32, seed + 7000))
}

/// A repository at `root/name` with one commit holding `files`.
pub(crate) fn repo(root: &Path, name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "add config"]);
    dir
}

pub(crate) fn creds((id, key): &(String, String)) -> String {
    format!("secret_id = \"{id}\"\nsecret_key = \"{key}\"\n")
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a JSON report")
}

/// A dozen repositories: a pair shared by four of them, one pair each in
/// four more, four clean. Returns the list file.
pub(crate) fn dozen(env: &TestEnv) -> PathBuf {
    let shared = pair(1);
    let mut list = String::from("# the organisation\n");
    for i in 0..12u64 {
        let files = match i {
            0..4 => vec![("app.toml", creds(&shared))],
            4..8 => vec![("settings.ini", creds(&pair(100 + i)))],
            _ => vec![("README.md", format!("repository {i}\n"))],
        };
        let dir = repo(env.path(), &format!("r{i:02}"), &files);
        list.push_str(&format!("{}\n", dir.display()));
    }
    env.write("repos.txt", list)
}

pub(crate) fn scan_json(env: &TestEnv, extra: &[&str]) -> Vec<u8> {
    let out = env
        .cmd()
        .args(["scan", "--repos", "repos.txt", "-f", "json", "-j", "2"])
        .args(extra)
        .run();
    assert!(matches!(out.code, 0 | 1), "{out}");
    out.stdout.into_bytes()
}

fn merge(env: &TestEnv, reports: &[&str]) -> Vec<u8> {
    let out = env.cmd().args(["report", "merge"]).args(reports).run();
    assert!(matches!(out.code, 0 | 1), "{out}");
    out.stdout.into_bytes()
}

#[test]
fn org_three_shards_merged_are_the_unsharded_scan() {
    let env = TestEnv::new();
    dozen(&env);
    let whole = scan_json(&env, &[]);
    let mut shard_repos = 0;
    for i in 0..3 {
        let shard = scan_json(&env, &["--shard", &format!("{i}/3")]);
        shard_repos += json_of(&shard)["repositories"].as_array().unwrap().len();
        std::fs::write(env.path().join(format!("s{i}.json")), shard).unwrap();
    }
    assert_eq!(shard_repos, 12, "each repository in exactly one shard");
    let merged = merge(&env, &["s0.json", "s1.json", "s2.json"]);
    let other = merge(&env, &["s2.json", "s0.json", "s1.json"]);
    assert_eq!(
        merged, other,
        "merging in another order gives the same bytes"
    );
    let doc = json_of(&merged);
    assert_eq!(doc, json_of(&whole), "shards merged == unsharded");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5, "one shared pair + four single ones");
    let shared = findings
        .iter()
        .find(|f| f["locations"].as_array().unwrap().len() > 1)
        .expect("the shared pair");
    let mut repos: Vec<&str> = shared["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["repo"].as_str().unwrap())
        .collect();
    repos.dedup();
    assert_eq!(repos.len(), 4, "one location in each of its repositories");
    assert!(repos.iter().all(|r| r.ends_with("r00")
        || r.ends_with("r01")
        || r.ends_with("r02")
        || r.ends_with("r03")));
    // Idempotent: a report merged with itself, or merged again, is unchanged.
    std::fs::write(env.path().join("org.json"), &merged).unwrap();
    assert_eq!(merge(&env, &["org.json", "org.json"]), merged);
    assert_eq!(merge(&env, &["org.json", "s1.json"]), merged);
    let summary = doc["repositories"].as_array().unwrap();
    assert_eq!(summary.len(), 12);
    assert_eq!(summary[0]["findings"], 1);
    assert_eq!(summary[11]["findings"], 0);
}

#[test]
fn org_remote_repositories_are_cloned_once_then_fetched() {
    let env = TestEnv::new();
    let src = repo(env.path(), "upstream", &[("a.env", creds(&pair(40)))]);
    let url = format!("file://{}", src.display());
    let cache = env.path().join("cache");
    let run = |env: &TestEnv| {
        env.cmd()
            .args(["scan", "--git", &url, "-f", "json", "--clone-dir"])
            .arg(&cache)
            .run()
    };
    let first = run(&env);
    first.code(1);
    let cached: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(cached.len(), 1);
    let bare = cached[0].as_ref().unwrap().path();
    assert!(
        bare.join("HEAD").is_file() && !bare.join(".git").exists(),
        "a bare clone"
    );
    // A new commit upstream reaches the cache by fetch, into the same clone.
    std::fs::write(src.join("b.env"), creds(&pair(41))).unwrap();
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "more"]);
    let marker = bare.join("keyhound-test-marker");
    std::fs::write(&marker, "").unwrap();
    let second = run(&env);
    second.code(1);
    assert!(marker.exists(), "fetched, not cloned again");
    let doc = json_of(second.stdout.as_bytes());
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    assert_eq!(doc["repositories"][0]["name"], src.display().to_string());
    assert_eq!(doc["repositories"][0]["url"], url);
}

#[test]
fn org_a_failing_repository_is_one_error_and_the_rest_is_reported() {
    let env = TestEnv::new();
    let good = repo(env.path(), "good", &[("a.env", creds(&pair(50)))]);
    let missing = env.path().join("gone");
    let nothing = format!("file://{}", env.path().join("nowhere").display());
    let out = env
        .cmd()
        .args(["scan", "--git", "-f", "json", "--clone-dir", "cache"])
        .arg(&good)
        .arg(&missing)
        .arg(&nothing)
        .run();
    // An error wins the exit code.
    out.code(2);
    let stderr = out.stderr.as_str();
    assert_eq!(stderr.matches("error:").count(), 2, "{stderr}");
    assert!(
        stderr.contains("gone") && stderr.contains("nowhere"),
        "{stderr}"
    );
    let doc = json_of(out.stdout.as_bytes());
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    let errors: Vec<_> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["error"].is_null())
        .collect();
    assert_eq!(errors.len(), 2);
}

#[test]
fn org_sarif_has_a_run_per_repository_and_human_groups_by_repository() {
    let env = TestEnv::new();
    let shared = pair(60);
    let a = repo(env.path(), "alpha", &[("a.env", creds(&shared))]);
    let b = repo(env.path(), "beta", &[("b.env", creds(&shared))]);
    let out = env
        .cmd()
        .args(["scan", "--git", "-f", "sarif"])
        .arg(&a)
        .arg(&b)
        .run();
    out.code(1);
    let log = json_of(out.stdout.as_bytes());
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for (run, dir) in runs.iter().zip([&a, &b]) {
        let vcp = &run["versionControlProvenance"][0];
        assert_eq!(vcp["repositoryUri"], format!("file://{}", dir.display()));
        assert_eq!(vcp["branch"], "main");
        assert_eq!(run["results"].as_array().unwrap().len(), 1);
        // One category per repository, its path without empty segments.
        let category = run["automationDetails"]["id"].as_str().unwrap();
        let name = dir.to_string_lossy();
        assert_eq!(
            category,
            format!("keyhound/repos/{}/", name.trim_start_matches('/')),
            "{category}"
        );
        assert!(!category.contains("//"), "{category}");
    }
    env.cmd()
        .args(["scan", "--git"])
        .arg(&a)
        .arg(&b)
        .assert()
        .code(1)
        .stdout(contains(format!("repository {}", a.display())))
        .stdout(contains(format!("repository {}", b.display())))
        .stdout(contains("also in      1 other repository"));
}
