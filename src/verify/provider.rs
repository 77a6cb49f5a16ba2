//! The provider seam: the one trait a provider's live check implements
//! (CDNetworks, Alibaba Cloud, Qiniu...). [`super::registry`] names every
//! provider that implements it.

use crate::finding::Secret;
use crate::verify::Verification;

/// A provider's live check of one credential found by one of its rules.
pub trait Provider {
    /// Checks `id` with the key (and, for a temporary credential, the token)
    /// found with it; only signatures leave the machine. Without a key
    /// nothing is sent and the verdict says so.
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification;
}
