//! Corrupt repositories: truncated loose objects of every kind, in history
//! and staged scans.

use super::{git, id, key, run, texts};
use crate::util::TestEnv;
use std::path::Path;

/// Cuts the loose object `oid` of the repository in `dir` to `len` bytes.
fn truncate_loose(dir: &Path, oid: &str, len: usize) {
    let p = dir.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    let bytes = std::fs::read(&p).expect("a loose object");
    assert!(
        bytes.len() > len,
        "object {oid} is only {} bytes",
        bytes.len()
    );
    let mut perms = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&p, perms).unwrap();
    std::fs::write(&p, &bytes[..len]).unwrap();
}

/// A repository of loose objects: three commits, a leak in the last one.
fn repo_with_leak(env: &TestEnv) -> Vec<String> {
    git(env.path(), &["init", "-q", "-b", "main"]);
    let mut commits = Vec::new();
    for (i, body) in [
        "first file, long enough to make a loose object of some size\n".to_string(),
        "second file, also long enough to make a loose object of some size\n".to_string(),
        format!("secret_id = {}\nsecret_key = {}\n", id(1), key(1)),
    ]
    .iter()
    .enumerate()
    {
        env.write(&format!("f{i}.txt"), body);
        git(env.path(), &["add", "."]);
        git(env.path(), &["commit", "-q", "-m", &format!("commit {i}")]);
        commits.push(git(env.path(), &["rev-parse", "HEAD"]));
    }
    commits
}

fn corrupt_lines(stderr: &str, oid: &str) -> usize {
    stderr.lines().filter(|l| l.contains(oid)).count()
}

#[test]
fn truncated_loose_commit_ends_the_scan_with_one_line_per_object() {
    for cut in [50, 100] {
        let env = TestEnv::new();
        git(env.path(), &["init", "-q", "-b", "main"]);
        env.write(
            "a.txt",
            "hello world, a file whose commit object is about a hundred bytes long\n",
        );
        git(env.path(), &["add", "."]);
        git(
            env.path(),
            &["commit", "-q", "-m", "a commit message of some length"],
        );
        let head = git(env.path(), &["rev-parse", "HEAD"]);
        truncate_loose(env.path(), &head, cut);
        let out = run(&env, &["scan", "--git", "."]);
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "cut {cut}: {err}");
        assert_eq!(corrupt_lines(&err, &head), 1, "cut {cut}: {err}");
    }
}

#[test]
fn truncated_loose_blob_and_tree_leave_the_rest_of_history_scanned() {
    let env = TestEnv::new();
    let commits = repo_with_leak(&env);
    let blob = git(env.path(), &["rev-parse", "HEAD~1:f1.txt"]);
    let tree = git(env.path(), &["rev-parse", "HEAD~2^{tree}"]);
    truncate_loose(env.path(), &blob, 30);
    truncate_loose(env.path(), &tree, 20);
    let out = run(&env, &["scan", "--git", ".", "-f", "json"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(corrupt_lines(&err, &blob), 1, "{err}");
    assert_eq!(corrupt_lines(&err, &tree), 1, "{err}");
    assert!(
        stdout.contains(&commits[2]),
        "the leak is still found: {stdout}"
    );
}

#[test]
fn truncated_commit_in_the_middle_leaves_newer_commits_scanned() {
    let env = TestEnv::new();
    let commits = repo_with_leak(&env);
    truncate_loose(env.path(), &commits[1], 40);
    let out = run(&env, &["scan", "--git", ".", "-f", "json"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(corrupt_lines(&err, &commits[1]), 1, "{err}");
    assert!(
        stdout.contains(&commits[2]),
        "the leak is still found: {stdout}"
    );
    // Ranges and revisions still resolve past the damage where they can.
    let out = run(
        &env,
        &["scan", "--git", ".", "--branch", "main", "-f", "json"],
    );
    assert!(texts(&out).0.contains(&commits[2]));
}

#[test]
fn staged_scan_refuses_a_truncated_staged_blob_instead_of_hanging() {
    let env = TestEnv::new();
    repo_with_leak(&env);
    env.write("new.txt", format!("secret_id = {}\n", id(2)));
    git(env.path(), &["add", "new.txt"]);
    let blob = git(env.path(), &["rev-parse", ":new.txt"]);
    truncate_loose(env.path(), &blob, 20);
    let out = run(&env, &["scan", "--staged", "."]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&blob) && err.contains("git fsck"), "{err}");
}

#[test]
fn staged_scan_ignores_damage_outside_the_index_and_head() {
    let env = TestEnv::new();
    let commits = repo_with_leak(&env);
    // An object only older history has.
    let old = git(
        env.path(),
        &["rev-parse", &format!("{}^{{tree}}", commits[0])],
    );
    truncate_loose(env.path(), &old, 20);
    env.write("new.txt", format!("secret_id = {}\n", id(3)));
    git(env.path(), &["add", "new.txt"]);
    let out = run(&env, &["scan", "--staged", "."]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
}

#[test]
fn staged_scan_during_a_merge_conflict_scans_both_sides() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    env.write("f.txt", "base\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "base"]);
    git(env.path(), &["checkout", "-q", "-b", "other"]);
    env.write("f.txt", format!("secret_id = {}\n", id(70)));
    git(env.path(), &["commit", "-q", "-am", "theirs"]);
    git(env.path(), &["checkout", "-q", "main"]);
    env.write("f.txt", "mine\n");
    git(env.path(), &["commit", "-q", "-am", "ours"]);
    let merge = crate::util::git_output(env.path(), &["merge", "-q", "other"]);
    assert!(
        !merge.status.success() && env.path().join(".git/MERGE_HEAD").exists(),
        "the merge conflicts: {}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let out = run(&env, &["scan", "--staged", ".", "-f", "jsonl"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(stdout.contains("\"path\":\"f.txt\""), "{stdout}");
    assert!(err.contains("f.txt is in a merge conflict"), "{err}");
}

#[test]
fn staged_submodule_pointer_changes_are_noted() {
    let env = TestEnv::new();
    let sub = env.path().join("upstream");
    std::fs::create_dir(&sub).unwrap();
    git(&sub, &["init", "-q", "-b", "main"]);
    git(&sub, &["commit", "-q", "--allow-empty", "-m", "one"]);
    let repo = env.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["commit", "-q", "--allow-empty", "-m", "base"]);
    git(
        &repo,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            sub.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    let out = env
        .cmd()
        .current_dir(&repo)
        .args(["scan", "--staged", "."])
        .timeout(super::LIMIT)
        .output()
        .unwrap();
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(
        err.contains("note: submodule vendor/lib now points at commit"),
        "{err}"
    );
}
