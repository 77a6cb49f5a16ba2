//! Resource limits: thread counts, rules that match nothing, oversized
//! input.

use super::{run, texts};
use crate::util::TestEnv;

#[test]
fn huge_thread_counts_are_refused_with_the_limit() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing\n");
    super::git(env.path(), &["init", "-q"]);
    for args in [
        &["scan", "-j", "100000", "."][..],
        &["scan", "--git", "-j", "100000", "."][..],
        &["scan", "-j", "0", "."][..],
    ] {
        let out = run(&env, args);
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("expected 1 to 256"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = run(&env, &["scan", "-j", "256", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
}

#[test]
fn rules_whose_secret_can_be_empty_are_refused_at_load_and_in_check() {
    let env = TestEnv::new();
    env.write("a.txt", "a b c\n".repeat(1000));
    for pattern in [
        "x(?P<secret>b*)",
        "(?P<secret>b?)",
        "a(|b)",
        "(?P<secret>(?:b|))",
    ] {
        env.write(
            "empty.toml",
            format!(
                "[[rule]]\nid = \"acme.empty\"\nname = \"Empty\"\nkeywords = [\"b\"]\n\
                 pattern = '{pattern}'\nexamples = [\"xb\"]\n"
            ),
        );
        let out = run(&env, &["scan", "a.txt", "--rules", "empty.toml"]);
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{pattern}: {err}");
        assert!(
            err.contains("acme.empty") && err.contains("empty string"),
            "{pattern}: {err}"
        );
        let out = run(&env, &["rules", "check", "empty.toml"]);
        let (o, err) = texts(&out);
        assert_ne!(out.status.code(), Some(0), "{pattern}: {o}{err}");
        assert!(
            format!("{o}{err}").contains("empty string"),
            "{pattern}: {o}{err}"
        );
    }
}

#[test]
fn gitleaks_rules_with_an_empty_regex_are_refused() {
    let env = TestEnv::new();
    env.write("a.txt", "a b c\n".repeat(1000));
    env.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"empty\"\ndescription = \"empty\"\nregex = ''\n",
    );
    let out = run(
        &env,
        &["scan", "a.txt", "--rules", ".gitleaks.toml", "-f", "json"],
    );
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{err}");
    assert!(!stdout.contains("\"secret\": \"\""), "{stdout}");
}
