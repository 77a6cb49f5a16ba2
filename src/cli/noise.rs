//! `--config`, `--baseline` and the other noise-control flags of `scan`, and
//! `keyhound baseline`. Owned by the noise-control work (issue 5).

use clap::Args;

/// Noise-control options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct NoiseArgs {}
