//! Asking the provider whether a found credential is live and who owns it:
//! Tencent Cloud (`tencent`) and CDNetworks (`cdnetworks`). With `action`,
//! the only place that opens network connections; only signatures leave
//! the machine, never a SecretKey or AccessKey secret. The result types live in
//! `finding::verification` (a finding carries its verification) and are
//! re-exported here.

pub mod cdnetworks;
pub mod input;
pub mod tencent;

pub use crate::finding::verification::{KeyStatus, Outcome, Owner, Verification};
