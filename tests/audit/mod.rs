//! `keyhound audit`: the real binary against an emulated account with a
//! planted problem per check, clean identities beside them, auditors with
//! and without the permissions, and a 500-user account for the timing.
//! This file holds the emulated account; the tests are in its modules.

mod access;
mod checks;
mod output;

use crate::cam::emulator::{Emulator, Kind};
use crate::util::{Run, RunExt, TestEnv, fake};
use keyhound::verify::tencent::snapshot::ACTIONS;

/// The names of the actions the audit may call.
fn read_only() -> Vec<&'static str> {
    ACTIONS.iter().map(|a| a.name()).collect()
}
use serde_json::Value;
use std::collections::BTreeSet;

const OWNER: u64 = 300_000_000_001;
const AUDITOR: u64 = 300_000_000_002;

const ADMIN_DOC: &str =
    r#"{"version":"2.0","statement":[{"effect":"allow","action":["*"],"resource":["*"]}]}"#;
const SELF_GRANTING_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["cam:AttachUserPolicy","cam:ListUsers"],"resource":["*"]}]}"#;
/// CAM user and permission management, from 10.0.0.0/8 only.
const CAM_IP_BOUND_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["name/cam:CreateUser","cam:AttachUserPolicy"],"resource":["*"],"condition":{"ip_equal":{"qcs:ip":["10.0.0.0/8"]}}}]}"#;
/// Every CVM action, from 10.0.0.0/8 only.
const CVM_IP_BOUND_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["cvm:*"],"resource":["*"],"condition":{"ip_equal":{"qcs:ip":["10.0.0.0/8"]}}}]}"#;
/// Every CVM action, from anywhere.
const CVM_OPEN_DOC: &str =
    r#"{"version":"2.0","statement":[{"effect":"allow","action":["cvm:*"],"resource":["*"]}]}"#;
/// Every COS action, with every action denied from outside 10.0.0.0/8.
const COS_FENCED_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["cos:*"],"resource":["*"]},{"effect":"deny","action":["*"],"resource":["*"],"condition":{"ip_not_equal":{"qcs:ip":["10.0.0.0/8"]}}}]}"#;
/// A deployer: passes a role, starts instances, writes one bucket.
const DEPLOYER_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["cam:PassRole","cvm:RunInstances","cam:ListUsers"],"resource":["*"]},{"effect":"allow","action":["cos:PutObject"],"resource":["qcs::cos:ap-guangzhou:uid/1300000001:builds-1300000001/*"]}]}"#;
/// Reads CAM only.
const CAM_READ_DOC: &str = r#"{"version":"2.0","statement":[{"effect":"allow","action":["cam:List*","cam:Get*"],"resource":["*"]}]}"#;
const COS_READ_DOC: &str =
    r#"{"version":"2.0","statement":[{"effect":"allow","action":["cos:Get*"],"resource":["*"]}]}"#;

fn pair(seed: u64) -> (String, String) {
    (fake("AKID", 32, seed), fake("", 32, seed + 5000))
}

/// CAM's `YYYY-MM-DD hh:mm:ss` (Beijing time), `days` ago.
fn ago(days: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    crate::cam::emulator::beijing(now - days * 86_400)
}

struct Account {
    em: Emulator,
    root: (String, String),
    auditor: (String, String),
}

/// Adds a sub-user with one fresh, recently used key, MFA on and console
/// off (a clean identity); returns its key id.
fn careful_user(em: &Emulator, uin: u64, name: &str, seed: u64) -> String {
    let (id, secret) = pair(seed);
    em.user(OWNER, uin, name, Kind::SubUser, false, false);
    em.key(uin, &id, &secret, "Active");
    em.set_created(&id, &ago(20));
    em.set_last_used(&id, &ago(1)[..10]);
    em.mfa(uin, &["Stoken"], &["Stoken"]);
    id
}

