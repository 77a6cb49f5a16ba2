//! The incident picture of a live leaked key (`verify --audit`): what it
//! did (CloudAudit DescribeEvents over 90 days in windows under 30 days,
//! paged, keyhound's own calls left out), what it can do (policies, groups,
//! custom documents, the permission boundary, root) and what was created
//! after the leak (keys, deleted keys, users, granting events).

use super::emulator::{Kind, Logged};
use super::{AUDITOR, CI_USER, OWNER, World, pair, report, verification, world};
use crate::util::{Run, RunExt, TestEnv};
use keyhound::report::json::rfc3339;
use serde_json::{Value, json};

pub(super) const DAY: i64 = 86_400;
pub(super) const ATTACKER: &str = "203.0.113.7";
const SCANNER: &str = "198.51.100.9";

pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Tencent's `YYYY-MM-DD hh:mm:ss`, in Beijing time.
pub(super) fn tencent(t: i64) -> String {
    super::emulator::beijing(t)
}

fn log(w: &World, id: &str, name: &str, at: i64, ip: &str) -> Logged {
    let l = event(id, name, at, ip);
    w.em.log_event(l.clone());
    l
}

fn event(id: &str, name: &str, at: i64, ip: &str) -> Logged {
    Logged {
        id: id.into(),
        name: name.into(),
        at,
        ip: ip.into(),
        region: "ap-shanghai".into(),
        resource_type: "cvm".into(),
        resource_name: "ins-7f3k2d1q".into(),
        ..Logged::default()
    }
}

/// A report of the ci key, its location in a commit made at `leaked`.
fn leaked_report(env: &TestEnv, w: &World, id: &str, key: &str, leaked: i64) {
    let mut doc: Value = serde_json::from_str(&report(
        &[("tencent.secret-id", id, Some(key), "deploy.env")],
        false,
    ))
    .unwrap();
    doc["findings"][0]["locations"][0]["kind"] = json!("git");
    doc["findings"][0]["locations"][0]["commit"] = json!({"sha": "a".repeat(40),
        "author": "Ada", "email": "ada@example.com", "time": leaked, "date": rfc3339(leaked),
        "summary": "add deploy settings"});
    let _ = w;
    env.write("r.json", doc.to_string());
}

fn run(env: &TestEnv, w: &World, format: &str) -> Run {
    env.cmd()
        .args(["verify", "--from", "r.json", "--format", format, "--audit"])
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .run()
}

/// Only read-only calls, whatever the picture needs.
fn assert_read_only(w: &World) {
    use keyhound::verify::tencent::{incident, snapshot};
    let mut allowed: Vec<&str> = snapshot::ACTIONS.iter().map(|a| a.name()).collect();
    allowed.extend(incident::ACTIONS.iter().map(|a| a.name()));
    allowed.extend(["ListAccounts", "GetCallerIdentity"]);
    assert_eq!(w.em.actions_outside(&allowed), Vec::<String>::new());
}

