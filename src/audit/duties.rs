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
    if !identities.is_empty() && !resources.is_empty() {
        out.problem(
            CheckId::DutiesNotSeparated,
            active.to_vec(),
            format!(
                "manages users and permissions through {}; manages other resources through {}",
                identities.join(", "),
                resources.join(", ")
            ),
        );
    } else if let Some(g) = gap {
        out.unknown(CheckId::DutiesNotSeparated, g);
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
    if !open.is_empty() {
        out.problem(
            CheckId::PolicyConditionMissing,
            active.to_vec(),
            format!("no source-address condition on {}", open.join(", ")),
        );
    } else if let Some(g) = gap {
        out.unknown(CheckId::PolicyConditionMissing, g);
    }
}
