//! The checks themselves: pure functions from one identity of a snapshot
//! (and the settings) to problems and "not checked" answers.

use super::{
    AccessKey, CheckId, Fact, Gap, Identity, IdentityKind, KeyStatus, NotChecked, Problem,
    Settings, Subject,
};

const DAY: i64 = 86_400;

/// `YYYY-MM-DD` of unix seconds (UTC).
pub fn date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs).map_or_else(
        |_| secs.to_string(),
        |t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
    )
}

fn days(settings: &Settings, since: i64) -> i64 {
    (settings.now - since).div_euclid(DAY)
}

pub(super) struct Out<'a> {
    pub(super) identity: &'a Identity,
    settings: &'a Settings,
    problems: &'a mut Vec<Problem>,
    not_checked: &'a mut Vec<NotChecked>,
}

impl Out<'_> {
    pub(super) fn problem(&mut self, check: CheckId, keys: Vec<String>, evidence: String) {
        if self.settings.runs(check) {
            self.problems.push(Problem {
                check,
                identity: Subject::of(self.identity),
                keys,
                evidence,
            });
        }
    }

    pub(super) fn unknown(&mut self, check: CheckId, gap: &Gap) {
        if self.settings.runs(check) {
            self.not_checked.push(NotChecked {
                check,
                identity: Some(Subject::of(self.identity)),
                gap: gap.clone(),
            });
        }
    }
}

fn last_use(k: &AccessKey) -> String {
    match &k.last_used {
        Fact::Known(Some(t)) => format!("last used {}", date(*t)),
        Fact::Known(None) => "never used".to_string(),
        Fact::Unknown(_) => "last use unknown".to_string(),
    }
}

fn created(k: &AccessKey) -> String {
    k.created.map_or_else(
        || "creation date unknown".to_string(),
        |t| format!("created {}", date(t)),
    )
}

/// Runs every chosen check on one identity.
pub fn identity(
    identity: &Identity,
    settings: &Settings,
    problems: &mut Vec<Problem>,
    not_checked: &mut Vec<NotChecked>,
) {
    let mut out = Out {
        identity,
        settings,
        problems,
        not_checked,
    };
    let keys = match &identity.keys {
        Fact::Known(k) => k,
        // The root's keys are reviewed under root-key-active: one answer
        // when they cannot be listed (a sub-user auditor never can).
        Fact::Unknown(gap) if identity.kind == IdentityKind::Root => {
            out.unknown(CheckId::RootKeyActive, gap);
            return mfa(&mut out, &[]);
        }
        Fact::Unknown(gap) => {
            for check in CheckId::ALL {
                if check != CheckId::RootKeyActive {
                    out.unknown(check, gap);
                }
            }
            return;
        }
    };
    for k in keys {
        key(&mut out, k);
    }
    if keys.len() >= 2 {
        let ids = keys.iter().map(|k| k.id.clone()).collect();
        let states: Vec<String> = keys
            .iter()
            .map(|k| format!("{:?}, {}", k.state, created(k)))
            .collect();
        out.problem(
            CheckId::UserTwoKeys,
            ids,
            format!("{} keys ({})", keys.len(), states.join("; ")),
        );
    }
    let active: Vec<String> = keys
        .iter()
        .filter(|k| k.state == KeyStatus::Active)
        .map(|k| k.id.clone())
        .collect();
    // The root account's MFA is checked whether or not it holds a key.
    if identity.kind == IdentityKind::Root {
        mfa(&mut out, &active);
        return;
    }
    if active.is_empty() {
        return;
    }
    mfa(&mut out, &active);
    admin(&mut out, &active);
    direct(&mut out, &active);
    super::duties::separation(&mut out, &active);
    super::duties::conditions(&mut out, &active);
    match &identity.console_login {
        Fact::Known(true) => out.problem(
            CheckId::ConsoleAndApi,
            active.clone(),
            format!(
                "console login allowed and {} active API key{}",
                active.len(),
                if active.len() == 1 { "" } else { "s" }
            ),
        ),
        Fact::Known(false) => {}
        Fact::Unknown(gap) => out.unknown(CheckId::ConsoleAndApi, gap),
    }
}

