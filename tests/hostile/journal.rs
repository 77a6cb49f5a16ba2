//! `disable` and `enable` when things go wrong: a journal that cannot be
//! written, a call that times out after it was applied, a journal that was
//! tampered with or cut off, and errors or refusals that would print a full
//! SecretId. Against the emulator on 127.0.0.1.

use super::{LIMIT, texts};
use crate::cam::{CI_USER, OTHER_OWNER, OWNER, PARTNER, World, report, world};
use crate::util::TestEnv;
use serde_json::{Value, json};
use std::process::Output;

/// `keyhound args` with the auditor's credentials, against the emulator.
fn audited(env: &TestEnv, w: &World, args: &[&str]) -> Output {
    env.cmd()
        .args(args)
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .timeout(LIMIT)
        .output()
        .expect("keyhound ran")
}

fn short(id: &str) -> String {
    keyhound::finding::redact(id, keyhound::finding::SecretKind::Identifier)
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_journal_that_cannot_be_written_stops_disable_before_the_key_is_touched() {
    let w = world();
    let env = TestEnv::new();
    std::fs::create_dir(env.path().join("a-directory")).unwrap();
    // A missing directory, a directory in the file's place, and a full disk
    // (the file opens, the intent cannot be written).
    for journal in ["missing/dir/j.jsonl", "a-directory", "/dev/full"] {
        let out = audited(
            &env,
            &w,
            &[
                "disable",
                "--secret-id",
                &w.ci.0,
                "--yes",
                "--journal",
                journal,
            ],
        );
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{journal}: {err}");
        let line = err.lines().find(|l| l.starts_with("keyhound: error:"));
        assert!(
            line.is_some_and(|l| l.contains(journal)),
            "one error line names the journal: {err}"
        );
        assert_eq!(w.em.calls("UpdateAccessKey"), 0, "{journal}: {err}");
        assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
    }
}

#[test]
fn the_intent_is_journaled_before_the_call_and_the_outcome_after() {
    let w = world();
    let env = TestEnv::new();
    let out = audited(&env, &w, &["disable", "--secret-id", &w.ci.0, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    let j = lines(&env.default_journal());
    let results: Vec<&str> = j.iter().map(|e| e["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["intent", "confirmed"]);
    assert_eq!(j[0]["key"], short(&w.ci.0));
    assert!(
        j[0]["request_id"].is_null(),
        "nothing was sent yet: {}",
        j[0]
    );
}

#[test]
fn a_timed_out_disable_that_took_effect_is_journaled_so_enable_undoes_it() {
    let w = world();
    let env = TestEnv::new();
    // Applied at once, answered after the client's 10 s deadline.
    w.em.answer_late("UpdateAccessKey", std::time::Duration::from_secs(12));
    let out = audited(&env, &w, &["disable", "--secret-id", &w.ci.0, "--yes"]);
    let (_, err) = texts(&out);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"), "{err}");
    assert_eq!(
        w.em.calls("UpdateAccessKey"),
        1,
        "a timed-out change is not resent"
    );
    let j = lines(&env.default_journal());
    let last = j.last().unwrap();
    assert_eq!(last["result"], "confirmed", "{last}");
    let detail = last["detail"].as_str().unwrap();
    assert!(
        detail.contains("post-check shows status Inactive"),
        "{detail}"
    );
    w.em.answer_late("UpdateAccessKey", std::time::Duration::ZERO);
    let out = audited(&env, &w, &["enable", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
}

#[test]
fn an_intent_without_an_outcome_is_undone_by_enable() {
    let w = world();
    let env = TestEnv::new();
    w.em.key(CI_USER, &w.ci.0, &w.ci.1, "Inactive");
    let entry = json!({"time": "2026-12-01T00:00:00Z", "key": short(&w.ci.0),
        "owner_uin": OWNER.to_string(), "uin": CI_USER.to_string(),
        "action": "disable", "result": "intent"});
    env.write("j.jsonl", format!("{entry}\n"));
    let out = audited(&env, &w, &["enable", "--journal", "j.jsonl", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
}

#[test]
fn a_tampered_or_damaged_journal_is_checked_against_the_account() {
    let w = world();
    let env = TestEnv::new();
    for (id, uin) in [(&w.ci, CI_USER), (&w.partner, PARTNER)] {
        w.em.key(uin, &id.0, &id.1, "Inactive");
    }
    let entry = |key: &str, owner: u64, uin: u64| {
        json!({"time": "2026-12-01T00:00:00Z", "key": key, "owner_uin": owner.to_string(),
               "uin": uin.to_string(), "action": "disable", "result": "confirmed"})
        .to_string()
    };
    let journal = [
        // Another account's entry for a key of this account.
        entry(&short(&w.partner.0), OTHER_OWNER, PARTNER),
        // A bare prefix: matches every IKID key (here only the partner's).
        entry("IKID…", OWNER, PARTNER),
        "{not json".to_string(),
        // Terminal escapes in the key.
        entry("AKID\u{1b}[2J…\u{202e}x", OWNER, CI_USER),
        // The right key under the wrong user.
        entry(&short(&w.partner.0), OWNER, CI_USER),
        // The one honest entry.
        entry(&short(&w.ci.0), OWNER, CI_USER),
    ]
    .join("\n");
    // The last line is cut off, as a crash mid-write leaves it.
    let cut = entry(&short(&w.ci.0), OWNER, CI_USER);
    env.write("j.jsonl", format!("{journal}\n{}", &cut[..30]));
    let out = audited(&env, &w, &["enable", "--journal", "j.jsonl", "--yes"]);
    let (stdout, err) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "refusals are errors: {stdout}{err}"
    );
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"), "{err}");
    assert_eq!(
        w.em.status(&w.partner.0).as_deref(),
        Some("Inactive"),
        "no tampered entry is acted on: {err}"
    );
    assert_eq!(w.em.calls("UpdateAccessKey"), 1, "{err}");
    for line in [2, 3, 4, 7] {
        assert!(
            err.contains(&format!("j.jsonl, line {line}")),
            "line {line} is named: {err}"
        );
    }
    assert!(err.contains("not the auditor's account"), "{err}");
    assert!(err.contains("under uin"), "{err}");
    assert!(err.contains("cut off"), "{err}");
    for s in [&stdout, &err] {
        assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s:?}");
    }
    // The cut-off line is ended before the next entry is appended.
    for l in std::fs::read_to_string(env.path().join("j.jsonl"))
        .unwrap()
        .lines()
        .skip(7)
    {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
}

#[test]
fn refusals_and_api_errors_never_print_a_full_secret_id_and_errors_show_once() {
    let w = world();
    let env = TestEnv::new();
    // A redacted report whose keys are found again in the files it names.
    env.write(
        "app/a.yml",
        format!("SecretId: {}\nSecretKey: {}\n", w.foreign.0, w.foreign.1),
    );
    env.write("app/b.yml", format!("secret_id = {}\n", w.ci.0));
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.foreign.0, Some(&w.foreign.1), "app/a.yml"),
                (r, &w.ci.0, None, "app/b.yml"),
            ],
            true,
        ),
    );
    let message = format!("the key {} of user {CI_USER} may not be changed", w.ci.0);
    w.em.fail_saying(
        &w.auditor.0,
        "UpdateAccessKey",
        "FailedOperation.Accesskey",
        &message,
    );
    let mut outs = vec![audited(&env, &w, &["disable", "--from", "r.json"])];
    outs.push(audited(&env, &w, &["disable", "--from", "r.json", "--yes"]));
    outs.push(audited(
        &env,
        &w,
        &["disable", "--secret-id", &format!("{}…x", w.foreign.0)],
    ));
    for out in &outs {
        let (stdout, err) = texts(out);
        for s in [&stdout, &err] {
            for id in [&w.foreign.0, &w.ci.0] {
                assert!(!s.contains(id.as_str()), "a full SecretId in: {s}");
            }
        }
    }
    let (_, err) = texts(&outs[1]);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
    assert_eq!(err.matches("FailedOperation.Accesskey").count(), 1, "{err}");
    assert_eq!(err.matches("may not be changed").count(), 1, "{err}");
    assert!(err.matches("RequestId").count() <= 1, "{err}");
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    assert!(!journal.contains(&w.ci.0), "{journal}");
}
