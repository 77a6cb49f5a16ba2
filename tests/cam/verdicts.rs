//! Verdicts that hold against Tencent's documented behaviour: last use read
//! before keyhound touches the key, parameter errors and STS disagreement
//! never turned into live/not live, wrong keys retried with the other keys
//! nearby, both sites tried, every identity type attributed, role sessions
//! keeping their ARN.

use super::emulator::{Emulator, Kind};
use super::{OWNER, audited, pair, report, verification, verify_json, world};
use crate::util::{RunExt, TestEnv};
use keyhound::finding::{Fingerprint, Secret, SecretKind};
use keyhound::verify::tencent::Action;
use keyhound::verify::tencent::{Client, ClientOptions, Credential, Endpoints};
use serde_json::{Value, json};

fn verify_pair(w: &super::World, id: &str, key: &str, extra: &[&str]) -> Value {
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", id, Some(key), "a")], false),
    );
    let (doc, _) = verify_json(&env, w, extra);
    verification(&doc, 0).clone()
}

#[test]
fn last_use_is_read_with_the_auditor_before_the_key_signs_anything() {
    let w = world();
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(&[("tencent.secret-id", &w.ci.0, Some(&w.ci.1), "a")], false),
    );
    let out = audited(
        &env,
        &w,
        &["verify", "--from", "r.json", "--format", "json", "--audit"],
    );
    let doc: Value = out.json();
    let v = verification(&doc, 0);
    assert_eq!(v["outcome"], "live", "{v}");
    assert_eq!(v["last_used"], "2026-11-20T08:00:00Z", "{v}");
    assert!(
        v["last_used_note"]
            .as_str()
            .unwrap()
            .contains("read with the auditor's credentials"),
        "{v}"
    );
    // keyhound's own check was a use: the emulator saw it afterwards.
    let seen = w.em.last_used_ms(&w.ci.0).unwrap();
    assert!(seen > 1_795_000_000_000, "{seen}");
    let reqs = w.em.requests();
    let signed_by = |r: &super::emulator::Recorded, id: &str| {
        r.header("authorization")
            .is_some_and(|a| a.contains(&format!("Credential={id}/")))
    };
    let first_leaked = reqs.iter().position(|r| signed_by(r, &w.ci.0)).unwrap();
    let last_used = reqs
        .iter()
        .position(|r| r.action == "GetSecurityLastUsed")
        .unwrap();
    assert!(last_used < first_leaked, "last use read first");
    assert!(signed_by(&reqs[last_used], &w.auditor.0));
    assert_eq!(
        reqs.iter()
            .filter(|r| signed_by(r, &w.ci.0) && r.action == "GetSecurityLastUsed")
            .count(),
        0,
        "no own GetSecurityLastUsed once the auditor answered"
    );
}

#[test]
fn parameter_errors_are_unknown_never_live() {
    let w = world();
    w.em.fail(&w.ci.0, "GetUserAppId", "InvalidParameter.ParamError");
    w.em.fail(&w.ci.0, "GetCallerIdentity", "MissingParameter");
    let v = verify_pair(&w, &w.ci.0, &w.ci.1, &[]);
    assert_eq!(v["outcome"], "unknown", "{v}");
}

#[test]
fn cam_live_with_sts_not_live_stays_live() {
    let w = world();
    w.em.fail(&w.ci.0, "GetUserAppId", "AuthFailure.UnauthorizedOperation");
    w.em.fail(&w.ci.0, "GetCallerIdentity", "AuthFailure.AccessKeyIllegal");
    let v = verify_pair(&w, &w.ci.0, &w.ci.1, &[]);
    assert_eq!(v["outcome"], "live", "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("STS disagrees"),
        "{v}"
    );
}

#[test]
fn a_wrong_key_is_its_own_outcome_and_the_other_keys_nearby_are_tried() {
    let w = world();
    let env = TestEnv::new();
    // Two ids, each written next to the other's key.
    env.write(
        "conf/app.env",
        format!(
            "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n\n\n\n\n\n\n\n\n\
             TENCENT_SECRET_ID={}\nTENCENT_SECRET_KEY={}\n",
            w.ci.0, w.root.1, w.root.0, w.ci.1
        ),
    );
    let out = env
        .cmd()
        .args(["scan", ".", "--format", "json", "--verify"])
        .args(["--endpoint", &w.em.url()])
        .run();
    let doc: Value = out.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{doc}");
    for f in findings {
        let v = &f["verification"];
        assert_eq!(v["outcome"], "live", "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("another SecretKey"),
            "{v}"
        );
    }
    assert!(
        w.em.requests()
            .iter()
            .any(|r| r.error.as_deref() == Some("AuthFailure.SignatureFailure"))
    );
    let alone = verify_pair(&w, &w.ci.0, &w.root.1, &[]);
    assert_eq!(alone["outcome"], "wrong_key", "{alone}");
}

