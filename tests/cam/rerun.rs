//! The incident picture stays true when keyhound runs again against the
//! same account: CloudAudit events shaped like Tencent's documented example
//! (`userAgent` empty, `RequestClient` inside `requestParameters`), the
//! previous run's checks left out of the key's activity and last use, a
//! never-used key still never used, and no call signed with a found key
//! once the auditor's answer decides.

use super::emulator::Kind;
use super::{AUDITOR, CI_USER, OWNER, World, attacker_call, audited, pair, report, world};
use crate::util::TestEnv;
use keyhound::report::json::rfc3339;
use serde_json::Value;

use super::incident::{DAY, now, tencent};

const BATCH_USER: u64 = 100_000_000_020;

/// The world with a never-used live key (created `created`) and the ci
/// key's attacker calls, the last `last` seconds ago.
fn scene(created: i64, last: i64) -> (World, (String, String)) {
    let w = world();
    let t = now();
    let unused = pair("AKID", 51);
    w.em.user(OWNER, BATCH_USER, "batch", Kind::SubUser, false, false);
    w.em.key(BATCH_USER, &unused.0, &unused.1, "Active");
    w.em.set_created(&unused.0, &tencent(created));
    attacker_call(&w, "DescribeInstances", t - 12 * DAY);
    attacker_call(&w, "CreateAccessKey", t - 11 * DAY);
    attacker_call(&w, "DescribeCvmInstances", t - last);
    (w, unused)
}

fn signed_by(r: &super::emulator::Recorded, id: &str) -> bool {
    r.header("authorization")
        .is_some_and(|a| a.contains(&format!("Credential={id}/")))
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let short = keyhound::finding::redact(id, keyhound::finding::SecretKind::Identifier);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["secret"] == short || f["secret"] == id)
        .map(|f| &f["verification"])
        .unwrap_or_else(|| panic!("no finding of {short}: {doc}"))
}

#[test]
fn the_second_scan_shows_only_the_attackers_calls_and_the_true_last_use() {
    let t = now();
    let (w, unused) = scene(t - 40 * DAY, 2 * DAY);
    // CloudAudit events are shaped like Tencent's documented example.
    let env = TestEnv::new();
    let dir = env.path();
    crate::util::git(dir, &["init", "-q"]);
    let leak = format!(
        "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n\nBATCH_SECRET_ID={}\nBATCH_SECRET_KEY={}\n",
        w.ci.0, w.ci.1, unused.0, unused.1
    );
    std::fs::write(dir.join("deploy.env"), leak).unwrap();
    crate::util::git(dir, &["add", "deploy.env"]);
    let date = format!("--date={} +0000", t - 30 * DAY);
    crate::util::git(dir, &["commit", "-q", "-m", "deploy settings", &date]);
    let args = [
        "scan", ".", "--git", "--format", "json", "--verify", "--audit",
    ];
    let first = audited(&env, &w, &args).json();
    let second = audited(&env, &w, &args).json();

    // The documented event keeps no userAgent: keyhound's own check of the
    // first run is recognised by the RequestClient CloudAudit kept.
    let raw = w.em.events();
    assert!(raw.iter().any(|e| e.client.starts_with("keyhound-")));
    for doc in [&first, &second] {
        let v = finding(doc, &w.ci.0);
        assert_eq!(v["outcome"], "live", "{v}");
        let a = &v["incident"]["activity"];
        let mut names: Vec<&str> = a["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "CreateAccessKey",
                "DescribeCvmInstances",
                "DescribeInstances"
            ],
            "{a}"
        );
        assert_eq!(v["last_used"], rfc3339(t - 2 * DAY), "{v}");
        assert!(
            v["last_used_note"].as_str().unwrap().contains("CloudAudit"),
            "{v}"
        );
        let n = finding(doc, &unused.0);
        assert_eq!(n["outcome"], "live", "{n}");
        assert_eq!(n["never_used"], true, "{n}");
        assert!(n.get("last_used").is_none(), "{n}");
    }
    let a = &finding(&second, &w.ci.0)["incident"]["activity"];
    assert_eq!(a["own_calls_by"]["CloudAudit RequestClient"], 1, "{a}");
    assert_eq!(a["own_calls_by"]["this run"], 1, "{a}");
    let n = finding(&second, &unused.0);
    assert!(
        n["last_used_note"]
            .as_str()
            .unwrap()
            .contains("never used: no call in CloudAudit's 90 days, and none signed by keyhound"),
        "{n}"
    );
    let a = &n["incident"]["activity"];
    assert_eq!(a["events"].as_array().map(Vec::len), Some(0), "{a}");
    // The auditor's answers decide the never-used key: nothing was signed
    // with it on either run, so it stays never used.
    for doc in [&first, &second] {
        let n = finding(doc, &unused.0);
        assert!(n.get("keyhound_calls").is_none(), "{n}");
        assert!(
            n["detail"]
                .as_str()
                .unwrap()
                .contains("no call signed with the found key"),
            "{n}"
        );
        let v = finding(doc, &w.ci.0);
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("signed with the found key: the auditor's answers do not decide"),
            "{v}"
        );
    }
    // Every call keyhound signed is in the report, for a later run.
    let calls = finding(&second, &w.ci.0)["keyhound_calls"]
        .as_array()
        .unwrap();
    assert!(
        calls
            .iter()
            .all(|c| c["client"].as_str().unwrap().starts_with("keyhound-")
                && c["request_id"].is_string()),
        "{n}"
    );
    // The auditor answered both runs' last-use question: neither key
    // signed GetSecurityLastUsed itself.
    let reqs = w.em.requests();
    assert!(!reqs.iter().any(|r| signed_by(r, &unused.0)));
    for id in [&w.ci.0, &unused.0] {
        assert_eq!(
            reqs.iter()
                .filter(|r| signed_by(r, id) && r.action == "GetSecurityLastUsed")
                .count(),
            0
        );
    }
    let _ = (AUDITOR, CI_USER);

    let out = audited(&env, &w, &["scan", ".", "--git", "--verify", "--audit"]);
    let text = out.stdout.as_str();
    assert!(
        text.contains("no call signed with the found key, so its SecretKey was not exercised"),
        "{text}"
    );
    assert!(!w.em.requests().iter().any(|r| signed_by(r, &unused.0)));
}