#[test]
fn what_the_key_did_is_read_from_cloudaudit_without_keyhounds_own_calls() {
    let w = world();
    let t = now();
    // 55 calls in the last 29 days (two pages of 50), 10 about 45 days ago
    // (two of them refused), one 70 and one 88.5 days ago: every window of
    // the 90 days is asked. One call 100 days ago is out of reach.
    for i in 0..55 {
        log(
            &w,
            &w.ci.0,
            "DescribeInstances",
            t - DAY - i * 9 * 3600,
            ATTACKER,
        );
    }
    for i in 0..10 {
        let mut l = event(&w.ci.0, "ListUsers", t - 45 * DAY + i * 60, SCANNER);
        if i < 2 {
            l.error = Some("AuthFailure.UnauthorizedOperation".into());
        }
        w.em.log_event(l);
    }
    log(
        &w,
        &w.ci.0,
        "DescribeSecurityGroups",
        t - 70 * DAY,
        ATTACKER,
    );
    log(
        &w,
        &w.ci.0,
        "DescribeRegions",
        t - 88 * DAY - 12 * 3600,
        ATTACKER,
    );
    log(&w, &w.ci.0, "DescribeInstances", t - 100 * DAY, ATTACKER);
    // Another key's calls are not this key's.
    log(&w, &w.root.0, "DeleteBucket", t - 2 * DAY, ATTACKER);
    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, t - 95 * DAY);

    let out = run(&env, &w, "json");
    out.code(1);
    let doc = out.json();
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "live", "{v}");
    let a = &v["incident"]["activity"];
    let events = a["events"].as_array().unwrap_or_else(|| panic!("{v}"));
    // 55 + 8 answered + 2 refused ListUsers + 2 = 67; keyhound's own
    // GetUserAppId (signed with the key, so logged too) is left out.
    assert_eq!(events.len(), 67, "{a}");
    assert_eq!(a["own_calls_left_out"], 1, "{a}");
    assert_eq!(a["days"], 90);
    assert!(
        events
            .iter()
            .all(|e| e["name"] != "GetUserAppId" && e["name"] != "DeleteBucket")
    );
    let newest = &events[0];
    assert_eq!(newest["name"], "DescribeInstances");
    assert_eq!(newest["time"], rfc3339(t - DAY));
    assert_eq!(newest["source_ip"], ATTACKER);
    assert_eq!(newest["region"], "ap-shanghai");
    assert_eq!(newest["resource_type"], "cvm");
    assert_eq!(newest["resource_name"], "ins-7f3k2d1q");
    let refused: Vec<&Value> = events
        .iter()
        .filter(|e| e["error_code"].is_number())
        .collect();
    assert_eq!(refused.len(), 2, "{a}");
    assert_eq!(
        refused[0]["error_message"],
        "AuthFailure.UnauthorizedOperation"
    );
    assert_eq!(events.last().unwrap()["name"], "DescribeRegions");

    // The documented limits held on every request: spans under 30 days,
    // none more than 90 days back, MaxResults at most 50, paged.
    let asks: Vec<Value> =
        w.em.requests()
            .iter()
            .filter(|r| r.action == "DescribeEvents")
            .map(|r| {
                assert!(r.error.is_none(), "{}: {:?}", r.body, r.error);
                assert!(r.header("x-tc-region").is_some());
                serde_json::from_str(&r.body).unwrap()
            })
            .collect();
    assert_eq!(
        asks.len(),
        5,
        "four windows, the newest in two pages: {asks:?}"
    );
    assert!(asks.iter().any(|p| p.get("NextToken").is_some()));
    for p in &asks {
        assert_eq!(p["LookupAttributes"][0]["AttributeKey"], "AccessKeyId");
        assert_eq!(p["LookupAttributes"][0]["AttributeValue"], w.ci.0.as_str());
        assert!(p["MaxResults"].as_i64().unwrap() <= 50);
    }
    assert_read_only(&w);

    let out = run(&env, &w, "human");
    let text = out.stdout.as_str();
    let line = text
        .lines()
        .find(|l| l.contains("activity:"))
        .unwrap_or_else(|| panic!("{text}"));
    let last = rfc3339(t - DAY);
    assert!(
        line.contains("did 67 calls in 90 days: DescribeInstances x55, ListUsers x10")
            && line.contains("from 2 IPs")
            && line.contains("2 refused")
            && line.contains(&format!("last {} {} UTC", &last[..10], &last[11..16]))
            // This run's own call, and the first run's check (CloudAudit
            // kept keyhound's RequestClient).
            && line.contains("(2 calls by keyhound left out: 1 CloudAudit RequestClient, 1 this run)"),
        "{line}"
    );
    assert!(!text.contains(&w.ci.1), "no SecretKey in the output");
}

