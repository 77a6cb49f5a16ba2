//! `scan --verify`: findings of a real scan verified, attributed, then
//! disabled and re-enabled from the JSON report, against the emulator.

use super::{CI_USER, ID_RULE, OWNER, World, audited, world};
use crate::util::{RunExt, TestEnv};
use serde_json::Value;

fn scan_json(env: &TestEnv, w: &World, extra: &[&str]) -> Value {
    let out = audited(
        env,
        w,
        &[&["scan", ".", "--format", "json", "--verify"], extra].concat(),
    );
    out.code(1);
    out.json()
}

fn leak(w: &World) -> String {
    format!(
        "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
        w.ci.0, w.ci.1
    )
}

#[test]
fn scan_verify_audit_disable_enable_round_trip() {
    let w = world();
    let env = TestEnv::new();
    env.write("app/.env", leak(&w));
    let doc = scan_json(&env, &w, &["--audit"]);
    let f = &doc["findings"][0];
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    let v = &f["verification"];
    assert_eq!(v["outcome"], "live", "{v}");
    assert_eq!(v["owner"]["uin"], CI_USER.to_string());
    assert_eq!(v["owner"]["owner_uin"], OWNER.to_string());
    assert_eq!(v["owner"]["name"], "ci-deployer");
    assert_eq!(v["last_used"], "2026-11-20T08:00:00Z");
    assert_eq!(v["status"], "Active");
    std::fs::write(env.path().join("report.json"), doc.to_string()).unwrap();

    let dry = audited(&env, &w, &["disable", "--from", "report.json"]);
    dry.code(0);
    assert_eq!(
        w.em.status(&w.ci.0).as_deref(),
        Some("Active"),
        "a dry run changes nothing"
    );
    assert_eq!(w.em.calls("UpdateAccessKey"), 0);

    let out = audited(&env, &w, &["disable", "--from", "report.json", "--yes"]);
    out.code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    assert_eq!(journal.lines().count(), 2, "the intent, then the outcome");

    let out = audited(&env, &w, &["enable", "--yes"]);
    out.code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
}

/// `scan . --format json --verify` against the emulator, parsed.
fn scan_verify_json(env: &TestEnv, w: &World) -> Value {
    let out = env
        .cmd()
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--verify",
            "--endpoint",
            &w.em.url(),
        ])
        .run();
    out.json()
}

#[test]
fn scan_verify_reports_a_live_pair_with_owner_and_last_use() {
    let w = world();
    let env = TestEnv::new();
    env.write("deploy/.env", leak(&w));
    let doc = scan_verify_json(&env, &w);
    let v = &doc["findings"][0]["verification"];
    assert_eq!(v["outcome"], "live", "{doc}");
    assert_eq!(v["owner"]["uin"], CI_USER.to_string());
    assert_eq!(v["owner"]["principal"], "sub-user");
    // Without an auditor the figure is read with the found key itself,
    // after keyhound's own GetUserAppId: it says so.
    assert_ne!(v["last_used"], "2026-11-20T08:00:00Z", "{v}");
    assert!(
        v["last_used_note"]
            .as_str()
            .is_some_and(|n| n.contains("keyhound's own check")),
        "{v}"
    );
}

#[test]
fn scan_verify_checks_a_pair_found_1000_times_once() {
    let w = world();
    let env = TestEnv::new();
    for i in 0..1000 {
        env.write(&format!("svc{}/{i}/.env", i % 10), leak(&w));
    }
    let doc = scan_verify_json(&env, &w);
    assert_eq!(
        doc["findings"][0]["verification"]["outcome"], "live",
        "{doc}"
    );
    assert_eq!(w.em.calls("GetUserAppId"), 1);
    assert_eq!(
        w.em.total_calls(),
        2,
        "GetUserAppId and GetSecurityLastUsed, once each"
    );
}

#[test]
fn scan_verify_audits_found_ids_once() {
    let w = world();
    let env = TestEnv::new();
    env.write("id.toml", ID_RULE);
    let line = format!("secret_id = \"{}\"\n", w.ci.0);
    env.write("many.txt", line.repeat(1000));
    let out = audited(&env, &w, &["scan", ".", "--rules", "id.toml", "--audit"]);
    out.code(1);
    assert_eq!(w.em.calls("GetSecurityLastUsed"), 1);
    assert_eq!(w.em.calls("ListAccounts"), 1);
}

#[test]
fn scan_without_verify_sends_nothing() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "k.env",
        format!(
            "TENCENT_SECRET_ID={}\nTENCENT_SECRET_KEY={}\n",
            w.ci.0, w.ci.1
        ),
    );
    let out = audited(&env, &w, &["scan", "."]);
    out.code(1);
    assert_eq!(w.em.total_calls(), 0);
}

#[test]
fn a_failing_auditor_still_leaves_the_report() {
    let w = world();
    let env = TestEnv::new();
    env.write("app/.env", leak(&w));
    let out = env
        .cmd()
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--audit",
            "--endpoint",
            &w.em.url(),
        ])
        .env("TENCENTCLOUD_SECRET_ID", &w.foreign.0)
        .env("TENCENTCLOUD_SECRET_KEY", "wrong")
        .run();
    let err = out.stderr.as_str();
    out.code(2);
    assert!(err.contains("SignatureFailure"), "{err}");
    let doc: Value = out.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn suppressed_findings_are_not_sent_for_verification() {
    let w = world();
    let env = TestEnv::new();
    env.write("id.toml", ID_RULE);
    env.write(
        "test.env",
        format!("SECRET_ID={}  # keyhound:allow\n", w.ci.0),
    );
    let out = audited(&env, &w, &["scan", ".", "--rules", "id.toml", "--audit"]);
    out.code(0);
    assert_eq!(w.em.total_calls(), 0);
}
