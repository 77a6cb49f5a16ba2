//! Asking the provider whether a found credential is live and who owns it,
//! every provider through the one seam (the `provider` trait, the
//! `registry`, the shared `http` toolkit): Tencent Cloud (`tencent`),
//! CDNetworks, Alibaba Cloud (with RAM for the user's own account), Qiniu,
//! Volcengine, Huawei Cloud and Baidu AI Cloud. With `action`,
//! the only place that opens network connections; only signatures leave
//! the machine, never a SecretKey or AccessKey secret. The result types live in
//! `finding::verification` (a finding carries its verification) and are
//! re-exported here.

pub mod alibaba;
pub mod baidu;
pub mod cdnetworks;
pub mod http;
pub mod huawei;
pub mod input;
pub mod provider;
pub mod qiniu;
pub mod registry;
pub mod tencent;
pub mod volcengine;

pub use crate::finding::verification::{KeyStatus, Outcome, Owner, Verification};