fn key(out: &mut Out<'_>, k: &AccessKey) {
    let settings = out.settings;
    if k.state == KeyStatus::Inactive {
        out.problem(
            CheckId::KeyDisabled,
            vec![k.id.clone()],
            format!("Inactive, {}, {}", created(k), last_use(k)),
        );
        return;
    }
    if out.identity.kind == IdentityKind::Root {
        out.problem(
            CheckId::RootKeyActive,
            vec![k.id.clone()],
            format!("Active root key, {}, {}", created(k), last_use(k)),
        );
    }
    let max_age = i64::from(settings.max_key_age_days);
    match k.created {
        Some(t) if days(settings, t) > max_age => out.problem(
            CheckId::KeyNotRotated,
            vec![k.id.clone()],
            format!(
                "created {} ({} days ago, limit {max_age})",
                date(t),
                days(settings, t)
            ),
        ),
        Some(_) => {}
        None => out.unknown(
            CheckId::KeyNotRotated,
            &Gap {
                action: "ListAccessKeys".into(),
                needs: "a CreateTime for the key".into(),
                reason: "Tencent gave no creation time".into(),
            },
        ),
    }
    let max_unused = i64::from(settings.max_unused_days);
    match (&k.last_used, k.created) {
        (Fact::Known(Some(t)), _) if days(settings, *t) > max_unused => out.problem(
            CheckId::KeyUnused,
            vec![k.id.clone()],
            format!(
                "last used {} ({} days ago, limit {max_unused})",
                date(*t),
                days(settings, *t)
            ),
        ),
        (Fact::Known(Some(_)), _) => {}
        (Fact::Known(None), Some(c)) if days(settings, c) > max_unused => out.problem(
            CheckId::KeyUnused,
            vec![k.id.clone()],
            format!(
                "never used, created {} ({} days ago, limit {max_unused})",
                date(c),
                days(settings, c)
            ),
        ),
        (Fact::Known(None), Some(_)) => {}
        (Fact::Known(None), None) => out.unknown(
            CheckId::KeyUnused,
            &Gap {
                action: "ListAccessKeys".into(),
                needs: "a CreateTime for the never-used key".into(),
                reason: "Tencent gave no creation time".into(),
            },
        ),
        (Fact::Unknown(gap), _) => out.unknown(CheckId::KeyUnused, gap),
    }
}

fn mfa(out: &mut Out<'_>, active: &[String]) {
    let m = match &out.identity.mfa {
        None => return,
        Some(Fact::Unknown(gap)) => {
            for c in [
                CheckId::MfaOff,
                CheckId::MfaLoginOff,
                CheckId::MfaOperationOff,
            ] {
                out.unknown(c, gap);
            }
            return;
        }
        Some(Fact::Known(m)) => m,
    };
    let on = |v: &[String]| {
        if v.is_empty() {
            "off".to_string()
        } else {
            format!("on ({})", v.join(", "))
        }
    };
    let evidence = format!(
        "login protection {}, sensitive-operation protection {}",
        on(&m.login),
        on(&m.action)
    );
    let check = match (m.login.is_empty(), m.action.is_empty()) {
        (true, true) => CheckId::MfaOff,
        (true, false) => CheckId::MfaLoginOff,
        (false, true) => CheckId::MfaOperationOff,
        (false, false) => return,
    };
    out.problem(check, active.to_vec(), evidence);
}

/// Policies attached to the user itself rather than through a group.
fn direct(out: &mut Out<'_>, active: &[String]) {
    let policies = match &out.identity.policies {
        None => return,
        Some(Fact::Unknown(gap)) => return out.unknown(CheckId::PolicyNotViaGroup, gap),
        Some(Fact::Known(p)) => p,
    };
    let mut names: Vec<String> = policies
        .iter()
        .filter(|p| p.via_groups.is_empty())
        .map(|p| p.name.clone())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return;
    }
    out.problem(
        CheckId::PolicyNotViaGroup,
        active.to_vec(),
        format!("attached directly: {}", names.join(", ")),
    );
}

