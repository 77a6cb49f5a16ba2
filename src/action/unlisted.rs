//! Settling the targets the auditor's account does not list: a target found
//! with its SecretKey is checked with it (read-only), so a dead key becomes
//! "nothing to do" and a live key of another account a refusal that names
//! the owner to notify.

use super::{PlanItem, Step};
use crate::verify::tencent::account_index::AccountIndex;
use crate::verify::tencent::check::check_pair;
use crate::verify::tencent::client::{Client, Credential};
use crate::verify::{Outcome, Verification};

/// Checks every refused target that is missing from `index` and came with
/// a SecretKey, and turns its step into [`Step::NotLive`] or
/// [`Step::Foreign`] when the check settles it.
pub fn settle(client: &Client, index: &AccountIndex, items: &mut [PlanItem]) {
    let other = client.other_site();
    for it in items.iter_mut() {
        if !matches!(it.step, Step::Refused(_)) || index.resolve(&it.target.id).is_ok() {
            continue;
        }
        let Some(key) = &it.target.key else {
            continue;
        };
        let cred = Credential::new(it.target.id.as_str(), key.expose())
            .with_token(it.target.token.clone());
        let v = check_pair(client, other.as_ref(), &cred, false);
        it.step = step_for(&v, index);
    }
}

/// The step a target missing from `index` takes after a check of its pair
/// said `v`: nothing to do when it is not live, a refusal naming the owner
/// when it is another account's live key, a refusal saying why otherwise.
pub fn step_for(v: &Verification, index: &AccountIndex) -> Step {
    match v.outcome {
        Outcome::NotLive => Step::NotLive(v.detail.clone()),
        Outcome::Live => match &v.owner {
            Some(o) if o.owner_uin.as_deref() != Some(index.owner_uin.as_str()) => {
                Step::Foreign(o.clone())
            }
            _ => Step::Refused(format!(
                "live and of your account {}, but the auditor's credentials do not \
                     list it{}: disable it with the root account's credentials",
                index.owner_uin,
                if index.root_unchecked {
                    " (the root's keys need the root account to list)"
                } else {
                    ""
                }
            )),
        },
        Outcome::WrongKey | Outcome::Unknown | Outcome::Skipped => Step::Refused(format!(
            "not in your account {}, and checking it with its SecretKey could not \
                 settle whether it is live: {}",
            index.owner_uin, v.detail
        )),
    }
}
