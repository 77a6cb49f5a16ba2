//! `keyhound respond` and what a leaked key left behind: an access key the
//! attacker created with it after the leak is a critical finding of its
//! own in every format, keeps the exit code non-zero while it is Active,
//! and is disabled only with `--disable-persistence --yes`, journaled and
//! undoable.

use super::emulator::Kind;
use super::{CI_USER, OWNER, World, attacker_call, audited, commit_leak, pair, world};
use crate::util::TestEnv;
use serde_json::Value;

use super::incident::{ATTACKER, DAY, now, tencent};

/// The ci key leaked in a commit 30 days ago; 20 days ago the attacker
/// used it to create a second key for its user, and a user of their own.
/// Returns the attacker's key.
fn scene(w: &World, env: &TestEnv) -> (String, String) {
    let t = now();
    let backdoor = pair("AKID", 61);
    w.em.key(CI_USER, &backdoor.0, &backdoor.1, "Active");
    w.em.set_created(&backdoor.0, &tencent(t - 20 * DAY));
    w.em.user(
        OWNER,
        100_000_000_031,
        "svc-sync",
        Kind::SubUser,
        false,
        false,
    )
    .user_created(100_000_000_031, &tencent(t - 19 * DAY));
    // Created after the leak by someone else: the incident picture lists it,
    // it is not a finding.
    let rotated = pair("AKID", 62);
    w.em.key(OWNER, &rotated.0, &rotated.1, "Active");
    w.em.set_created(&rotated.0, &tencent(t - 5 * DAY));
    attacker_call(w, "CreateAccessKey", t - 20 * DAY + 3);
    attacker_call(w, "AddUser", t - 19 * DAY - 2);
    commit_leak(w, env.path(), t - 30 * DAY);
    let _ = rotated;
    backdoor
}

fn respond(env: &TestEnv, w: &World, extra: &[&str]) -> (String, i32, String) {
    let out = audited(env, w, &[&["respond", ".", "--git"], extra].concat());
    (out.stdout.clone(), out.code, out.stderr.clone())
}

fn left<'a>(doc: &'a Value, rule: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn respond_reports_the_attackers_key_and_user_and_disables_the_key_only_when_asked() {
    let w = world();
    let env = TestEnv::new();
    let backdoor = scene(&w, &env);
    let short = keyhound::finding::redact(&backdoor.0, keyhound::finding::SecretKind::Identifier);

    // Dry run: the leaked key would be disabled; the attacker's key and
    // user are critical findings of their own, left to a human.
    let (out, code, stderr) = respond(&env, &w, &["--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let keys = left(&doc, "tencent.left-behind.access-key");
    assert_eq!(keys.len(), 1, "only the key tied to the leak: {doc}");
    let k = keys[0];
    assert_eq!(k["secret"], short.as_str());
    assert_eq!(k["severity"], "critical");
    assert_eq!(k["verification"]["status"], "Active");
    let why = k["verification"]["detail"].as_str().unwrap();
    assert!(
        why.contains("created by the leaked key")
            && why.contains("CreateAccessKey")
            && why.contains(ATTACKER),
        "{why}"
    );
    assert_eq!(k["response"]["action"], "not_acted", "{k}");
    assert!(k["locations"][0]["path"] == "deploy.env", "{k}");
    assert!(!out.contains(&backdoor.1));
    let users = left(&doc, "tencent.left-behind.identity");
    assert_eq!(users.len(), 1, "{doc}");
    assert!(
        users[0]["verification"]["detail"]
            .as_str()
            .unwrap()
            .contains("svc-sync"),
        "{}",
        users[0]
    );

    // SARIF and human say it too.
    let (sarif, _, _) = respond(&env, &w, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "tencent.left-behind.access-key")
        .unwrap_or_else(|| panic!("{sarif}"));
    assert_eq!(r["level"], "error");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|x| x["id"] == "tencent.left-behind.access-key")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    let (human, _, _) = respond(&env, &w, &[]);
    assert!(
        human.contains("Access key created by a leaked key") && human.contains(&short),
        "{human}"
    );

    // --yes disables the leaked key, not the attacker's: still non-zero.
    let (_, code, stderr) = respond(&env, &w, &["--yes", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
    assert_eq!(w.em.status(&backdoor.0).as_deref(), Some("Active"));

    // The next run still names it, though the leaked key is disabled now.
    let (out, code, _) = respond(&env, &w, &["--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        left(&doc, "tencent.left-behind.access-key").len(),
        1,
        "{doc}"
    );

    // --disable-persistence without --yes is a dry run.
    let (out, _, _) = respond(&env, &w, &["--disable-persistence", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        left(&doc, "tencent.left-behind.access-key")[0]["response"]["action"],
        "would_disable"
    );
    assert_eq!(w.em.status(&backdoor.0).as_deref(), Some("Active"));

    let (out, _, stderr) = respond(
        &env,
        &w,
        &["--disable-persistence", "--yes", "--format", "json"],
    );
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let k = left(&doc, "tencent.left-behind.access-key")[0];
    assert_eq!(k["response"]["action"], "disabled", "{k}");
    assert_eq!(w.em.status(&backdoor.0).as_deref(), Some("Inactive"));
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    assert!(journal.contains(&short), "{journal}");
    // Undoable: enable reads the journal.
    let out = audited(&env, &w, &["enable", "--yes"]);
    out.code(0);
    assert_eq!(w.em.status(&backdoor.0).as_deref(), Some("Active"));
}
