//! `keyhound completions`: a shell completion script generated from the
//! clap definitions.

use super::args::{Cli, CompletionsArgs};
use super::exit::Exit;
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;

/// Prints the completion script for the chosen shell on standard output.
pub(crate) fn run(a: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "keyhound", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script to standard output")?;
    Ok(Exit::Clean)
}
