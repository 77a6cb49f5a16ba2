//! The checks over what a key holder's policies grant taken together:
//! separation of duties (users and permissions vs other resources) and
//! source-address conditions on broad grants.

use super::checks::Out;
use super::powers::Powers;
use super::{AttachedPolicy, CheckId, Fact, Gap};

/// Grants shown per policy in evidence before "and N more".
const SHOWN: usize = 3;

/// `name (a, b, c and 2 more)`.
fn shown(p: &AttachedPolicy, grants: &[String]) -> String {
    let mut list = grants
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if grants.len() > SHOWN {
        list.push_str(&format!(" and {} more", grants.len() - SHOWN));
    }
    format!("{} ({list})", p.name)
}

/// An identity's policies whose grants were read, with them.
type Read<'a> = Vec<(&'a AttachedPolicy, &'a Powers)>;

/// The identity's policies with their powers, the first unreadable one's
/// gap, or `None` when policies were not read.
fn read<'a>(out: &mut Out<'a>, check: CheckId) -> Option<(Read<'a>, Option<&'a Gap>)> {
    let policies = match &out.identity.policies {
        None => return None,
        Some(Fact::Unknown(gap)) => {
            out.unknown(check, gap);
            return None;
        }
        Some(Fact::Known(p)) => p,
    };
    let mut known = Vec::new();
    let mut gap = None;
    for p in policies {
        match &p.powers {
            Fact::Known(pw) => known.push((p, pw)),
            Fact::Unknown(g) => gap = gap.or(Some(g)),
        }
    }
    Some((known, gap))
}

/// `duties-not-separated`: one key holder whose policies both manage
/// users and permissions and change other services' resources.
pub(super) fn separation(out: &mut Out<'_>, active: &[String]) {
    let Some((known, gap)) = read(out, CheckId::DutiesNotSeparated) else {
        return;
    };
    let identities: Vec<String> = known
        .iter()
        .filter(|(_, pw)| !pw.identities.is_empty())
        .map(|(p, pw)| shown(p, &pw.identities))
        .collect();
    let resources: Vec<String> = known
        .iter()
        .filter(|(_, pw)| !pw.resources.is_empty())
        .map(|(p, pw)| shown(p, &pw.resources))
        .collect();
    let found = (!identities.is_empty() && !resources.is_empty()).then(|| {
        format!(
            "manages users and permissions through {}; manages other resources through {}",
            identities.join(", "),
            resources.join(", ")
        )
    });
    settle(out, CheckId::DutiesNotSeparated, active, found, gap);
}

/// The problem found, else "not checked" when a policy could not be read.
fn settle(
    out: &mut Out<'_>,
    check: CheckId,
    active: &[String],
    found: Option<String>,
    gap: Option<&Gap>,
) {
    match (found, gap) {
        (Some(evidence), _) => out.problem(check, active.to_vec(), evidence),
        (None, Some(g)) => out.unknown(check, g),
        (None, None) => {}
    }
}

/// `policy-condition-missing`: a key holder with a broad grant (`*`, CAM
/// management, a service's writes by wildcard, on every resource) that no
/// source-address condition limits, in the policy or by a deny of every
/// action from other addresses.
pub(super) fn conditions(out: &mut Out<'_>, active: &[String]) {
    let Some((known, gap)) = read(out, CheckId::PolicyConditionMissing) else {
        return;
    };
    if known.iter().any(|(_, pw)| pw.fence) {
        return;
    }
    let open: Vec<String> = known
        .iter()
        .filter(|(_, pw)| !pw.unfenced.is_empty())
        .map(|(p, pw)| shown(p, &pw.unfenced))
        .collect();
    let found =
        (!open.is_empty()).then(|| format!("no source-address condition on {}", open.join(", ")));
    settle(out, CheckId::PolicyConditionMissing, active, found, gap);
}

#[cfg(test)]
mod tests {
    use super::super::powers::Powers;
    use super::super::{
        AccessKey, AttachedPolicy, Fact, Identity, IdentityKind, KeyStatus, Settings, Snapshot, run,
    };

    fn policy(name: &str, powers: Powers) -> AttachedPolicy {
        AttachedPolicy {
            id: 1,
            name: name.into(),
            via_groups: vec!["g".into()],
            admin: Fact::Known(None),
            powers: Fact::Known(powers),
        }
    }

    fn checks(policies: Vec<AttachedPolicy>) -> Vec<&'static str> {
        let now = 1_767_225_600;
        let i = Identity {
            uin: "2".into(),
            name: Some("bot".into()),
            kind: IdentityKind::SubUser,
            console_login: Fact::Known(false),
            keys: Fact::Known(vec![AccessKey {
                id: "AKIDtestAAAAAAAAAAAAAAAAAAAAAAAAAAA1".into(),
                state: KeyStatus::Active,
                created: Some(now),
                last_used: Fact::Known(Some(now)),
            }]),
            mfa: None,
            policies: Some(Fact::Known(policies)),
        };
        let snap = Snapshot {
            owner_uin: "1".into(),
            app_id: None,
            auditor_uin: "1".into(),
            identities: vec![i],
            gaps: vec![],
            alarms: None,
        };
        let a = run(&snap, &Settings::new(now));
        a.problems.iter().map(|p| p.check.id()).collect()
    }

    #[test]
    fn duties_are_judged_across_policies_and_a_deny_fence_covers_them_all() {
        let cam = Powers {
            identities: vec!["cam:CreateUser".into()],
            ..Powers::default()
        };
        let cvm = Powers {
            resources: vec!["cvm:*".into()],
            unfenced: vec!["cvm:* on *".into()],
            ..Powers::default()
        };
        let fence = Powers {
            fence: true,
            ..Powers::default()
        };
        assert_eq!(
            checks(vec![policy("a", cam.clone()), policy("b", cvm.clone())]),
            ["duties-not-separated", "policy-condition-missing"]
        );
        assert_eq!(
            checks(vec![
                policy("a", cam),
                policy("b", cvm.clone()),
                policy("c", fence)
            ]),
            ["duties-not-separated"]
        );
        assert_eq!(checks(vec![policy("b", cvm)]), ["policy-condition-missing"]);
    }
}