fn admin(out: &mut Out<'_>, active: &[String]) {
    let policies = match &out.identity.policies {
        None => return,
        Some(Fact::Unknown(gap)) => return out.unknown(CheckId::AdminKey, gap),
        Some(Fact::Known(p)) => p,
    };
    let mut why = Vec::new();
    let mut gap = None;
    for p in policies {
        match &p.admin {
            Fact::Known(Some(reason)) => {
                let via = if p.via_groups.is_empty() {
                    "attached directly".to_string()
                } else {
                    format!("through group {}", p.via_groups.join(", "))
                };
                why.push(format!("{} ({reason}; {via})", p.name));
            }
            Fact::Known(None) => {}
            Fact::Unknown(g) => gap = gap.or(Some(g)),
        }
    }
    if why.is_empty() {
        if let Some(g) = gap {
            out.unknown(CheckId::AdminKey, g);
        }
        return;
    }
    for id in active {
        out.problem(CheckId::AdminKey, vec![id.clone()], why.join("; "));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AttachedPolicy, Mfa, run};
    use super::*;
    use crate::audit::Snapshot;

    const NOW: i64 = 1_767_225_600; // 2026-01-01
    const ID_A: &str = "AKIDtestAAAAAAAAAAAAAAAAAAAAAAAAAAA1";
    const ID_B: &str = "AKIDtestBBBBBBBBBBBBBBBBBBBBBBBBBBB2";

    fn key(id: &str, state: KeyStatus, age_days: i64, used_days_ago: Option<i64>) -> AccessKey {
        AccessKey {
            id: id.into(),
            state,
            created: Some(NOW - age_days * DAY),
            last_used: Fact::Known(used_days_ago.map(|d| NOW - d * DAY)),
        }
    }

    fn gap(action: &str) -> Gap {
        Gap {
            action: action.into(),
            needs: format!("cam:{action}"),
            reason: "AuthFailure.UnauthorizedOperation".into(),
        }
    }

    fn user(kind: IdentityKind, keys: Vec<AccessKey>) -> Identity {
        Identity {
            uin: "100000000002".into(),
            name: Some("alice".into()),
            kind,
            console_login: Fact::Known(false),
            keys: Fact::Known(keys),
            mfa: Some(Fact::Known(Mfa {
                login: vec!["Stoken".into()],
                action: vec!["Stoken".into()],
            })),
            policies: Some(Fact::Known(vec![])),
        }
    }

    fn audit(i: Identity) -> super::super::Audit {
        let snap = Snapshot {
            owner_uin: "100000000001".into(),
            app_id: None,
            auditor_uin: "100000000001".into(),
            identities: vec![i],
            gaps: vec![],
            alarms: None,
        };
        run(&snap, &Settings::new(NOW))
    }

    fn ids(a: &super::super::Audit) -> Vec<&'static str> {
        a.problems.iter().map(|p| p.check.id()).collect()
    }

    #[test]
    fn a_fresh_used_key_of_a_careful_user_is_clean() {
        let a = audit(user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 30, Some(1))],
        ));
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert!(a.not_checked.is_empty(), "{:?}", a.not_checked);
    }

    #[test]
    fn root_keys_are_flagged_when_active_only() {
        let a = audit(user(
            IdentityKind::Root,
            vec![key(ID_A, KeyStatus::Active, 10, Some(1))],
        ));
        assert_eq!(ids(&a), ["root-key-active"]);
        assert!(a.problems[0].evidence.contains("last used 2025-12-31"));
        let a = audit(user(
            IdentityKind::Root,
            vec![key(ID_A, KeyStatus::Inactive, 10, None)],
        ));
        assert_eq!(ids(&a), ["key-disabled"]);
    }

    #[test]
    fn age_and_use_limits_are_strictly_greater_than() {
        let a = audit(user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 90, Some(90))],
        ));
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        let a = audit(user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 91, Some(91))],
        ));
        assert_eq!(ids(&a), ["key-unused", "key-not-rotated"]);
        let a = audit(user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 91, None)],
        ));
        assert!(
            a.problems[0].evidence.starts_with("never used"),
            "{:?}",
            a.problems
        );
        let a = audit(user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 20, None)],
        ));
        assert!(
            a.problems.is_empty(),
            "new and unused is fine: {:?}",
            a.problems
        );
    }

    #[test]
    fn two_keys_mfa_console_and_admin() {
        let mut u = user(
            IdentityKind::SubUser,
            vec![
                key(ID_A, KeyStatus::Active, 1, Some(0)),
                key(ID_B, KeyStatus::Active, 2, Some(0)),
            ],
        );
        u.console_login = Fact::Known(true);
        u.mfa = Some(Fact::Known(Mfa::default()));
        u.policies = Some(Fact::Known(vec![AttachedPolicy {
            id: 1,
            name: "AdministratorAccess".into(),
            via_groups: vec!["ops".into()],
            admin: Fact::Known(Some("preset administrator policy".into())),
            powers: Fact::Known(Default::default()),
        }]));
        let a = audit(u);
        assert_eq!(
            ids(&a),
            [
                "user-two-keys",
                "mfa-off",
                "admin-key",
                "admin-key",
                "console-and-api"
            ]
        );
        let mfa = &a.problems[1];
        assert_eq!(
            mfa.evidence,
            "login protection off, sensitive-operation protection off"
        );
        assert_eq!(mfa.keys.len(), 2);
        assert!(a.problems[2].evidence.contains("through group ops"));
    }

    #[test]
    fn login_and_operation_protection_are_checked_apart() {
        for (login, action, want) in [
            (vec!["Phone"], vec![], vec!["mfa-operation-off"]),
            (vec![], vec!["Stoken"], vec!["mfa-login-off"]),
            (vec!["Phone"], vec!["Stoken"], vec![]),
        ] {
            let mut u = user(
                IdentityKind::SubUser,
                vec![key(ID_A, KeyStatus::Active, 1, Some(0))],
            );
            u.mfa = Some(Fact::Known(Mfa {
                login: login.into_iter().map(String::from).collect(),
                action: action.into_iter().map(String::from).collect(),
            }));
            assert_eq!(ids(&audit(u)), want);
        }
        // The root account's MFA counts whether or not it holds a key.
        let mut root = user(IdentityKind::Root, vec![]);
        root.mfa = Some(Fact::Known(Mfa {
            login: vec!["Phone".into()],
            action: vec![],
        }));
        assert_eq!(ids(&audit(root)), ["mfa-operation-off"]);
    }

    #[test]
    fn policies_attached_directly_are_flagged_group_ones_are_not() {
        let policy = |name: &str, groups: &[&str]| AttachedPolicy {
            id: 9,
            name: name.into(),
            via_groups: groups.iter().map(|g| g.to_string()).collect(),
            admin: Fact::Known(None),
            powers: Fact::Known(Default::default()),
        };
        let mut u = user(
            IdentityKind::SubUser,
            vec![key(ID_A, KeyStatus::Active, 1, Some(0))],
        );
        u.policies = Some(Fact::Known(vec![policy("cos-read", &["readers"])]));
        assert!(ids(&audit(u.clone())).is_empty());
        u.policies = Some(Fact::Known(vec![
            policy("cos-read", &["readers"]),
            policy("cvm-admin", &[]),
        ]));
        let a = audit(u);
        assert_eq!(ids(&a), ["policy-not-via-group"]);
        assert_eq!(a.problems[0].evidence, "attached directly: cvm-admin");
    }

    #[test]
    fn what_cannot_be_read_is_not_checked_never_passed() {
        let mut u = user(
            IdentityKind::SubUser,
            vec![AccessKey {
                last_used: Fact::Unknown(gap("GetSecurityLastUsed")),
                ..key(ID_A, KeyStatus::Active, 1, None)
            }],
        );
        u.mfa = Some(Fact::Unknown(gap("DescribeSafeAuthFlagColl")));
        u.policies = Some(Fact::Known(vec![AttachedPolicy {
            id: 7,
            name: "custom".into(),
            via_groups: vec!["ops".into()],
            admin: Fact::Unknown(gap("GetPolicy")),
            powers: Fact::Unknown(gap("GetPolicy")),
        }]));
        u.console_login = Fact::Unknown(gap("ListUsers"));
        let a = audit(u);
        assert!(a.problems.is_empty());
        let nc: Vec<(&str, &str)> = a
            .not_checked
            .iter()
            .map(|n| (n.check.id(), n.gap.action.as_str()))
            .collect();
        assert_eq!(
            nc,
            [
                ("key-unused", "GetSecurityLastUsed"),
                ("mfa-off", "DescribeSafeAuthFlagColl"),
                ("mfa-login-off", "DescribeSafeAuthFlagColl"),
                ("mfa-operation-off", "DescribeSafeAuthFlagColl"),
                ("admin-key", "GetPolicy"),
                ("console-and-api", "ListUsers"),
                ("duties-not-separated", "GetPolicy"),
                ("policy-condition-missing", "GetPolicy")
            ]
        );
        let mut root = user(IdentityKind::Root, vec![]);
        root.keys = Fact::Unknown(gap("ListAccessKeys"));
        let a = audit(root);
        let nc: Vec<CheckId> = a.not_checked.iter().map(|n| n.check).collect();
        assert_eq!(nc, [CheckId::RootKeyActive]);
    }

    #[test]
    fn skipped_checks_neither_report_nor_ask() {
        let mut u = user(
            IdentityKind::Root,
            vec![key(ID_A, KeyStatus::Active, 400, Some(200))],
        );
        u.keys = Fact::Known(vec![key(ID_A, KeyStatus::Active, 400, Some(200))]);
        let snap = Snapshot {
            owner_uin: "1".into(),
            app_id: None,
            auditor_uin: "1".into(),
            identities: vec![u],
            gaps: vec![gap("ListCollaborators")],
            alarms: None,
        };
        let mut s = Settings::new(NOW);
        s.checks = [CheckId::KeyUnused].into_iter().collect();
        let a = run(&snap, &s);
        assert_eq!(ids(&a), ["key-unused"]);
        assert_eq!(a.not_checked.len(), 1);
        assert_eq!(a.not_checked[0].check, CheckId::KeyUnused);
        assert!(a.not_checked[0].identity.is_none());
    }
}
