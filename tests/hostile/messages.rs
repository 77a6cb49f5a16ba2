//! Messages that name what is wrong with which input, once.

use super::{git, id, key, run, texts};
use crate::util::TestEnv;

fn error_of(env: &TestEnv, args: &[&str]) -> String {
    let out = run(env, args);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    err
}

#[test]
fn endpoints_say_what_is_wrong_with_them() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing\n");
    for (url, says) in [
        ("file:///tmp/x", "the scheme must be https"),
        ("ftp://127.0.0.1/", "the scheme must be https"),
        ("https://example.com/v3/api", "no path or query"),
        ("not a url", "relative URL without a base"),
    ] {
        let err = error_of(&env, &["scan", ".", "--verify", "--endpoint", url]);
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains("is not a valid URL"), "{url}: {err}");
    }
}

#[test]
fn revisions_say_how_far_the_history_goes() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    for i in 0..3 {
        env.write("a.txt", format!("version {i}\n"));
        git(env.path(), &["add", "."]);
        git(env.path(), &["commit", "-q", "-m", &format!("c{i}")]);
    }
    let err = error_of(&env, &["scan", "--git", ".", "--range", "HEAD~1000..HEAD"]);
    assert!(
        err.contains("\"HEAD~1000\"") && err.contains("HEAD has only 2 first-parent ancestors"),
        "{err}"
    );
    assert!(!err.contains("parent 0"), "{err}");
    let err = error_of(&env, &["scan", "--git", ".", "--range", "HEAD^2..HEAD"]);
    assert!(
        err.contains("has 1 parent, so HEAD^2 does not exist"),
        "{err}"
    );
    let err = error_of(&env, &["scan", "--git", ".", "--range", "nosuch~2..HEAD"]);
    assert!(
        err.contains("\"nosuch\" names no branch, tag or commit"),
        "{err}"
    );
    let err = error_of(&env, &["scan", "--git", ".", "--branch", "nosuch"]);
    assert!(err.contains("names no branch, tag or commit"), "{err}");
}

#[test]
fn library_and_auditor_errors_are_not_said_twice() {
    let env = TestEnv::new();
    env.write("r.json", "{}");
    let err = error_of(
        &env,
        &["verify", "--from", "r.json", "--repo", "no/such/repo"],
    );
    assert!(err.contains("no/such/repo"), "{err}");
    assert!(!err.contains("class=") && !err.contains("code="), "{err}");
    let out = env
        .cmd()
        .args(["audit", "--endpoint", "http://127.0.0.1:1"])
        .env("TENCENTCLOUD_SECRET_ID", id(60))
        .env("TENCENTCLOUD_SECRET_KEY", key(60))
        .timeout(super::LIMIT)
        .output()
        .unwrap();
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("GetUserAppId").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