#[test]
fn an_id_unknown_on_one_site_is_tried_on_the_other() {
    let w = world();
    let intl = w.em.intl_site();
    w.em.on_intl_site(&w.partner.0);
    let other = ["--other-site-endpoint", &intl.url()];
    let v = verify_pair(&w, &w.partner.0, &w.partner.1, &other);
    assert_eq!(v["outcome"], "live", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("other site"), "{v}");
    let unknown = pair("IKID", 4242);
    let v = verify_pair(&w, &unknown.0, &unknown.1, &other);
    assert_eq!(v["outcome"], "not_live", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("both"), "{v}");
    let without = verify_pair(&w, &w.partner.0, &w.partner.1, &[]);
    assert_eq!(without["outcome"], "not_live", "{without}");
}

#[test]
fn every_identity_type_is_listed_across_pages() {
    let w = world();
    let wecom = pair("AKID", 8100);
    w.em.user(
        OWNER,
        100_000_000_100,
        "wecom-ops",
        Kind::WeComUser,
        false,
        false,
    );
    w.em.key(100_000_000_100, &wecom.0, &wecom.1, "Active");
    for i in 0..101 {
        let uin = 100_000_001_000 + i;
        w.em.user(OWNER, uin, &format!("svc-{i}"), Kind::SubUser, false, false);
    }
    let last = pair("AKID", 8200);
    w.em.user(
        OWNER,
        100_000_002_000,
        "zz-cic",
        Kind::CicUser,
        false,
        false,
    );
    w.em.key(100_000_002_000, &last.0, &last.1, "Active");
    let env = TestEnv::new();
    env.write(
        "r.json",
        report(
            &[
                ("tencent.secret-id", &wecom.0, None, "a"),
                ("tencent.secret-id", &last.0, None, "b"),
                ("tencent.secret-id", &w.partner.0, None, "c"),
            ],
            false,
        ),
    );
    let out = env
        .cmd()
        .args(["verify", "--from", "r.json", "--format", "json", "--audit"])
        .args(["--endpoint", &w.em.url()])
        .env("TENCENTCLOUD_SECRET_ID", &w.root.0)
        .env("TENCENTCLOUD_SECRET_KEY", &w.root.1)
        .run();
    let doc: Value = out.json();
    assert_eq!(verification(&doc, 0)["owner"]["principal"], "wecom-user");
    assert_eq!(verification(&doc, 1)["owner"]["principal"], "cic-user");
    assert_eq!(verification(&doc, 2)["owner"]["principal"], "collaborator");
    assert!(w.em.calls("ListAccounts") >= 2, "paged");
    let reqs = w.em.requests();
    assert!(
        reqs.iter()
            .filter(|r| r.action == "ListAccounts")
            .all(|r| r.body.contains("\"MaxItems\":100"))
    );
}

#[test]
fn role_sessions_keep_their_role_arn_and_id() {
    let w = world();
    w.em.role(OWNER, 4_611_686_018_427_387_907, "deployer", false, false);
    let client = Client::new(
        Endpoints::custom(&w.em.url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let long = Credential::new(w.ci.0.as_str(), w.ci.1.as_str());
    let a = client
        .call(
            &long,
            Action::AssumeRole,
            &json!({"RoleArn": Emulator::role_arn(OWNER, "deployer"), "RoleSessionName": "ci"}),
        )
        .unwrap();
    let c = &a.body["Credentials"];
    let fp = Fingerprint::of(
        "tencent.secret-id",
        &Secret::new(c["TmpSecretId"].as_str().unwrap(), SecretKind::Identifier),
        Some(&Secret::new(
            c["TmpSecretKey"].as_str().unwrap(),
            SecretKind::Key,
        )),
    );
    let env = TestEnv::new();
    let r = json!([{
        "fingerprint": fp.as_str(), "rule": "tencent.secret-id", "name": "t", "severity": "critical",
        "secret": c["TmpSecretId"], "key": c["TmpSecretKey"], "token": c["Token"],
        "redacted": false, "in_head": null, "verification": null,
        "locations": [{"kind": "file", "path": "a", "line": 1, "column": 1, "end_line": 1,
          "end_column": 2, "key_line": null, "key_column": null, "commit": null, "snippet": "x"}]}]);
    let mut doc: Value = serde_json::from_str(&report(&[], false)).unwrap();
    doc["findings"] = r;
    env.write("r.json", doc.to_string());
    let (out, _) = verify_json(&env, &w, &[]);
    let v = verification(&out, 0);
    assert_eq!(v["outcome"], "live", "{v}");
    assert_eq!(v["owner"]["principal"], "role", "{v}");
    assert_eq!(v["owner"]["role_id"], "4611686018427387907", "{v}");
    assert!(
        v["owner"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/4611686018427387907"),
        "{v}"
    );
}