/// An account with one planted problem per check (names say which) and
/// clean identities (`clean-*`).
fn account() -> Account {
    let em = Emulator::start();
    em.account(OWNER, 1_300_000_001);
    let root = pair(1);
    em.key(OWNER, &root.0, &root.1, "Active");
    em.set_created(&root.0, &ago(10));
    em.set_last_used(&root.0, &ago(0)[..10]);
    em.policy(1, "AdministratorAccess", true, ADMIN_DOC)
        .policy(2, "QcloudCOSReadOnlyAccess", true, COS_READ_DOC)
        .policy(10, "everything-custom", false, ADMIN_DOC)
        .policy(11, "cos-read-custom", false, COS_READ_DOC)
        .group(500, "ops", &[10])
        .group(501, "readers", &[2, 11]);

    let auditor = pair(2);
    em.user(OWNER, AUDITOR, "clean-auditor", Kind::SubUser, true, false);
    em.key(AUDITOR, &auditor.0, &auditor.1, "Active");
    em.set_created(&auditor.0, &ago(5));
    em.set_last_used(&auditor.0, &ago(0)[..10]);
    em.mfa(AUDITOR, &["Token"], &["Token"]).join(AUDITOR, 501);
    em.mfa(OWNER, &["Stoken"], &["Stoken"]);

    careful_user(&em, 11, "clean-bot", 11);
    em.join(11, 501);
    let stale = careful_user(&em, 12, "stale-bot", 12);
    em.set_created(&stale, &ago(400));
    em.set_last_used(&stale, &ago(200)[..10]);
    let never = careful_user(&em, 13, "never-used-bot", 13);
    em.set_created(&never, &ago(120));
    em.clear_last_used(&never);
    let old = careful_user(&em, 14, "old-bot", 14);
    em.set_created(&old, &ago(300));
    let (id, secret) = pair(15);
    em.user(OWNER, 15, "disabled-bot", Kind::SubUser, false, false);
    em.key(15, &id, &secret, "Inactive");
    em.set_created(&id, &ago(30));
    careful_user(&em, 16, "two-keys-bot", 16);
    let (id, secret) = pair(161);
    em.key(16, &id, &secret, "Active");
    em.set_created(&id, &ago(3));
    em.set_last_used(&id, &ago(1)[..10]);
    careful_user(&em, 17, "no-mfa-bot", 17);
    em.mfa(17, &[], &[]);
    careful_user(&em, 23, "login-mfa-only-bot", 23);
    em.mfa(23, &["Phone"], &[]);
    careful_user(&em, 24, "operation-mfa-only-bot", 24);
    em.mfa(24, &[], &["Phone"]);
    em.policy(12, "grant-anything", false, SELF_GRANTING_DOC)
        .group(502, "iam-ops", &[12]);
    careful_user(&em, 25, "cam-attach-bot", 25);
    em.join(25, 502);
    em.policy(3, "QcloudCamFullAccess", true, "")
        .group(503, "cam-admins", &[3]);
    careful_user(&em, 26, "cam-full-bot", 26);
    em.join(26, 503);
    // Listed by ListAccounts only.
    let (id, secret) = pair(27);
    em.user(OWNER, 27, "wecom-bot", Kind::WeComUser, false, false);
    em.key(27, &id, &secret, "Active");
    em.set_created(&id, &ago(10));
    em.set_last_used(&id, &ago(1)[..10]);
    // Tencent's own alarms: an open leak alarm, and a handled one.
    let alarmed = careful_user(&em, 28, "alarmed-bot", 28);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    em.alarm(leak_alarm(&alarmed, 0, now));
    let handled = careful_user(&em, 29, "clean-handled-alarm", 29);
    em.alarm(leak_alarm(&handled, 1, now));
    duty_users(&em);
    careful_user(&em, 18, "admin-direct-bot", 18);
    em.attach(18, 1);
    careful_user(&em, 19, "admin-group-bot", 19);
    em.join(19, 500).join(19, 501);
    careful_user(&em, 20, "console-bot", 20);
    em.console_login(20, true);
    em.user(OWNER, 21, "clean-person", Kind::SubUser, false, false);
    em.console_login(21, true);
    let (id, secret) = pair(22);
    em.user(OWNER, 22, "clean-partner", Kind::Collaborator, false, false);
    em.key(22, &id, &secret, "Active");
    em.set_created(&id, &ago(15));
    em.set_last_used(&id, &ago(2)[..10]);
    em.mfa(22, &["Wechat"], &["Phone"]);
    Account { em, root, auditor }
}

