//! CAM/STS verification, auditor mode, disable/enable: the real binary (and
//! the library's `Verifier`) against the emulator on 127.0.0.1.

mod action;
mod chain;
mod direct;
#[path = "emulator/mod.rs"]
pub(crate) mod emulator;
mod history;
mod incident;
mod org;
mod persistence;
mod rerun;
mod respond;
mod scan;
mod sdk;
mod verdicts;

use crate::util::{Run, RunExt, TestEnv, fake};
use emulator::{Emulator, Kind};
use keyhound::finding::{Fingerprint, Secret, SecretKind};
use serde_json::{Value, json};

pub(crate) const OWNER: u64 = 100_000_000_001;
pub(crate) const CI_USER: u64 = 100_000_000_002;
pub(crate) const AUDITOR: u64 = 100_000_000_003;
pub(crate) const PARTNER: u64 = 100_000_000_004;
pub(crate) const OTHER_OWNER: u64 = 200_000_000_001;

/// The invented identities of the emulated world.
pub(crate) struct World {
    pub(crate) em: Emulator,
    pub(crate) root: (String, String),
    pub(crate) ci: (String, String),
    pub(crate) ci_old: (String, String),
    pub(crate) auditor: (String, String),
    pub(crate) partner: (String, String),
    pub(crate) foreign: (String, String),
}

pub(crate) fn pair(prefix: &str, seed: u64) -> (String, String) {
    (fake(prefix, 32, seed), fake("", 32, seed + 1000))
}

pub(crate) fn world() -> World {
    let em = Emulator::start();
    let w = World {
        root: pair("AKID", 1),
        ci: pair("AKID", 2),
        ci_old: pair("AKID", 3),
        auditor: pair("AKID", 4),
        partner: pair("IKID", 5),
        foreign: pair("AKID", 6),
        em,
    };
    let em = &w.em;
    em.account(OWNER, 1_250_000_001)
        .account(OTHER_OWNER, 1_250_000_002);
    em.user(OWNER, CI_USER, "ci-deployer", Kind::SubUser, false, false);
    em.user(OWNER, AUDITOR, "key-auditor", Kind::SubUser, true, true);
    em.user(OWNER, PARTNER, "partner", Kind::Collaborator, false, false);
    em.key(OWNER, &w.root.0, &w.root.1, "Active");
    em.key(CI_USER, &w.ci.0, &w.ci.1, "Active");
    em.key(CI_USER, &w.ci_old.0, &w.ci_old.1, "Inactive");
    em.key(AUDITOR, &w.auditor.0, &w.auditor.1, "Active");
    em.key(PARTNER, &w.partner.0, &w.partner.1, "Active");
    em.key(OTHER_OWNER, &w.foreign.0, &w.foreign.1, "Active");
    em.set_last_used(&w.ci.0, "2026-11-20");
    w
}

/// A git repository at `dir` whose one commit, dated `at` (Unix seconds),
/// adds `deploy.env` holding the ci key.
pub(crate) fn commit_leak(w: &World, dir: &std::path::Path, at: i64) {
    crate::util::git(dir, &["init", "-q"]);
    let leak = format!(
        "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
        w.ci.0, w.ci.1
    );
    std::fs::write(dir.join("deploy.env"), leak).unwrap();
    crate::util::git(dir, &["add", "deploy.env"]);
    let date = format!("--date={at} +0000");
    crate::util::git(dir, &["commit", "-q", "-m", "deploy settings", &date]);
}

/// A CloudAudit event of the ci key calling `name` at `at` from the
/// attacker's address.
pub(crate) fn attacker_call(w: &World, name: &str, at: i64) {
    w.em.log_event(emulator::Logged {
        id: w.ci.0.clone(),
        name: name.into(),
        at,
        ip: incident::ATTACKER.into(),
        region: "ap-guangzhou".into(),
        ..emulator::Logged::default()
    });
}

