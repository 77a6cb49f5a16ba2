//! The provider seam: the one trait a provider's live check implements
//! (Tencent Cloud, CDNetworks, Alibaba Cloud, Qiniu...). [`super::registry`]
//! names every provider that implements it.

use crate::finding::{Finding, Secret};
use crate::verify::Verification;

/// A provider's live check of one credential found by one of its rules.
pub trait Provider {
    /// Checks `id` with the key (and, for a temporary credential, the token)
    /// found with it; only signatures leave the machine. Without a key
    /// nothing is sent and the verdict says so.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification;

    /// Fills `verification` of every finding `mine` accepts. By default each
    /// is checked in turn; a provider that reads more than one credential at
    /// a time (Tencent: last use of all ids first, pairs in parallel, other
    /// keys of the same file after a wrong key) answers the whole batch.
    fn verify_findings(&mut self, findings: &mut [Finding], mine: &dyn Fn(&Finding) -> bool) {
        for f in findings.iter_mut().filter(|f| mine(f)) {
            f.verification = Some(self.check(&f.secret, f.key.as_ref(), f.token.as_ref()));
        }
    }
}
