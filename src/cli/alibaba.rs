//! What the Alibaba Cloud side of `disable` and `enable` needs: telling
//! AccessKey IDs and report findings apart, and planning in the account of
//! the user's own Alibaba Cloud credentials with the same plan, dry run,
//! journal and refusals as Tencent's keys.

use super::{message, plan};
use crate::action::{self, Change, Step, Target};
use crate::finding::SecretKind;
use crate::report::json::DocFinding;
use crate::rule::{RuleSet, VerifyWith};
use crate::verify::alibaba::ram::Ram;
use crate::verify::provider::Provider;
use crate::verify::registry::TIMEOUT;
use crate::verify::tencent::AccountIndex;

/// Whether `id` (whole or shortened) is a long-term Alibaba Cloud
/// AccessKey ID (`LTAI…`); STS ids are temporary and cannot be switched off.
pub(crate) fn is_access_key_id(id: &str) -> bool {
    id.starts_with("LTAI")
}

/// Whether a report's finding is an Alibaba Cloud AccessKey.
pub(crate) fn is_alibaba(rules: &RuleSet, f: &DocFinding) -> bool {
    rules
        .get(&f.rule)
        .is_some_and(|r| r.verify == Some(VerifyWith::Alibaba))
        || is_access_key_id(&f.secret)
}

/// The account of the user's own Alibaba Cloud key, indexed with RAM, and
/// the plan of `change` for `targets` in it.
pub(crate) struct Planned {
    /// RAM, signed with the user's key: what carries the plan out.
    pub ram: Ram,
    /// The account's keys.
    pub index: AccountIndex,
    /// What happens to each target.
    pub items: Vec<action::PlanItem>,
}

/// Plans `change` for `targets` in the account of the user's own Alibaba
/// Cloud key (indexed with RAM) and shows when each key to change was last
/// used; the caller prints the plan and carries it out like Tencent's.
pub(crate) fn plan(
    a: &plan::Alibaba,
    targets: &[Target],
    change: Change,
) -> anyhow::Result<Planned> {
    let Some(key) = a.key.clone() else {
        anyhow::bail!(
            "Alibaba Cloud keys to {}: set ALIBABA_CLOUD_ACCESS_KEY_ID and \
             ALIBABA_CLOUD_ACCESS_KEY_SECRET to your own account's credentials (only keys that \
             account lists are touched)",
            change.verb()
        );
    };
    let ram = Ram::new(a.endpoint.clone(), key, TIMEOUT)?;
    let index = ram
        .index()
        .map_err(|e| anyhow::anyhow!("cannot list your Alibaba Cloud account's keys: {e}"))?;
    for gap in &index.gaps {
        message::warn(gap);
    }
    let mut items = action::plan(&index, targets, change);
    settle(a, &index, &mut items)?;
    for it in &items {
        if let Step::Change(k) = &it.step {
            let used = match ram.last_used(k) {
                Ok(Some(d)) => format!("last used {d}"),
                Ok(None) => "never used".to_string(),
                Err(e) => format!("last use not read: {e}"),
            };
            println!(
                "{}",
                message::shown(&format!(
                    "{}: {used} (RAM GetAccessKeyLastUsed)",
                    crate::finding::redact(&k.id, SecretKind::Identifier)
                ))
            );
        }
    }
    Ok(Planned { ram, index, items })
}

/// Targets the account does not list but that came with their secret are
/// checked with it (STS GetCallerIdentity, read-only): a dead key is
/// nothing to do, a live key of another account a refusal naming it.
fn settle(
    a: &plan::Alibaba,
    index: &AccountIndex,
    items: &mut [action::PlanItem],
) -> anyhow::Result<()> {
    let mut checker = None;
    for it in items.iter_mut() {
        if !matches!(it.step, Step::Refused(_)) || index.resolve(&it.target.id).is_ok() {
            continue;
        }
        let Some(key) = &it.target.key else {
            continue;
        };
        if checker.is_none() {
            checker = Some(crate::verify::alibaba::Checker::new(
                a.endpoint.clone(),
                TIMEOUT,
            )?);
        }
        let Some(c) = checker.as_mut() else { continue };
        let id = crate::finding::Secret::new(it.target.id.as_str(), SecretKind::Identifier);
        let v = c.check(&id, Some(key), it.target.token.as_ref());
        it.step = action::unlisted::step_for(&v, index);
    }
    Ok(())
}