/// A JSON report in the documented format; `(rule, id, key, path)` per finding.
pub(crate) fn report(findings: &[(&str, &str, Option<&str>, &str)], redacted: bool) -> String {
    let list: Vec<Value> = findings
        .iter()
        .map(|(rule, id, key, path)| {
            let s = Secret::new(*id, SecretKind::Identifier);
            let k = key.map(|k| Secret::new(k, SecretKind::Key));
            let fp = Fingerprint::of(rule, &s, k.as_ref());
            json!({
                "fingerprint": fp.as_str(), "rule": rule, "name": "Tencent Cloud SecretId",
                "severity": "critical",
                "secret": if redacted { s.redacted() } else { id.to_string() },
                "key": k.as_ref().map(|k| if redacted { k.redacted() } else { k.expose().to_string() }),
                "token": null, "redacted": redacted, "in_head": null, "verification": null,
                "locations": [{"kind": "file", "path": path, "line": 1, "column": 1, "end_line": 1,
                  "end_column": 37, "key_line": null, "key_column": null, "commit": null, "snippet": "x"}]
            })
        })
        .collect();
    json!({"version": 1, "tool": {"name": "keyhound", "version": "0.1.0"},
           "stats": {"scanned": 1, "bytes": 1, "skipped_binary": 0, "skipped_too_large": 0, "unreadable": 0},
           "suppressed": 0, "findings": list})
    .to_string()
}

pub(crate) fn verify_json(env: &TestEnv, w: &World, extra: &[&str]) -> (Value, i32) {
    let out = env
        .cmd()
        .args([
            "verify",
            "--from",
            "r.json",
            "--format",
            "json",
            "--endpoint",
            &w.em.url(),
        ])
        .args(extra)
        .run();
    (out.json(), out.code)
}

pub(crate) fn verification(doc: &Value, i: usize) -> &Value {
    &doc["findings"][i]["verification"]
}

#[test]
fn verify_classifies_live_dead_wrong_key_and_missing_key() {
    let w = world();
    let env = TestEnv::new();
    let unknown = pair("AKID", 77);
    let wrong = fake("", 32, 999);
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.ci.0, Some(&w.ci.1), "a"),
                (r, &unknown.0, Some(&unknown.1), "b"),
                (r, &w.root.0, Some(&wrong), "c"),
                (r, &w.partner.0, None, "d"),
            ],
            false,
        ),
    );
    let (doc, code) = verify_json(&env, &w, &[]);
    assert_eq!(code, 1, "a live key makes the exit code 1");
    let live = verification(&doc, 0);
    assert_eq!(live["outcome"], "live");
    assert_eq!(live["owner"]["uin"], CI_USER.to_string());
    assert_eq!(live["owner"]["owner_uin"], OWNER.to_string());
    assert_eq!(live["owner"]["principal"], "sub-user");
    assert_eq!(live["owner"]["app_id"], 1_250_000_001u64);
    assert!(
        live["last_used_note"]
            .as_str()
            .is_some_and(|n| n.contains("keyhound's own check")),
        "{live}"
    );
    assert!(live["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let dead = verification(&doc, 1);
    assert_eq!(dead["outcome"], "not_live");
    assert!(
        dead["detail"]
            .as_str()
            .unwrap()
            .contains("SecretIdNotFound"),
        "{dead}"
    );
    let wrong_key = verification(&doc, 2);
    assert_eq!(wrong_key["outcome"], "wrong_key");
    assert!(
        wrong_key["detail"]
            .as_str()
            .unwrap()
            .contains("wrong SecretKey"),
        "{wrong_key}"
    );
    let skipped = verification(&doc, 3);
    assert_eq!(skipped["outcome"], "skipped");
    assert_eq!(skipped["detail"], "no SecretKey found");

    let host = format!("127.0.0.1:{}", w.em.port());
    for req in w.em.requests() {
        assert_eq!(
            req.header("content-type").as_deref(),
            Some("application/json"),
            "{}",
            req.head
        );
        assert_eq!(
            req.header("host").as_deref(),
            Some(host.as_str()),
            "{}",
            req.head
        );
        for secret in [&w.ci.1, &unknown.1, &wrong] {
            assert!(!req.head.contains(secret.as_str()) && !req.body.contains(secret.as_str()));
        }
    }
}

#[test]
fn root_keys_are_told_from_sub_users() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(
            &[("tencent.secret-id", &w.root.0, Some(&w.root.1), "a")],
            false,
        ),
    );
    let (doc, _) = verify_json(&env, &w, &[]);
    assert_eq!(verification(&doc, 0)["owner"]["principal"], "root");
}

#[test]
fn throttling_is_unknown_never_not_live() {
    let w = world();
    w.em.budget("GetUserAppId", 0);
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let (doc, code) = verify_json(&env, &w, &[]);
    assert_eq!(code, 0);
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "unknown", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("throttled"), "{v}");
    assert_eq!(w.em.calls("GetUserAppId"), 4, "one call and three retries");
}

