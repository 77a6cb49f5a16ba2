//! `keyhound man`: man pages generated from the clap definitions. The pages
//! carry the package version only, not the commit, so docs/man stays
//! unchanged from one commit to the next.

use super::args::{Cli, ManArgs};
use super::exit::Exit;
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;

/// Prints keyhound.1, or writes every command's page into `--dir`.
pub(crate) fn run(a: &ManArgs) -> anyhow::Result<Exit> {
    let cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    match &a.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating man page directory {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("rendering the man page")?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .context("writing the man page to standard output")?;
        }
    }
    Ok(Exit::Clean)
}
