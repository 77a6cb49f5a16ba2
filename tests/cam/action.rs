//! `disable` and `enable` against the emulator: dry run, journal, refusals,
//! idempotence, TargetUin.

use super::{CI_USER, OWNER, PARTNER, audited, report, world};
use crate::util::{RunExt, TestEnv};
use serde_json::Value;

#[test]
fn disable_is_a_dry_run_by_default() {
    let w = world();
    let env = TestEnv::new();
    let out = audited(&env, &w, &["disable", "--secret-id", &w.ci.0]);
    out.code(0).stdout_has("dry run").stdout_has("ci-deployer");
    let text = &out.stdout;
    assert!(
        !text.contains(&w.ci.0),
        "the plan shows ids shortened: {text}"
    );
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
    assert_eq!(w.em.calls("UpdateAccessKey"), 0);
    assert!(!env.path().join("keyhound-journal.jsonl").exists() && !env.default_journal().exists());
}

#[test]
fn disable_then_enable_round_trip_with_journal() {
    let w = world();
    let env = TestEnv::new();
    let r = "tencent.secret-id";
    env.write("r.json", report(&[(r, &w.ci.0, Some(&w.ci.1), "a")], true));
    audited(&env, &w, &["disable", "--from", "r.json", "--yes"]).code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
    // The default journal lives in the user's state directory, never in
    // the working tree (in CI, the repository).
    assert!(!env.path().join("keyhound-journal.jsonl").exists());
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    let lines: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the intent, then the outcome");
    assert_eq!(lines[0]["result"], "intent");
    let e = &lines[1];
    assert_eq!(e["action"], "disable");
    assert_eq!(e["result"], "confirmed");
    assert_eq!(e["uin"], CI_USER.to_string());
    assert_eq!(e["owner_uin"], OWNER.to_string());
    assert!(e["request_id"].as_str().is_some());
    assert!(e["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        !journal.contains(&w.ci.0),
        "the journal keeps ids shortened"
    );

    audited(&env, &w, &["disable", "--from", "r.json", "--yes"])
        .code(0)
        .stdout_has("nothing to do");
    assert_eq!(w.em.calls("UpdateAccessKey"), 1, "idempotent");

    audited(&env, &w, &["enable", "--yes"]).code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    let last: Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "enable");
    assert_eq!(last["result"], "confirmed");
}

#[test]
fn disable_refuses_foreign_keys_and_its_own_credentials() {
    let w = world();
    let env = TestEnv::new();
    for (id, why) in [
        (&w.foreign.0, "no key of account"),
        (&w.auditor.0, "credentials keyhound is running with"),
    ] {
        audited(&env, &w, &["disable", "--secret-id", id, "--yes"])
            .code(2)
            .stderr_has(why);
    }
    assert_eq!(w.em.calls("UpdateAccessKey"), 0);
    assert_eq!(w.em.status(&w.foreign.0).as_deref(), Some("Active"));
}

#[test]
fn a_root_auditor_disables_sub_user_keys_with_target_uin() {
    let w = world();
    let env = TestEnv::new();
    env.cmd()
        .args([
            "disable",
            "--secret-id",
            &w.partner.0,
            "--yes",
            "--journal",
            "j.jsonl",
        ])
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.root.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.root.1)
        .run()
        .code(0);
    assert_eq!(w.em.status(&w.partner.0).as_deref(), Some("Inactive"));
    let body =
        w.em.requests()
            .into_iter()
            .find(|r| r.action == "UpdateAccessKey")
            .unwrap()
            .body;
    assert!(body.contains(&PARTNER.to_string()), "{body}");
}

#[test]
fn disable_skips_dead_keys_and_refuses_live_keys_of_other_accounts() {
    let w = world();
    let env = TestEnv::new();
    let dead = super::pair("AKID", 9090);
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.ci.0, Some(&w.ci.1), "a"),
                (r, &dead.0, Some(&dead.1), "b"),
            ],
            false,
        ),
    );
    let out = audited(&env, &w, &["disable", "--from", "r.json", "--yes"]);
    out.code(0);
    let text = &out.stdout;
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
    let update =
        w.em.requests()
            .into_iter()
            .find(|q| q.action == "UpdateAccessKey")
            .unwrap();
    assert!(
        update.body.contains("\"Status\":\"Inactive\""),
        "{}",
        update.body
    );
    assert!(
        text.contains("nothing to do") && text.contains("not live"),
        "{text}"
    );
    assert!(
        text.contains("has 2 keys"),
        "the two-key limit is told: {text}"
    );

    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[(r, &w.foreign.0, Some(&w.foreign.1), "c")], false),
    );
    let out = audited(&env, &w, &["disable", "--from", "r.json", "--yes"]);
    out.code(1).stdout_has("another account");
    let text = &out.stdout;
    assert!(
        text.contains("200000000001") && text.contains("1250000002"),
        "{text}"
    );
    assert_eq!(w.em.status(&w.foreign.0).as_deref(), Some("Active"));
    out.nowhere(&w.foreign.0);
    let out = audited(&env, &w, &["disable", "--secret-id", &w.foreign.0]);
    out.stderr_has("refused");
    assert!(
        !out.stderr.contains(&w.foreign.0),
        "no full SecretId in a refusal: {out}"
    );
}

#[test]
fn respond_refuses_a_default_journal_inside_the_scanned_tree() {
    let env = TestEnv::new();
    env.write("app.env", "nothing\n");
    let inside = env.path().join(".state");
    env.cmd()
        .args(["respond", "."])
        .env("XDG_STATE_HOME", &inside)
        .env("TENCENTCLOUD_SECRET_ID", crate::util::fake("AKID", 32, 9))
        .env("TENCENTCLOUD_SECRET_KEY", crate::util::fake("", 32, 10))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("inside the scanned tree"));
    assert!(!inside.exists());
}
