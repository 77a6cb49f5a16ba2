//! What the audit reports: every planted problem and nothing else, unreadable
//! documents, thresholds.

use super::*;

#[test]
fn every_planted_problem_is_reported_and_nothing_else() {
    let a = account();
    let (code, v, err) = json_run(&a.em, &a.root, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found(&v), planted(), "{v:#}");
    assert_eq!(v["not_checked"].as_array().unwrap().len(), 0, "{v:#}");
    assert_eq!(v["account"]["owner_uin"], OWNER.to_string());
    let text = v.to_string();
    assert!(
        !text.contains(&a.root.0),
        "SecretIds are shortened by default"
    );
    for p in v["problems"].as_array().unwrap() {
        assert!(!p["advice"].as_str().unwrap().is_empty());
        assert!(!p["evidence"].as_str().unwrap().is_empty());
        assert!(p["identity"]["uin"].is_string() && p["identity"]["type"].is_string());
        assert!(
            p["access_key_ids"][0].as_str().unwrap().contains('…'),
            "{p}"
        );
    }
    let admin_group = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["check"] == "admin-key" && p["identity"]["name"] == "admin-group-bot")
        .unwrap();
    assert!(
        admin_group["evidence"]
            .as_str()
            .unwrap()
            .contains("everything-custom (allows action * on resource *; through group ops)"),
        "{admin_group}"
    );
    let evidence = |check: &str, name: &str| -> String {
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["check"] == check && p["identity"]["name"] == name)
            .map(|p| p["evidence"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        evidence("duties-not-separated", "split-duties-bot"),
        "manages users and permissions through cam-users-ip-bound \
         (cam:AttachUserPolicy, cam:CreateUser); manages other resources through \
         cvm-ops-ip-bound (cvm:*)"
    );
    assert_eq!(
        evidence("policy-condition-missing", "cam-attach-bot"),
        "no source-address condition on grant-anything (cam:AttachUserPolicy on *)"
    );
    assert!(
        evidence("policy-condition-missing", "cam-full-bot")
            .contains("QcloudCamFullAccess (cam:* on *)"),
        "a preset without a document is judged by its name"
    );
    assert_eq!(a.em.actions_outside(&read_only()), Vec::<String>::new());
    for state_changing in keyhound::verify::tencent::api::STATE_CHANGING {
        assert_eq!(a.em.calls(state_changing.name()), 0);
    }
    // The 20/s route was used, not the 5/s ListAttachedUserAllPolicies.
    assert_eq!(a.em.calls("ListAttachedUserAllPolicies"), 0);
    assert!(a.em.calls("ListAttachedUserPolicies") > 0);
}

#[test]
fn unreadable_policy_documents_leave_the_grant_checks_not_checked() {
    let a = account();
    a.em.deny(AUDITOR, "GetPolicy");
    let checks = [
        "--check",
        "duties-not-separated",
        "--check",
        "policy-condition-missing",
    ];
    let (code, v, err) = json_run(&a.em, &a.auditor, &checks);
    assert_eq!(code, 1, "{err}");
    // Full-access presets are judged by name; custom documents are unread.
    let f = found(&v);
    let expected: BTreeSet<(String, String)> = [
        ("duties-not-separated", "admin-direct-bot"),
        ("policy-condition-missing", "admin-direct-bot"),
        ("policy-condition-missing", "cam-full-bot"),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    assert_eq!(f, expected, "{v:#}");
    let nc: BTreeSet<(String, String)> = v["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|n| assert_eq!(n["needs"], "cam:GetPolicy", "{n}"))
        .map(|n| {
            let who = n["identity"]["name"].as_str().unwrap_or("account");
            (n["check"].as_str().unwrap().to_string(), who.to_string())
        })
        .collect();
    for name in [
        "split-duties-bot",
        "unbound-cvm-bot",
        "clean-deployer",
        "admin-group-bot",
    ] {
        for check in ["duties-not-separated", "policy-condition-missing"] {
            assert!(
                nc.contains(&(check.to_string(), name.to_string())),
                "{check} {name}: {v:#}"
            );
        }
    }
    assert!(
        !nc.iter()
            .any(|(_, n)| n == "no-mfa-bot" || n == "cam-full-bot"),
        "no policy, or presets decided by name: {v:#}"
    );
}

#[test]
fn console_login_comes_from_get_user_when_the_list_leaves_it_out() {
    let a = account();
    a.em.lists_without_console();
    let (code, v, err) = json_run(&a.em, &a.root, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found(&v), planted(), "{v:#}");
    assert!(a.em.calls("GetUser") > 0);
    let (_, v, _) = json_run(&a.em, &a.root, &["--skip", "console-and-api"]);
    assert!(v["not_checked"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn thresholds_move_the_age_and_use_checks() {
    let a = account();
    let (code, v, err) = json_run(
        &a.em,
        &a.root,
        &["--max-unused", "365", "--max-key-age", "500"],
    );
    assert_eq!(code, 1, "{err}");
    let f = found(&v);
    assert!(!f.iter().any(|(c, _)| c == "key-not-rotated"), "{f:?}");
    assert!(
        !f.contains(&("key-unused".into(), "stale-bot".into())),
        "{f:?}"
    );
    assert_eq!(v["settings"]["max_unused_days"], 365);
}
