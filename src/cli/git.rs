//! Git flags of `keyhound scan` and `keyhound install-hook`. Owned by the
//! git-history work (issue 3).

use clap::Args;

/// Git options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct GitScanArgs {}
