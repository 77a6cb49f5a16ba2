//! `keyhound rules list|check`. Owned by the core-scanner work (issue 2).

use super::{Exit, GlobalArgs};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules in force.
    List,
    /// Check rule files (default: the built-in rules): ids, patterns, examples.
    Check {
        /// Rule files to check.
        files: Vec<PathBuf>,
    },
}

pub(crate) fn run(_g: &GlobalArgs, _c: &RulesCommand) -> anyhow::Result<Exit> {
    Ok(Exit::Clean)
}