#[test]
fn what_the_key_can_do_comes_from_its_policies_groups_and_boundary() {
    let w = world();
    let deploy = "%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%5B%22cos%3APutObject%22%2C%22cos%3AGetObject%22%5D%2C%22resource%22%3A%5B%22*%22%5D%7D%5D%7D";
    w.em.policy(1, "AdministratorAccess", true, "")
        .policy(7, "deploy-artifacts", false, deploy)
        .group(30, "ops", &[1])
        .join(CI_USER, 30)
        .attach(CI_USER, 7);
    // Enough presets that the list takes two pages of 200.
    for i in 0..205 {
        w.em.policy(1000 + i, &format!("QcloudReadOnly{i:03}"), true, "")
            .attach(CI_USER, 1000 + i);
    }
    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, now() - 10 * DAY);
    let out = run(&env, &w, "json");
    let doc = out.json();
    let access = &verification(&doc, 0)["incident"]["access"];
    assert_eq!(access["root"], false, "{access}");
    assert_eq!(access["admin"], true, "{access}");
    let policies = access["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 207, "both pages were read");
    assert_eq!(policies[0]["name"], "AdministratorAccess");
    assert_eq!(policies[0]["via_groups"], json!(["ops"]));
    let custom = policies.iter().find(|p| p["id"] == 7).unwrap();
    assert_eq!(custom["kind"], "custom");
    assert_eq!(custom["direct"], true);
    assert_eq!(custom["allows"], json!(["cos:GetObject", "cos:PutObject"]));
    assert_eq!(
        custom["document"]["statement"][0]["effect"], "allow",
        "decoded"
    );
    assert!(access.get("boundary").is_none());
    let pages =
        w.em.requests()
            .iter()
            .filter(|r| r.action == "ListAttachedUserAllPolicies")
            .count();
    assert_eq!(pages, 2);
    assert_eq!(w.em.calls("GetPolicy"), 1, "presets need no document");

    let text = run(&env, &w, "human").stdout;
    assert!(
        text.contains("can do:      full access: AdministratorAccess via group ops"),
        "{text}"
    );

    // A permission boundary caps what the policies give.
    let only_cos =
        r#"{"version":"2.0","statement":[{"effect":"allow","action":["cos:*"],"resource":["*"]}]}"#;
    w.em.policy(8, "cos-only", false, only_cos)
        .boundary(CI_USER, 8);
    let doc = run(&env, &w, "json").json();
    let access = &verification(&doc, 0)["incident"]["access"];
    assert_eq!(access["admin"], false, "{access}");
    assert_eq!(access["boundary"]["name"], "cos-only");
    assert_eq!(access["boundary"]["allows"], json!(["cos:*"]));
    let text = run(&env, &w, "human").stdout;
    assert!(
        text.contains("AdministratorAccess via group ops")
            && text.contains("within permission boundary cos-only [cos:*]"),
        "{text}"
    );
    assert_read_only(&w);
}

#[test]
fn a_root_key_can_do_everything_and_a_foreign_key_is_not_read() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(
            &[
                ("tencent.secret-id", &w.root.0, Some(&w.root.1), "a"),
                ("tencent.secret-id", &w.foreign.0, Some(&w.foreign.1), "b"),
            ],
            false,
        ),
    );
    let doc = run(&env, &w, "json").json();
    let root = &verification(&doc, 0)["incident"];
    assert_eq!(root["access"]["root"], true, "{root}");
    assert_eq!(w.em.calls("ListAttachedUserAllPolicies"), 0);
    let foreign = &verification(&doc, 1)["incident"];
    assert!(foreign.get("activity").is_none(), "{foreign}");
    assert!(
        foreign["gaps"][0]
            .as_str()
            .unwrap()
            .contains("belongs to account 200000000001"),
        "{foreign}"
    );
    let text = run(&env, &w, "human").stdout;
    assert!(
        text.contains("can do:      root account: can do everything"),
        "{text}"
    );
    // Without the file's commit date, persistence looks at the last 90 days.
    assert!(text.contains("no commit date: the last 90 days"), "{text}");
}

#[test]
fn a_refused_cloudaudit_read_is_a_gap_and_the_rest_is_still_read() {
    let w = world();
    w.em.deny(AUDITOR, "DescribeEvents");
    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, now() - 10 * DAY);
    let out = run(&env, &w, "human");
    let text = out.stdout.as_str();
    let gap = text
        .lines()
        .find(|l| l.contains("not read:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        gap.contains("DescribeEvents")
            && gap.contains("UnauthorizedOperation")
            && gap.contains("cloudaudit:DescribeEvents"),
        "{gap}"
    );
    assert!(text.contains("can do:"), "{text}");
    assert!(text.contains("persistence:"), "{text}");
    out.code(1);
}

