//! Who may audit: a sub-user auditor's missing permissions, accounts without
//! the split policy calls, refused lists, exit codes.

use super::*;

#[test]
fn a_sub_user_auditor_gets_not_checked_with_the_permission_needed() {
    let a = account();
    a.em.deny(AUDITOR, "ListAttachedUserPolicies");
    a.em.deny(AUDITOR, "ListAttachedUserAllPolicies");
    a.em.deny(AUDITOR, "DescribeSafeAuthFlagColl");
    let (code, v, err) = json_run(&a.em, &a.auditor, &[]);
    assert_eq!(code, 1, "{err}");
    let f = found(&v);
    let mut expected = planted();
    for gone in [
        ("root-key-active", "root"),
        ("admin-key", "admin-direct-bot"),
        ("policy-not-via-group", "admin-direct-bot"),
        ("admin-key", "admin-group-bot"),
        ("admin-key", "cam-attach-bot"),
        ("admin-key", "cam-full-bot"),
        ("mfa-operation-off", "login-mfa-only-bot"),
        ("mfa-login-off", "operation-mfa-only-bot"),
        ("mfa-off", "wecom-bot"),
        ("mfa-off", "no-mfa-bot"),
    ]
    .into_iter()
    .chain(GRANT_PROBLEMS)
    {
        expected.remove(&(gone.0.to_string(), gone.1.to_string()));
    }
    assert_eq!(f, expected, "{v:#}");
    let nc = v["not_checked"].as_array().unwrap();
    let root = nc
        .iter()
        .find(|n| n["check"] == "root-key-active")
        .expect("root keys not checked");
    assert!(
        root["needs"]
            .as_str()
            .unwrap()
            .contains("root account credentials"),
        "{root}"
    );
    assert!(
        root["reason"]
            .as_str()
            .unwrap()
            .contains("OperationDenied.SubUin")
    );
    let admin: Vec<&Value> = nc.iter().filter(|n| n["check"] == "admin-key").collect();
    assert!(
        admin.len() >= 10,
        "every key holder's admin-key is not checked: {admin:?}"
    );
    assert!(
        admin[0]["needs"]
            .as_str()
            .unwrap()
            .contains("cam:ListAttachedUserAllPolicies"),
        "{:?}",
        admin[0]
    );
    assert!(
        nc.iter()
            .any(|n| n["check"] == "mfa-off" && n["needs"] == "cam:DescribeSafeAuthFlagColl")
    );
}

#[test]
fn without_the_split_route_the_all_policies_list_is_used() {
    let a = account();
    a.em.deny(AUDITOR, "ListAttachedUserPolicies");
    let (code, v, err) = json_run(&a.em, &a.auditor, &["--skip", "root-key-active"]);
    assert_eq!(code, 1, "{err}");
    let f = found(&v);
    assert!(
        f.contains(&("admin-key".into(), "admin-direct-bot".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("admin-key".into(), "admin-group-bot".into())),
        "{f:?}"
    );
    assert!(a.em.calls("ListAttachedUserAllPolicies") > 0);
    // Only the root's MFA, which a sub-user auditor cannot read.
    let nc = v["not_checked"].as_array().unwrap();
    assert_eq!(nc.len(), 3, "{v:#}");
    assert!(
        nc.iter()
            .all(|n| n["action"] == "DescribeSafeAuthFlag" && n["identity"]["type"] == "root"),
        "{v:#}"
    );
}

#[test]
fn an_account_without_the_split_calls_is_read_with_the_all_policies_list() {
    let a = account();
    for action in [
        "ListAttachedUserPolicies",
        "ListGroupsForUser",
        "ListAttachedGroupPolicies",
    ] {
        a.em.unsupported(action);
    }
    let (code, v, err) = json_run(&a.em, &a.root, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found(&v), planted(), "{v:#}");
    assert!(v["not_checked"].as_array().unwrap().is_empty(), "{v:#}");
    assert!(
        a.em.calls("ListAttachedUserPolicies") <= 12,
        "the missing action is given up after the calls already in flight"
    );
    assert!(a.em.calls("ListAttachedUserAllPolicies") >= 12);
}

#[test]
fn a_refused_group_list_falls_back_to_the_users_whole_list() {
    let a = account();
    a.em.deny(AUDITOR, "ListAttachedGroupPolicies");
    let (code, v, err) = json_run(&a.em, &a.auditor, &["--check", "admin-key"]);
    assert_eq!(code, 1, "{err}");
    let f = found(&v);
    assert!(
        f.contains(&("admin-key".into(), "admin-group-bot".into())),
        "{f:?}"
    );
    assert!(v["not_checked"].as_array().unwrap().is_empty(), "{v:#}");
    a.em.deny(AUDITOR, "ListAttachedUserAllPolicies");
    let (_, v, _) = json_run(&a.em, &a.auditor, &["--check", "admin-key"]);
    let nc = v["not_checked"].as_array().unwrap();
    assert!(
        nc.iter().any(|n| n["identity"]["name"] == "admin-group-bot"
            && n["needs"] == "cam:ListAttachedGroupPolicies"),
        "{v:#}"
    );
}

#[test]
fn a_clean_account_exits_0_and_an_unanswerable_check_exits_2() {
    let em = Emulator::start();
    em.account(OWNER, 1_300_000_001);
    em.policy(2, "QcloudCOSReadOnlyAccess", true, COS_READ_DOC);
    let auditor = pair(2);
    em.user(OWNER, AUDITOR, "clean-auditor", Kind::SubUser, true, false);
    em.key(AUDITOR, &auditor.0, &auditor.1, "Active");
    em.set_created(&auditor.0, &ago(5));
    em.set_last_used(&auditor.0, &ago(0)[..10]);
    em.group(501, "readers", &[2]);
    em.mfa(AUDITOR, &["Token"], &["Token"]).join(AUDITOR, 501);
    careful_user(&em, 11, "clean-bot", 11);
    // A sub-user auditor can read neither the root's keys nor its MFA.
    let root_only = [&["--skip", "root-key-active"][..], &SKIP_MFA[..]].concat();
    let Run {
        code,
        stdout: out,
        stderr: err,
    } = run(&em, &auditor, &root_only);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("0 problems under 0 checks, 0 not checked"),
        "{out}"
    );
    let Run {
        code, stdout: out, ..
    } = run(&em, &auditor, &["--skip", "root-key-active"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not checked (3)") && out.contains("DescribeSafeAuthFlag"),
        "{out}"
    );
    let Run {
        code,
        stdout: out,
        stderr: err,
    } = run(&em, &auditor, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.contains("not checked (4)"), "{out}");
    assert!(err.contains("could not be answered"), "{err}");
}
