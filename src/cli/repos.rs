//! `keyhound repos`: an organisation's clone URLs from its forge's API, one
//! per line (or JSON), for review and for `scan --repos`.

use super::exit::Exit;
use super::message;
use crate::diagnostic::Diagnostics;
use crate::finding::{Secret, SecretKind};
use crate::org::forge::{self, Forge, ListRequest, Listing};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `keyhound repos`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("owner").required(true).args(["github_org", "gitlab_group"]))]
pub(crate) struct ReposArgs {
    /// List the repositories of this GitHub organisation (token from
    /// GITHUB_TOKEN; without one, public repositories only).
    #[arg(long, value_name = "NAME")]
    pub github_org: Option<String>,
    /// List the projects of this GitLab group and its subgroups: a path
    /// (`parent/child`) or an id (token from GITLAB_TOKEN).
    #[arg(long, value_name = "GROUP")]
    pub gitlab_group: Option<String>,
    /// The API to ask (default https://api.github.com or https://gitlab.com;
    /// GitHub Enterprise: https://HOST/api/v3). https, or http to a
    /// loopback address.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Keep forks.
    #[arg(long)]
    pub include_forks: bool,
    /// Keep archived repositories.
    #[arg(long)]
    pub include_archived: bool,
    /// Wait at most this long for a rate limit to reset; a later reset is
    /// an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub max_wait: u64,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: ReposFormat,
    /// Write the list to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `repos --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReposFormat {
    /// One clone URL per line, sorted: a `scan --repos` file.
    Text,
    /// One JSON document: the forge, the owner and each repository.
    Json,
}

/// `keyhound repos`.
pub(crate) fn run(a: &ReposArgs) -> anyhow::Result<Exit> {
    let (forge, owner) = match (&a.github_org, &a.gitlab_group) {
        (Some(org), _) => (Forge::GitHub, org.clone()),
        (None, Some(group)) => (Forge::GitLab, group.clone()),
        (None, None) => anyhow::bail!("give --github-org or --gitlab-group"),
    };
    let token = std::env::var(forge.token_env())
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Secret::new(t.trim(), SecretKind::Key));
    let req = ListRequest {
        forge,
        owner,
        api_url: a.api_url.clone(),
        token,
        include_forks: a.include_forks,
        include_archived: a.include_archived,
        max_wait: Duration::from_secs(a.max_wait),
    };
    let diags = Diagnostics::new();
    let listed = forge::list(&req, &diags);
    message::flush(&diags);
    let listing = listed?;
    left_out(&listing);
    let written = match &a.output {
        Some(p) => super::output::write_file(p, |w| write(&req, &listing, a.format, w)),
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            write(&req, &listing, a.format, &mut w).and_then(|()| Ok(w.flush()?))
        }
    };
    match written {
        Err(e) if super::is_broken_pipe(&e) => Ok(Exit::Clean),
        other => other.map(|()| Exit::Clean),
    }
}

fn left_out(l: &Listing) {
    let mut parts = Vec::new();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if l.skipped_forks > 0 {
        let forks = plural(l.skipped_forks, "fork", "forks");
        parts.push(format!("{forks} (--include-forks)"));
    }
    if l.skipped_archived > 0 {
        let archived = plural(
            l.skipped_archived,
            "archived repository",
            "archived repositories",
        );
        parts.push(format!("{archived} (--include-archived)"));
    }
    if !parts.is_empty() {
        let d = Diagnostics::new();
        d.note(format!("left out {}", parts.join(" and ")));
        message::flush(&d);
    }
}

fn write(
    req: &ListRequest,
    l: &Listing,
    format: ReposFormat,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        ReposFormat::Text => {
            for r in &l.repos {
                writeln!(w, "{}", r.url)?;
            }
        }
        ReposFormat::Json => {
            let doc = serde_json::json!({
                "forge": req.forge,
                "owner": req.owner,
                "repositories": l.repos,
                "left_out": {"forks": l.skipped_forks, "archived": l.skipped_archived},
            });
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            writeln!(w)?;
        }
    }
    Ok(())
}
