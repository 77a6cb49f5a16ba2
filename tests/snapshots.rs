//! Named snapshots of what the main commands print, stdout and stderr
//! together with the exit code: scan, history scan, staged scan, verify
//! against the emulator, disable's dry run and the rule list. A change in
//! wording or layout shows up here as a reviewable diff
//! (`cargo insta review`).

use crate::cam::{World, report, world};
use crate::util::{Run, RunExt, TestEnv, fake, git};

/// The run as text, with what differs between runs replaced: the scan's
/// duration, the temporary directory, the emulator's address and clock.
fn shown(run: &Run, env: &TestEnv, endpoint: Option<&str>) -> String {
    let took = regex::Regex::new(r"\d+\.\d\d s\)").unwrap();
    let mut text = took
        .replace_all(&run.to_string(), "[duration])")
        .into_owned();
    let dir = env.path().display().to_string();
    text = text.replace(&dir, "[dir]");
    if let Some(url) = endpoint {
        text = text.replace(url.trim_end_matches('/'), "[endpoint]");
        // Last use as the emulator records it: the time of the check.
        let now = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
        text = now.replace_all(&text, "[time]").into_owned();
    }
    text
}

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn key(seed: u64) -> String {
    fake("", 32, seed + 1000)
}

/// A small tree: one Tencent pair, one lone SecretId, one clean file.
fn tree(env: &TestEnv) {
    env.write(
        "app/.env",
        format!(
            "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
            id(1),
            key(1)
        ),
    );
    env.write("deploy/notes.md", format!("old id: {}\n", id(2)));
    env.write("README.md", "nothing to see\n");
}

#[test]
fn scan_human() {
    let env = TestEnv::new();
    tree(&env);
    let run = env.run(&["scan", "."]);
    run.code(1);
    insta::assert_snapshot!("scan_human", shown(&run, &env, None));
}

#[test]
fn scan_human_with_a_warning() {
    let env = TestEnv::new();
    tree(&env);
    let run = env.run(&["scan", ".", "missing.txt"]);
    insta::assert_snapshot!("scan_human_missing_path", shown(&run, &env, None));
}

/// A repository whose second commit adds a key and whose third removes it.
fn history(env: &TestEnv) {
    git(env.path(), &["init", "-q", "-b", "main"]);
    env.write("config.ini", "[app]\nname = demo\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "start"]);
    env.write(
        "config.ini",
        format!("[app]\nsecret_id = {}\nsecret_key = {}\n", id(3), key(3)),
    );
    git(env.path(), &["commit", "-q", "-am", "configure"]);
    env.write("config.ini", "[app]\nname = demo\n");
    git(env.path(), &["commit", "-q", "-am", "remove the key"]);
}

#[test]
fn history_scan_human() {
    let env = TestEnv::new();
    history(&env);
    let run = env.run(&["scan", "--git", "."]);
    run.code(1);
    insta::assert_snapshot!("history_scan_human", shown(&run, &env, None));
}

#[test]
fn staged_scan_human() {
    let env = TestEnv::new();
    history(&env);
    env.write(
        "new.env",
        format!("SECRET_ID={}\nSECRET_KEY={}\n", id(4), key(4)),
    );
    git(env.path(), &["add", "new.env"]);
    let run = env.run(&["scan", "--staged"]);
    run.code(1);
    insta::assert_snapshot!("staged_scan_human", shown(&run, &env, None));
}

fn audited(env: &TestEnv, w: &World, args: &[&str]) -> Run {
    env.cmd()
        .args(args)
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .run()
}

#[test]
fn verify_human() {
    let w = world();
    let env = TestEnv::new();
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.ci.0, Some(&w.ci.1), "a"),
                (r, &w.root.0, Some(&w.ci.1), "b"),
                (r, &w.foreign.0, None, "c"),
            ],
            false,
        ),
    );
    let run = env.run(&["verify", "--from", "r.json", "--endpoint", &w.em.url()]);
    run.code(1);
    insta::assert_snapshot!("verify_human", shown(&run, &env, Some(&w.em.url())));
}

#[test]
fn disable_dry_run_human() {
    let w = world();
    let env = TestEnv::new();
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.ci.0, Some(&w.ci.1), "a"),
                (r, &w.foreign.0, Some(&w.foreign.1), "b"),
            ],
            true,
        ),
    );
    let run = audited(&env, &w, &["disable", "--from", "r.json"]);
    // The other account's key is refused: an error, so exit 2.
    run.code(2);
    insta::assert_snapshot!(
        "disable_dry_run_human",
        shown(&run, &env, Some(&w.em.url()))
    );
    assert_eq!(w.em.calls("UpdateAccessKey"), 0);
}

#[test]
fn rules_list_human() {
    let env = TestEnv::new();
    let run = env.run(&["rules", "list"]);
    run.code(0);
    insta::assert_snapshot!("rules_list_human", shown(&run, &env, None));
}