#[test]
fn keys_users_and_grants_created_after_the_leak_are_called_out() {
    let w = world();
    let t = now();
    let leaked = t - 60 * DAY;
    // Before the leak: the world's keys (2024) and this old user.
    w.em.user(
        OWNER,
        100_000_000_010,
        "old-ops",
        Kind::SubUser,
        false,
        false,
    )
    .user_created(100_000_000_010, "2024-01-05 09:00:00");
    // After: a second key for the leaked user, one made and deleted, a new
    // user with a key of its own.
    let fresh = pair("AKID", 41);
    let gone = pair("AKID", 42);
    let backdoor = pair("AKID", 43);
    w.em.key(CI_USER, &fresh.0, &fresh.1, "Active");
    w.em.set_created(&fresh.0, &tencent(t - 20 * DAY));
    w.em.key(CI_USER, &gone.0, &gone.1, "Active");
    w.em.set_created(&gone.0, &tencent(t - 19 * DAY));
    w.em.delete_key(&gone.0);
    w.em.user(
        OWNER,
        100_000_000_011,
        "sync-bot",
        Kind::SubUser,
        false,
        false,
    )
    .user_created(100_000_000_011, &tencent(t - 21 * DAY));
    w.em.key(100_000_000_011, &backdoor.0, &backdoor.1, "Active");
    w.em.set_created(&backdoor.0, &tencent(t - 21 * DAY));
    log(&w, &w.ci.0, "AddUser", t - 21 * DAY, ATTACKER);
    log(&w, &w.ci.0, "AttachUserPolicy", t - 21 * DAY + 60, ATTACKER);
    log(&w, &w.ci.0, "CreateAccessKey", t - 20 * DAY, ATTACKER);
    log(&w, &w.ci.0, "DescribeInstances", t - 20 * DAY + 5, ATTACKER);

    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, leaked);
    let doc = run(&env, &w, "json").json();
    let p = &verification(&doc, 0)["incident"]["persistence"];
    assert_eq!(p["since"], rfc3339(leaked), "{p}");
    assert_eq!(p["since_what"], "the leak's first commit");
    let keys: Vec<(String, String)> = p["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_string(),
                k["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let short = |id: &str| keyhound::finding::redact(id, keyhound::finding::SecretKind::Identifier);
    assert_eq!(
        keys,
        [
            (short(&backdoor.0), "active".to_string()),
            (short(&fresh.0), "active".to_string()),
            (short(&gone.0), "deleted".to_string()),
        ],
        "{p}"
    );
    let users: Vec<&str> = p["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["sync-bot"], "{p}");
    let events: Vec<&str> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["AddUser", "AttachUserPolicy", "CreateAccessKey"],
        "{p}"
    );
    assert_eq!(w.em.calls("QueryApiKey"), 1);
    let text = run(&env, &w, "human").stdout;
    let line = text
        .lines()
        .find(|l| l.contains("persistence:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!(
            "3 keys {} of uin 100000000011",
            short(&backdoor.0)
        )) && line.contains(&format!("{} of uin {CI_USER}", short(&gone.0)))
            && line.contains("(deleted)")
            && line.contains("1 user sub-user sync-bot")
            && line.contains("3 granting calls: AddUser at")
            && line.contains("CreateAccessKey at"),
        "{line}"
    );
    assert!(
        !text.contains(&gone.0) && !text.contains(&fresh.0),
        "ids shortened"
    );
    assert_read_only(&w);
}