#[test]
fn throttling_is_retried_with_backoff() {
    let w = world();
    w.em.throttle_next("GetUserAppId", 2);
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let (doc, _) = verify_json(&env, &w, &[]);
    assert_eq!(verification(&doc, 0)["outcome"], "live");
    assert_eq!(
        w.em.calls("GetUserAppId"),
        3,
        "two throttled calls, then an answer"
    );
}

#[test]
fn clock_skew_is_unknown() {
    let w = world();
    w.em.clock_offset(1000);
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let (doc, _) = verify_json(&env, &w, &[]);
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "unknown");
    assert!(v["detail"].as_str().unwrap().contains("clock skew"), "{v}");
}

#[test]
fn unauthorized_sub_user_is_live() {
    let w = world();
    w.em.deny(CI_USER, "GetUserAppId");
    w.em.deny(CI_USER, "GetCallerIdentity");
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let (doc, code) = verify_json(&env, &w, &[]);
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "live", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("UnauthorizedOperation"),
        "{v}"
    );
    assert_eq!(code, 1);
}

#[test]
fn sts_answers_when_cam_is_denied() {
    let w = world();
    w.em.deny(CI_USER, "GetUserAppId");
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let (doc, _) = verify_json(&env, &w, &[]);
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "live");
    assert_eq!(v["owner"]["uin"], CI_USER.to_string());
    assert_eq!(w.em.calls("GetCallerIdentity"), 1);
}

#[test]
fn endpoint_must_be_https_or_loopback() {
    let env = TestEnv::new();
    env.write("r.json", report(&[], false));
    for (flag, env_var) in [(true, false), (false, true)] {
        let mut c = env.cmd();
        c.args(["verify", "--from", "r.json"]);
        if flag {
            c.args(["--endpoint", "http://10.1.2.3:8080/"]);
        }
        if env_var {
            c.env("KEYHOUND_TENCENT_ENDPOINT", "http://cam.example.com/");
        }
        c.run().code(2).stderr_has("loopback");
    }
}

#[test]
fn scan_verify_rejects_a_bad_endpoint_before_scanning() {
    let env = TestEnv::new();
    env.write("clean.txt", "nothing here\n");
    // A clean tree must not hide a bad --endpoint.
    env.run(&[
        "scan",
        ".",
        "--verify",
        "--endpoint",
        "http://10.1.2.3:8080/",
    ])
    .code(2)
    .stderr_has("loopback");
}

/// A rules file with a SecretId-only rule, so these tests do not depend on
/// how the built-in rules pair keys.
pub(crate) const ID_RULE: &str = r#"
[[rule]]
id = "test.akid"
name = "SecretId (test)"
keywords = ["akid", "ikid"]
pattern = '''(?P<secret>(?:AKID|IKID)[A-Za-z0-9]{32})'''
verify = "tencent"
"#;

#[test]
fn redacted_report_is_completed_by_rescanning_and_audited() {
    let w = world();
    let env = TestEnv::new();
    env.write("id.toml", ID_RULE);
    env.write("app/config.yml", format!("secret_id: {}\n", w.ci.0));
    env.write("gone.yml", "nothing here\n");
    env.write(
        "r.json",
        report(
            &[
                ("test.akid", &w.ci.0, None, "app/config.yml"),
                ("test.akid", &w.foreign.0, None, "gone.yml"),
            ],
            true,
        ),
    );
    let out = env
        .cmd()
        .args([
            "verify", "--from", "r.json", "--format", "json", "--rules", "id.toml", "--audit",
        ])
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .run();
    // One finding could not be recovered.
    out.code(2).stderr_has("gone.yml no longer holds it");
    let doc = out.json();
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "live", "{v}");
    assert_eq!(v["status"], "Active");
    assert_eq!(v["owner"]["name"], "ci-deployer");
    assert_eq!(v["owner"]["principal"], "sub-user");
    // CAM's "2024-03-01 10:20:30" is Beijing time: reported in UTC.
    assert_eq!(v["created"], "2024-03-01T02:20:30Z");
    assert_eq!(v["last_used"], "2026-11-20T08:00:00Z");
    assert!(verification(&doc, 1).is_null());
}

