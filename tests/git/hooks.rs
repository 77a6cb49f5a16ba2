//! Pre-commit and pre-push: staged scans, push ranges, installed hooks.

use super::*;

fn staged(env: &TestEnv) -> Vec<Finding> {
    git_scan::staged(env.path(), &engine(), 1 << 20, None)
        .unwrap()
        .scan
        .findings
}

#[test]
fn scan_staged_reports_only_added_lines_with_staged_line_numbers() {
    let env = TestEnv::new();
    let (committed, added) = (id(8), id(9));
    let mut s = Stream::default();
    let body = format!("a = {committed}\n");
    s.commit("main", None, "old", &[Op::Put("app.env", &body)]);
    s.import(&env);
    env.write("app.env", format!("a = {committed}\nplain\nb = {added}\n"));
    env.write("unstaged.txt", format!("{}\n", id(10)));
    git(env.path(), &["add", "app.env"]);

    let found = staged(&env);
    assert_eq!(secrets(&found), vec![added]);
    let m = &found[0].matches[0];
    assert_eq!(
        m.provenance,
        Provenance::Staged {
            path: "app.env".into()
        }
    );
    assert_eq!(m.location.line, 3);
    env.cmd().args(["scan", "--staged", "-q"]).assert().code(1);
    git(env.path(), &["reset", "-q"]);
    env.cmd().args(["scan", "--staged", "-q"]).assert().code(0);
}

#[test]
fn scan_staged_works_on_repo_with_no_commits() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    let key = id(11);
    env.write("sub/first.txt", format!("x\n{key}\n"));
    git(env.path(), &["add", "."]);
    let found = staged(&env);
    assert_eq!(secrets(&found), vec![key]);
    assert_eq!(found[0].matches[0].location.line, 2);
    // History of a repository with no commits is empty, not an error.
    assert!(
        history(env.path(), Selection::default())
            .scan
            .findings
            .is_empty()
    );
}

/// main (pushed, tracked as origin/main) has one leak; feature adds another.
fn push_fixture(env: &TestEnv) -> (Vec<String>, String, String) {
    let (pushed, fresh) = (id(12), id(13));
    let mut s = Stream::default();
    let a = format!("{pushed}\n");
    let base = s.commit("main", None, "pushed leak", &[Op::Put("a", &a)]);
    s.commit("feature", Some(base), "clean", &[Op::Put("b", "b\n")]);
    let c = format!("{fresh}\n");
    s.commit("feature2", Some(base), "fresh leak", &[Op::Put("c", &c)]);
    let ids = s.import(env);
    git(
        env.path(),
        &["update-ref", "refs/remotes/origin/main", &ids[0]],
    );
    (ids, pushed, fresh)
}

#[test]
fn scan_pre_push_new_branch_scans_only_commits_no_remote_has() {
    let env = TestEnv::new();
    let (ids, _pushed, fresh) = push_fixture(&env);
    let line =
        |sha: &str, branch: &str| format!("refs/heads/{branch} {sha} refs/heads/{branch} {ZERO}\n");
    // New branch with a clean commit: the leak already on origin/main is not re-reported.
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .write_stdin(line(&ids[1], "feature"))
        .assert()
        .code(0);
    // New branch with a fresh leak.
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .write_stdin(line(&ids[2], "feature2"))
        .assert()
        .code(1);
    // Deleting a remote branch scans nothing.
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .write_stdin(format!("(delete) {ZERO} refs/heads/feature2 {}\n", ids[2]))
        .assert()
        .code(0);
    // Updating a branch the remote has at a known commit: remote..local.
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .write_stdin(format!(
            "refs/heads/main {} refs/heads/main {}\n",
            ids[2], ids[0]
        ))
        .assert()
        .code(1);
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .write_stdin("garbage\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid pre-push input line"));

    let repo = git2::Repository::open(env.path()).unwrap();
    let updates = keyhound::source::git::parse_pre_push(&line(&ids[2], "feature2")).unwrap();
    let sel = keyhound::source::git::push_selection(&repo, &updates).unwrap();
    let out = history(env.path(), sel);
    assert_eq!(secrets(&out.scan.findings), vec![fresh]);
    assert_eq!(places(&out.scan.findings[0])[0].0, ids[2]);
}

#[test]
fn install_hook_refuses_a_foreign_hook_and_is_idempotent() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    let hook = env.write(".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    env.cmd()
        .arg("install-hook")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not written by keyhound"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );

    env.cmd().args(["install-hook", "--force"]).assert().code(0);
    let ours = std::fs::read_to_string(&hook).unwrap();
    assert!(ours.contains("# keyhound-managed hook") && ours.contains("scan --staged"));
    env.cmd()
        .arg("install-hook")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("already installed"));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), ours);

    // core.hooksPath is honoured, relative to the work tree.
    git(env.path(), &["config", "core.hooksPath", ".githooks"]);
    env.cmd()
        .args(["install-hook", "--pre-push"])
        .assert()
        .code(0);
    let push_hook = std::fs::read_to_string(env.path().join(".githooks/pre-push")).unwrap();
    assert!(push_hook.contains("scan --pre-push"));
}

#[test]
fn installed_pre_commit_hook_blocks_a_leaking_commit() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    env.cmd().arg("install-hook").assert().code(0);
    env.write("ok.txt", "fine\n");
    git(env.path(), &["add", "ok.txt"]);
    git(env.path(), &["commit", "-q", "-m", "ok"]);
    env.write("leak.txt", format!("{}\n", id(14)));
    git(env.path(), &["add", "leak.txt"]);
    let out = crate::util::scrub(&mut Command::new("git"))
        .args(["commit", "-q", "-m", "leak"])
        .current_dir(env.path())
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the hook let a leak through");
}

#[cfg(unix)]
#[test]
fn install_hook_refuses_a_hook_link_leading_out_of_the_repository() {
    let env = TestEnv::new();
    let outside = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    let hook = env.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    for target in [
        outside.path().join("made-by-hook"),
        outside.path().join("existing"),
    ] {
        std::fs::write(outside.path().join("existing"), "mine\n").unwrap();
        let _ = std::fs::remove_file(&hook);
        std::os::unix::fs::symlink(&target, &hook).unwrap();
        let out = env
            .cmd()
            .args(["install-hook", "--force"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target:?}: {err}");
        assert!(
            err.contains("symbolic link leading out of the repository")
                && err.contains("pre-commit"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!outside.path().join("made-by-hook").exists());
        assert_eq!(
            std::fs::read_to_string(outside.path().join("existing")).unwrap(),
            "mine\n"
        );
    }
    // A link that stays inside the repository is written through.
    std::fs::remove_file(&hook).unwrap();
    std::os::unix::fs::symlink("../inside-hook", &hook).unwrap();
    env.cmd().arg("install-hook").assert().code(0);
    assert!(
        std::fs::read_to_string(env.path().join(".git/inside-hook"))
            .unwrap()
            .contains("keyhound")
    );
}