#[test]
fn cam_times_are_beijing_time_and_reported_in_utc() {
    let w = world();
    let t = now();
    let leaked = t - 60 * DAY;
    // CAM writes Beijing time: 3 hours before the leak (5 hours after it,
    // were the text read as UTC), and 3 hours after.
    let before = pair("AKID", 47);
    let after = pair("AKID", 48);
    w.em.key(CI_USER, &before.0, &before.1, "Active");
    w.em.set_created(&before.0, &tencent(leaked - 3 * 3600));
    w.em.key(CI_USER, &after.0, &after.1, "Active");
    w.em.set_created(&after.0, &tencent(leaked + 3 * 3600));
    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, leaked);
    let doc = run(&env, &w, "json").json();
    let p = &verification(&doc, 0)["incident"]["persistence"];
    let short = |id: &str| keyhound::finding::redact(id, keyhound::finding::SecretKind::Identifier);
    let keys: Vec<(&str, &str)> = p["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].as_str().unwrap(), k["created"].as_str().unwrap()))
        .collect();
    let when = rfc3339(leaked + 3 * 3600);
    assert_eq!(keys, [(short(&after.0).as_str(), when.as_str())], "{p}");
    assert_eq!(p["since"], rfc3339(leaked), "one zone: {p}");
}

#[test]
fn scan_of_git_history_dates_the_leak_from_its_first_commit() {
    let w = world();
    let t = now();
    let first = t - 30 * DAY;
    let fresh = pair("AKID", 44);
    w.em.key(CI_USER, &fresh.0, &fresh.1, "Active");
    w.em.set_created(&fresh.0, &tencent(t - 20 * DAY));
    log(&w, &w.ci.0, "CreateAccessKey", t - 20 * DAY, ATTACKER);
    let env = TestEnv::new();
    super::commit_leak(&w, env.path(), first);
    let out = super::audited(
        &env,
        &w,
        &[
            "scan", ".", "--git", "--format", "json", "--verify", "--audit",
        ],
    );
    let doc = out.json();
    let v = &doc["findings"][0]["verification"];
    assert_eq!(v["outcome"], "live", "{v}");
    let p = &v["incident"]["persistence"];
    assert_eq!(p["since"], rfc3339(first), "{p}");
    assert_eq!(p["keys"].as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p["events"][0]["name"], "CreateAccessKey", "{p}");
    let a = &v["incident"]["activity"];
    assert_eq!(a["own_calls_left_out"], 1, "the scan's own check: {a}");
    assert_eq!(a["events"].as_array().map(Vec::len), Some(1), "{a}");
    assert_read_only(&w);
}

#[test]
fn tencents_own_leak_alarm_is_part_of_the_picture() {
    use super::emulator::Alarm;
    let w = world();
    let t = now();
    w.em.alarm(Alarm {
        key: w.ci.0.clone(),
        kind: 1,
        name: "AccessKey leaked on GitHub".into(),
        level: 5,
        status: 0,
        first: t - 3 * DAY,
        last: t - 2 * DAY,
        leak_evidence: vec!["https://github.com/acme/app/blob/main/deploy.env".into()],
    });
    // Another key's alarm is not this key's.
    w.em.alarm(Alarm {
        key: w.root.0.clone(),
        kind: 0,
        name: "abnormal call".into(),
        level: 3,
        ..Alarm::default()
    });
    let env = TestEnv::new();
    leaked_report(&env, &w, &w.ci.0, &w.ci.1, t - 10 * DAY);
    let doc = run(&env, &w, "json").json();
    let alarms = &verification(&doc, 0)["incident"]["alarms"];
    let list = alarms.as_array().unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(list.len(), 1, "{alarms}");
    assert_eq!(list[0]["kind"], "leak");
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["first"], rfc3339(t - 3 * DAY));
    assert_eq!(
        list[0]["evidence"][0],
        "https://github.com/acme/app/blob/main/deploy.env"
    );
    let text = run(&env, &w, "human").stdout;
    assert!(
        text.contains("Tencent flagged it: leak alarm \"AccessKey leaked on GitHub\" (open)"),
        "{text}"
    );
    // Refused: a gap naming the permission, the rest still read.
    w.em.deny(AUDITOR, "DescribeAccessKeyAlarm");
    let doc = run(&env, &w, "json").json();
    let i = &verification(&doc, 0)["incident"];
    assert!(i.get("alarms").is_none(), "{i}");
    assert!(
        i["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g.as_str().unwrap().contains("csip:DescribeAccessKeyAlarm")),
        "{i}"
    );
    assert_read_only(&w);
}
