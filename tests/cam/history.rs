//! `verify --from` on a redacted report of a git history scan: the secrets
//! are found again in the blobs and commit messages the report lists.

use super::{ID_RULE, audited, world};
use crate::util::{RunExt, TestEnv};
use keyhound::finding::{Fingerprint, Secret, SecretKind};
use serde_json::{Value, json};

fn commit(repo: &git2::Repository, files: &[(&str, &str)], message: &str) -> String {
    let mut index = repo.index().unwrap();
    for (path, text) in files {
        let oid = repo.blob(text.as_bytes()).unwrap();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: text.len() as u32,
            id: oid,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&entry).unwrap();
    }
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig =
        git2::Signature::new("Dev", "dev@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
        .to_string()
}

fn location(kind: &str, path: &str, sha: &str) -> Value {
    json!({"kind": kind, "path": path, "line": 1, "column": 1, "end_line": 1, "end_column": 37,
           "key_line": null, "key_column": null, "snippet": "x",
           "commit": {"sha": sha, "author": "Dev", "email": "dev@example.com", "time": 1_700_000_000,
                      "date": "2023-11-14T22:13:20Z", "summary": "s"}})
}

#[test]
fn redacted_history_report_is_completed_from_blobs_and_messages() {
    let w = world();
    let env = TestEnv::new();
    env.write("id.toml", ID_RULE);
    let repo = git2::Repository::init(env.path().join("repo")).unwrap();
    let first = commit(
        &repo,
        &[("deploy/config.yml", &format!("id: {}\n", w.ci.0))],
        "add deploy config",
    );
    let second = commit(
        &repo,
        &[("deploy/config.yml", "id: from the vault\n")],
        &format!("rotate {}", w.partner.0),
    );
    let finding = |id: &str, loc: Value| {
        let s = Secret::new(id, SecretKind::Identifier);
        json!({"fingerprint": Fingerprint::of("test.akid", &s, None).as_str(), "rule": "test.akid",
               "name": "n", "severity": "critical", "secret": s.redacted(), "key": null, "token": null,
               "redacted": true, "in_head": false, "verification": null, "locations": [loc]})
    };
    let doc = json!({"version": 1, "tool": {"name": "keyhound", "version": "0.1.0"}, "suppressed": 0,
        "findings": [finding(&w.ci.0, location("git", "deploy/config.yml", &first)),
                     finding(&w.partner.0, location("commit_message", "<commit message>", &second))]});
    env.write("r.json", doc.to_string());
    let out = audited(
        &env,
        &w,
        &[
            "verify", "--from", "r.json", "--format", "json", "--rules", "id.toml", "--audit",
            "--repo", "repo",
        ],
    );
    out.code(1);
    let back: Value = out.json();
    let v0 = &back["findings"][0]["verification"];
    assert_eq!(v0["owner"]["name"], "ci-deployer", "{v0}");
    let v1 = &back["findings"][1]["verification"];
    assert_eq!(v1["owner"]["principal"], "collaborator", "{v1}");
}

#[test]
fn a_real_history_scan_report_is_verified_and_disabled_from_git() {
    let w = world();
    let env = TestEnv::new();
    let repo = git2::Repository::init(env.path().join("repo")).unwrap();
    let leak = format!(
        "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
        w.ci.0, w.ci.1
    );
    commit(&repo, &[("deploy/.env", &leak)], "add deploy env");
    commit(
        &repo,
        &[("deploy/.env", "TENCENTCLOUD_SECRET_ID=from-vault\n")],
        "use the vault",
    );
    let out = env
        .cmd()
        .args(["scan", "--git", "repo", "--format", "json", "-o", "r.json"])
        .run();
    out.code(1);
    let verified = audited(
        &env,
        &w,
        &[
            "verify", "--from", "r.json", "--format", "json", "--repo", "repo",
        ],
    );
    verified.code(1);
    let doc: Value = verified.json();
    let v = &doc["findings"][0]["verification"];
    assert_eq!(v["outcome"], "live", "{doc}");
    assert_eq!(v["owner"]["uin"], super::CI_USER.to_string());
    assert_eq!(w.em.calls("GetUserAppId"), 1);
    let disabled = audited(
        &env,
        &w,
        &["disable", "--from", "r.json", "--repo", "repo", "--yes"],
    );
    disabled.code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
}
