//! The auditor credential chain as Tencent's tools read it: tccli's default
//! profile with its region, the SDK credentials file, session-token
//! variables, and a role assumed with STS `AssumeRole`.

use super::emulator::Emulator;
use super::{OWNER, report, verification, world};
use crate::util::{RunExt, TestEnv};
use keyhound::verify::tencent::Action;
use keyhound::verify::tencent::{Client, ClientOptions, Credential, Endpoints};
use serde_json::{Value, json};

/// `verify --audit` of a report naming the CI key without its SecretKey,
/// with HOME at `env/home` and the given extra variables.
fn audit_ci(env: &TestEnv, w: &super::World, vars: &[(&str, &str)]) -> (Value, String) {
    let (doc, stderr) = try_audit_ci(env, w, vars);
    (doc.unwrap_or_else(|| panic!("no report: {stderr}")), stderr)
}

fn try_audit_ci(env: &TestEnv, w: &super::World, vars: &[(&str, &str)]) -> (Option<Value>, String) {
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, None, "a")], false),
    );
    let mut cmd = env.cmd();
    cmd.args(["verify", "--from", "r.json", "--format", "json", "--audit"])
        .args(["--endpoint", &w.em.url()])
        .env("HOME", env.path().join("home"));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.run();
    (serde_json::from_str(&out.stdout).ok(), out.stderr)
}

#[test]
fn tccli_default_profile_is_used_without_a_flag_and_assumes_its_role() {
    let w = world();
    w.em.role(OWNER, 4_611_686_018_427_387_905, "key-audit", true, false);
    let env = TestEnv::new();
    env.write(
        "home/.tccli/default.credential",
        json!({"secretId": w.auditor.0, "secretKey": w.auditor.1,
               "role-arn": Emulator::role_arn(OWNER, "key-audit"), "role-session-name": "ir"})
        .to_string(),
    );
    env.write(
        "home/.tccli/default.configure",
        json!({"_sys_param": {"region": "ap-singapore", "output": "json"}}).to_string(),
    );
    let (doc, stderr) = audit_ci(&env, &w, &[]);
    let v = verification(&doc, 0);
    assert_eq!(v["owner"]["name"], "ci-deployer", "{v} {stderr}");
    assert_eq!(w.em.calls("AssumeRole"), 1);
    let reqs = w.em.requests();
    let assume = reqs.iter().find(|r| r.action == "AssumeRole").unwrap();
    assert_eq!(
        assume.header("x-tc-region").as_deref(),
        Some("ap-singapore")
    );
    assert!(
        assume.body.contains("\"RoleSessionName\":\"ir\""),
        "{}",
        assume.body
    );
    let (tmp_id, session) = w.em.sessions().pop().unwrap();
    let listing = reqs.iter().find(|r| r.action == "ListAccounts").unwrap();
    assert!(
        listing
            .header("authorization")
            .is_some_and(|a| a.contains(&tmp_id)),
        "the account is read as the role: {}",
        listing.head
    );
    assert_eq!(
        listing.header("x-tc-token").as_deref(),
        Some(session.token.as_str())
    );
}

#[test]
fn sdk_credentials_file_is_read_after_tccli() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "home/.tencentcloud/credentials",
        format!(
            "[default]\nsecret_id = {}\nsecret_key = {}\n",
            w.auditor.0, w.auditor.1
        ),
    );
    let (doc, stderr) = audit_ci(&env, &w, &[]);
    assert_eq!(
        verification(&doc, 0)["owner"]["name"],
        "ci-deployer",
        "{stderr}"
    );
    let first = &w.em.requests()[0];
    assert!(
        first
            .header("authorization")
            .is_some_and(|a| a.contains(&w.auditor.0))
    );
    let file = env.write(
        "elsewhere/creds",
        "[default]\nsecret_id = \nsecret_key = x\n",
    );
    let out = env
        .cmd()
        .args(["verify", "--from", "r.json", "--audit"])
        .args(["--endpoint", &w.em.url()])
        .env("HOME", env.path().join("home"))
        .env("TENCENTCLOUD_CREDENTIALS_FILE", &file)
        .run();
    out.code(2);
    let err = out.stderr.as_str();
    assert!(err.contains("no SecretId and SecretKey"), "{err}");
}

#[test]
fn session_token_variables_carry_temporary_credentials() {
    let w = world();
    w.em.role(OWNER, 4_611_686_018_427_387_906, "reader", true, false);
    let client = Client::new(
        Endpoints::custom(&w.em.url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let long = Credential::new(w.auditor.0.as_str(), w.auditor.1.as_str());
    let a = client
        .call(
            &long,
            Action::AssumeRole,
            &json!({"RoleArn": Emulator::role_arn(OWNER, "reader"), "RoleSessionName": "t"}),
        )
        .unwrap();
    let c = &a.body["Credentials"];
    let (id, key, token) = (
        c["TmpSecretId"].as_str().unwrap(),
        c["TmpSecretKey"].as_str().unwrap(),
        c["Token"].as_str().unwrap(),
    );
    for var in [
        "TENCENTCLOUD_TOKEN",
        "TENCENTCLOUD_SECURITY_TOKEN",
        "TENCENTCLOUD_SESSION_TOKEN",
    ] {
        let env = TestEnv::new();
        let vars = [
            ("TENCENTCLOUD_SECRET_ID", id),
            ("TENCENTCLOUD_SECRET_KEY", key),
            (var, token),
        ];
        let (doc, stderr) = audit_ci(&env, &w, &vars);
        assert_eq!(
            verification(&doc, 0)["owner"]["name"],
            "ci-deployer",
            "{var}: {stderr}"
        );
    }
    let env = TestEnv::new();
    let (_, stderr) = try_audit_ci(
        &env,
        &w,
        &[
            ("TENCENTCLOUD_SECRET_ID", id),
            ("TENCENTCLOUD_SECRET_KEY", key),
        ],
    );
    assert_eq!(
        stderr.matches("TokenFailure").count(),
        1,
        "the error is printed once: {stderr}"
    );
    assert!(!stderr.contains(id), "no full SecretId in errors: {stderr}");
}