#[test]
fn an_earlier_report_tells_keyhounds_calls_apart_where_cloudaudit_keeps_no_client() {
    let t = now();
    // Created long before CloudAudit's window: only the earlier run's
    // record can say it was never used.
    let (w, unused) = scene(t - 400 * DAY, 3 * DAY);
    w.em.audit_drops_client();
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(
            &[
                ("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a.env"),
                ("tencent.secret-id", &unused.0, Some(&unused.1), "b.env"),
            ],
            false,
        ),
    );
    let verify = |from: &str, to: &str| {
        let out = audited(
            &env,
            &w,
            &[
                "verify",
                "--from",
                from,
                "--format",
                "json",
                "--audit",
                // The chained reports keep their secrets: without it verify
                // writes a redacted report, which needs the scanned files.
                "--show-secrets",
                "-o",
                to,
            ],
        );
        out.code(1);
        let text = std::fs::read_to_string(env.path().join(to)).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let first = verify("r.json", "r1.json");
    assert_eq!(finding(&first, &unused.0)["never_used"], true);
    let second = verify("r1.json", "r2.json");
    let v = finding(&second, &w.ci.0);
    let a = &v["incident"]["activity"];
    assert_eq!(a["events"].as_array().map(Vec::len), Some(3), "{a}");
    assert_eq!(a["own_calls_by"]["recorded by an earlier run"], 1, "{a}");
    assert!(a["own_calls_by"].get("CloudAudit RequestClient").is_none());
    assert_eq!(v["last_used"], rfc3339(t - 3 * DAY), "{v}");
    let n = finding(&second, &unused.0);
    assert_eq!(n["never_used"], true, "{n}");
    assert!(n.get("last_used").is_none(), "{n}");
    // A third run, given the second's report, still knows the first's.
    let third = verify("r2.json", "r3.json");
    let n = finding(&third, &unused.0);
    assert_eq!(n["never_used"], true, "{n}");
    let a = &n["incident"]["activity"];
    assert_eq!(a["events"].as_array().map(Vec::len), Some(0), "{a}");
    let a = &finding(&third, &w.ci.0)["incident"]["activity"];
    assert_eq!(a["own_calls_by"]["recorded by an earlier run"], 2, "{a}");
    assert_eq!(a["events"].as_array().map(Vec::len), Some(3), "{a}");
    // The never-used key was never signed with, so it stays never used.
    assert!(!w.em.requests().iter().any(|r| signed_by(r, &unused.0)));
    // Without the earlier report, those calls cannot be told apart.
    let blind = verify("r.json", "r4.json");
    let a = &finding(&blind, &w.ci.0)["incident"]["activity"];
    assert!(a["events"].as_array().map_or(0, Vec::len) > 3, "{a}");
}

/// `verify --from r.json --audit`: the verification of `id`, checked to
/// say no call was signed with the key, and none was.
fn verified_unsigned(env: &TestEnv, w: &World, id: &str) -> Value {
    let out = audited(
        env,
        w,
        &["verify", "--from", "r.json", "--format", "json", "--audit"],
    );
    let v = finding(&out.json(), id).clone();
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("no call signed with the found key"),
        "{v}"
    );
    assert!(!w.em.requests().iter().any(|r| signed_by(r, id)));
    v
}

#[test]
fn an_inactive_key_of_the_auditors_account_is_not_signed_with() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(
            &[("tencent.secret-id", &w.ci_old.0, Some(&w.ci_old.1), "a.env")],
            false,
        ),
    );
    let v = verified_unsigned(&env, &w, &w.ci_old.0);
    assert_eq!(v["outcome"], "not_live", "{v}");
    assert_eq!(v["status"], "Inactive", "{v}");
}

#[test]
fn a_key_used_only_by_a_check_an_earlier_report_recorded_is_not_signed_with_again() {
    let w = world();
    let unused = pair("AKID", 52);
    w.em.user(OWNER, BATCH_USER, "batch", Kind::SubUser, false, false);
    w.em.key(BATCH_USER, &unused.0, &unused.1, "Active");
    // An older keyhound signed one check with it: GetSecurityLastUsed now
    // shows that check (08:00 UTC on the day), and the earlier report
    // recorded it and found the key never used.
    let day = "2026-01-02";
    w.em.set_last_used(&unused.0, day);
    let env = TestEnv::new();
    let mut doc: Value = serde_json::from_str(&report(
        &[("tencent.secret-id", &unused.0, Some(&unused.1), "a.env")],
        false,
    ))
    .unwrap();
    doc["findings"][0]["verification"] = serde_json::json!({
        "outcome": "live", "detail": "authenticated (GetUserAppId)", "never_used": true,
        "keyhound_calls": [{"time": format!("{day}T08:00:01Z"), "action": "GetUserAppId",
            "request_id": "r-1", "client": "keyhound-0.1.0"}]
    });
    env.write("r.json", doc.to_string());
    let v = verified_unsigned(&env, &w, &unused.0);
    assert_eq!(v["outcome"], "live", "{v}");
    assert_eq!(v["never_used"], true, "{v}");
}