/// Key holders whose policies test separation of duties and source
/// conditions: one planted problem each, or clean (`clean-*`).
fn duty_users(em: &Emulator) {
    em.policy(13, "cam-users-ip-bound", false, CAM_IP_BOUND_DOC)
        .policy(14, "cvm-ops-ip-bound", false, CVM_IP_BOUND_DOC)
        .policy(15, "cvm-ops", false, CVM_OPEN_DOC)
        .policy(16, "cos-fenced", false, COS_FENCED_DOC)
        .policy(17, "deployer", false, DEPLOYER_DOC)
        .policy(18, "cam-reader", false, CAM_READ_DOC)
        .group(504, "iam-team", &[13])
        .group(505, "cvm-team", &[14])
        .group(506, "cvm-open", &[15])
        .group(507, "cos-fenced", &[16])
        .group(508, "deployers", &[17])
        .group(509, "cam-readers", &[18]);
    // Manages users and permissions, and CVM: both fenced to 10/8.
    careful_user(em, 30, "split-duties-bot", 30);
    em.join(30, 504).join(30, 505);
    careful_user(em, 31, "clean-ip-bound-cvm-bot", 31);
    em.join(31, 505);
    careful_user(em, 32, "unbound-cvm-bot", 32);
    em.join(32, 506);
    careful_user(em, 33, "clean-fenced-cos-bot", 33);
    em.join(33, 507);
    careful_user(em, 34, "clean-deployer", 34);
    em.join(34, 508);
    careful_user(em, 35, "clean-cam-reader", 35);
    em.join(35, 509).join(35, 501);
}

/// Skips the three MFA checks.
const SKIP_MFA: [&str; 6] = [
    "--skip",
    "mfa-off",
    "--skip",
    "mfa-login-off",
    "--skip",
    "mfa-operation-off",
];

/// A leak alarm about `key` with `status` (0 open, 1 handled).
fn leak_alarm(key: &str, status: i64, now: i64) -> crate::cam::emulator::Alarm {
    crate::cam::emulator::Alarm {
        key: key.to_string(),
        kind: 1,
        name: "AccessKey leaked on GitHub".into(),
        level: 5,
        status,
        first: now - 86_400,
        last: now - 3600,
        leak_evidence: vec!["https://github.com/acme/app/blob/main/.env".into()],
    }
}

/// The planted problems of the checks reading what policies grant; every
/// one needs the policy lists.
const GRANT_PROBLEMS: [(&str, &str); 8] = [
    ("duties-not-separated", "admin-direct-bot"),
    ("duties-not-separated", "admin-group-bot"),
    ("duties-not-separated", "split-duties-bot"),
    ("policy-condition-missing", "admin-direct-bot"),
    ("policy-condition-missing", "admin-group-bot"),
    ("policy-condition-missing", "cam-attach-bot"),
    ("policy-condition-missing", "cam-full-bot"),
    ("policy-condition-missing", "unbound-cvm-bot"),
];

/// The planted problems: `(check, identity name or "root")`.
fn planted() -> BTreeSet<(String, String)> {
    [
        ("root-key-active", "root"),
        ("key-unused", "stale-bot"),
        ("key-not-rotated", "stale-bot"),
        ("key-unused", "never-used-bot"),
        ("key-not-rotated", "never-used-bot"),
        ("key-not-rotated", "old-bot"),
        ("key-disabled", "disabled-bot"),
        ("user-two-keys", "two-keys-bot"),
        ("mfa-off", "no-mfa-bot"),
        ("admin-key", "admin-direct-bot"),
        ("policy-not-via-group", "admin-direct-bot"),
        ("admin-key", "admin-group-bot"),
        ("admin-key", "cam-attach-bot"),
        ("admin-key", "cam-full-bot"),
        ("mfa-operation-off", "login-mfa-only-bot"),
        ("mfa-login-off", "operation-mfa-only-bot"),
        ("mfa-off", "wecom-bot"),
        ("tencent-alarm-open", "alarmed-bot"),
        ("console-and-api", "console-bot"),
    ]
    .into_iter()
    .chain(GRANT_PROBLEMS)
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect()
}

fn run(em: &Emulator, who: &(String, String), args: &[&str]) -> Run {
    TestEnv::new()
        .cmd()
        .arg("audit")
        .arg("--endpoint")
        .arg(em.url())
        .args(args)
        .env("TENCENTCLOUD_SECRET_ID", &who.0)
        .env("TENCENTCLOUD_SECRET_KEY", &who.1)
        .run()
}

fn found(report: &Value) -> BTreeSet<(String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["identity"]["name"].as_str().unwrap_or("root");
            (p["check"].as_str().unwrap().to_string(), name.to_string())
        })
        .collect()
}

fn json_run(em: &Emulator, who: &(String, String), extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let r = run(em, who, &args);
    let v = r.json();
    (r.code, v, r.stderr)
}
