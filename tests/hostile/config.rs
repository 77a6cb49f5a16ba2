//! Configs and rule files that would hide everything or nothing: empty
//! patterns, allowlists for rules that do not exist, two rules with one id.

use super::{id, run, texts};
use crate::util::TestEnv;

fn leak(env: &TestEnv) {
    env.write("app.env", format!("secret_id = {}\n", id(50)));
}

#[test]
fn empty_allow_patterns_are_refused_with_their_place() {
    for (table, what) in [
        ("paths = [\"\"]", "empty path"),
        ("paths = [\"docs/**\", \" \"]", "empty path"),
        ("stopwords = [\"\"]", "empty stopword"),
        ("regexes = [\"\"]", "empty regex"),
    ] {
        let env = TestEnv::new();
        leak(&env);
        env.write(".keyhound.toml", format!("\n[[allow]]\n{table}\n"));
        let out = run(&env, &["scan", "."]);
        let (stdout, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{table}: {stdout}{err}");
        assert!(err.contains(".keyhound.toml:3:"), "{table}: {err}");
        assert!(
            err.contains(what) && err.contains("every finding"),
            "{table}: {err}"
        );
    }
}

#[test]
fn ignore_entries_with_an_empty_path_are_refused() {
    let env = TestEnv::new();
    leak(&env);
    let out = run(&env, &["scan", ".", "-f", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fp = report["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    env.write(
        ".keyhoundignore",
        format!("{fp} path= # hides everything\n"),
    );
    let out = run(&env, &["scan", "."]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{err}");
    assert!(err.contains(".keyhoundignore:1: empty path="), "{err}");
    assert!(
        stdout.contains("tencent.secret-id"),
        "the finding is shown: {stdout}"
    );
}

#[test]
fn allowlists_naming_unknown_rules_are_warned_about() {
    let env = TestEnv::new();
    leak(&env);
    env.write(
        ".keyhound.toml",
        "[[allow]]\nrules = [\"tencent.secret-idd\"]\npaths = [\"*.env\"]\n",
    );
    let out = run(&env, &["scan", "."]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        err.contains("allow.rules: no rule \"tencent.secret-idd\""),
        "{err}"
    );
}

#[test]
fn two_rules_with_one_id_in_one_file_are_refused_at_load() {
    let env = TestEnv::new();
    leak(&env);
    let rule = |pattern: &str| {
        format!(
            "[[rule]]\nid = \"acme.token\"\nname = \"Acme\"\nkeywords = [\"acme\"]\n\
             pattern = '{pattern}'\nexamples = [\"acme_0123456789\"]\n"
        )
    };
    env.write(
        "rules.toml",
        format!("{}\n{}", rule("(acme_[0-9]{10})"), rule("(acme_[a-z]{10})")),
    );
    let out = run(&env, &["scan", ".", "--rules", "rules.toml"]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("rules.toml") && err.contains("acme.token"),
        "{err}"
    );
    assert!(err.contains("duplicate id"), "{err}");
    env.write(
        ".keyhound.toml",
        format!("{}\n{}", rule("(acme_[0-9]{10})"), rule("(acme_[a-z]{10})")),
    );
    let out = run(&env, &["scan", "."]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("duplicate rule id \"acme.token\""), "{err}");
}
