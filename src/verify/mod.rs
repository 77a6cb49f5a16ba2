//! Asking Tencent whether a found credential is live and who owns it. With
//! `action`, the only place that opens network connections; only TC3
//! signatures leave the machine, never a SecretKey. The result types live in
//! `finding::verification` (a finding carries its verification) and are
//! re-exported here.

pub mod input;
pub mod tencent;

pub use crate::finding::verification::{KeyStatus, Outcome, Owner, Verification};
