//! `--verify` of `keyhound scan`, and `verify`, `disable`, `enable`. Owned by
//! the CAM work (issue 4).

use clap::Args;

/// Verification options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct VerifyScanArgs {}