#[test]
fn auditor_profile_attributes_ids_without_keys() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "home/.tccli/audit.credential",
        json!({"secretId": w.auditor.0, "secretKey": w.auditor.1}).to_string(),
    );
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.partner.0, None, "a"),
                (r, &w.ci_old.0, None, "b"),
                (r, &w.foreign.0, None, "c"),
            ],
            false,
        ),
    );
    let doc = env
        .cmd()
        .args([
            "verify",
            "--from",
            "r.json",
            "-f",
            "json",
            "--profile",
            "audit",
        ])
        .args(["--endpoint", &w.em.url()])
        .env("HOME", env.path().join("home"))
        .run()
        .json();
    let partner = verification(&doc, 0);
    assert_eq!(partner["owner"]["principal"], "collaborator", "{partner}");
    assert_eq!(partner["owner"]["name"], "partner");
    let old = verification(&doc, 1);
    assert_eq!(old["outcome"], "not_live");
    assert_eq!(old["status"], "Inactive");
    // A sub-user auditor cannot list the root's keys (OperationDenied.SubUin):
    // an id it does not see is "not checked", never "not in your account".
    let foreign = verification(&doc, 2);
    let detail = foreign["detail"].as_str().unwrap();
    assert!(
        detail.contains("needs the root") || detail.contains("need the root"),
        "{foreign}"
    );
    assert!(
        !detail.contains("not in the auditor's account"),
        "{foreign}"
    );
    assert_eq!(
        w.em.calls("GetSecurityLastUsed"),
        1,
        "one batch for all ids"
    );
}

pub(crate) fn audited(env: &TestEnv, w: &World, args: &[&str]) -> Run {
    env.cmd()
        .args(args)
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.auditor.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.auditor.1)
        .run()
}

#[test]
fn the_verifier_checks_each_pair_once() {
    use keyhound::verify::tencent::{Client, ClientOptions, Endpoints, Verifier};
    let w = world();
    let client = Client::new(
        Endpoints::custom(&w.em.url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let mut v = Verifier::new(client, None);
    let key = Secret::new(w.ci.1.as_str(), SecretKind::Key);
    for _ in 0..1000 {
        assert_eq!(
            v.verify(&w.ci.0, Some(&key), None).outcome,
            keyhound::verify::Outcome::Live
        );
    }
    assert_eq!(w.em.calls("GetUserAppId"), 1);
    assert_eq!(w.em.calls("GetSecurityLastUsed"), 1);
}

#[test]
fn verify_human_output_is_one_line_per_finding() {
    let w = world();
    let env = TestEnv::new();
    let r = "tencent.secret-id";
    env.write(
        "r.json",
        report(
            &[
                (r, &w.ci.0, Some(&w.ci.1), "a"),
                (r, &w.root.0, Some(&w.ci.1), "b"),
            ],
            false,
        ),
    );
    let out = env.run(&["verify", "--from", "r.json", "--endpoint", &w.em.url()]);
    let text = &out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let live = lines
        .iter()
        .find(|l| l.contains("LIVE"))
        .expect("a live line");
    assert!(
        live.contains(&format!("sub-user uin {CI_USER} of account {OWNER}")),
        "{live}"
    );
    assert!(live.contains("may include keyhound's own check"), "{live}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("wrong key: wrong SecretKey")),
        "{text}"
    );
    assert!(
        !text.contains(&w.ci.0) && !text.contains(&w.ci.1),
        "ids shortened, keys never shown"
    );
}

#[test]
fn last_use_is_asked_in_batches_of_ten() {
    let w = world();
    let ids: Vec<(String, String)> = (0..12).map(|i| pair("AKID", 500 + i)).collect();
    for (id, key) in &ids {
        w.em.key(CI_USER, id, key, "Active");
        w.em.set_last_used(id, "2026-10-01");
    }
    let env = TestEnv::new();
    let findings: Vec<(&str, &str, Option<&str>, &str)> = ids
        .iter()
        .map(|(id, _)| ("tencent.secret-id", id.as_str(), None, "a"))
        .collect();
    env.write("r.json", report(&findings, false));
    let out = audited(
        &env,
        &w,
        &["verify", "--from", "r.json", "--format", "json", "--audit"],
    );
    let doc = out.json();
    for i in 0..ids.len() {
        assert_eq!(
            verification(&doc, i)["last_used"],
            "2026-10-01T08:00:00Z",
            "{doc}"
        );
    }
    assert_eq!(w.em.calls("GetSecurityLastUsed"), 2);
}
