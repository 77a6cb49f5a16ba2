//! Organisation scans on the command line: resolving `--repos`, `--shard`
//! and several or remote `--git` paths into one plan, and `keyhound report
//! merge`.

use super::args::{GitScanArgs, MergeArgs};
use super::exit::Exit;
use super::message;
use super::plan::{self, Source};
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::org::list::{self, RepoEntry};
use crate::org::scan::{Earlier, OrgPlan};
use crate::org::{clone, merge};
use crate::report::{self, Format, WriteOptions};
use crate::scan::git::HistoryPlan;
use crate::source::fs::WalkOptions;
use crate::verify::input::Sources;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most bytes of a repository list read.
const MAX_LIST: u64 = 64 << 20;

/// Whether these arguments ask for many repositories: `--repos`, `--shard`,
/// or a history scan of several paths or of a URL.
pub(super) fn many_repos(git: &GitScanArgs, paths: &[PathBuf]) -> bool {
    git.repos.is_some()
        || git.shard.is_some()
        || git.since_report.is_some()
        || (git.history()
            && (paths.len() > 1 || paths.iter().any(|p| list::is_remote(&p.to_string_lossy()))))
}

/// The plan of a scan of many repositories.
pub(super) fn source(
    git: &GitScanArgs,
    paths: &[PathBuf],
    walk: &WalkOptions,
) -> anyhow::Result<Source> {
    let mut entries = Vec::new();
    for p in paths {
        let e = RepoEntry::new(&p.to_string_lossy());
        if e.is_remote() && !list::usable_url(&e.url) {
            message::error(format_args!(
                "{:?} is not a repository URL git can be given safely; left out",
                e.url
            ));
        } else {
            entries.push(e);
        }
    }
    if let Some(file) = &git.repos {
        let text = crate::input::read_text_within(file, MAX_LIST)
            .with_context(|| format!("cannot read repository list {}", file.display()))?;
        let (listed, rejected) = list::parse(&text);
        for r in rejected {
            message::error(format_args!(
                "{}:{}: {:?} is not a repository URL or path git can be given safely; left out",
                file.display(),
                r.line,
                r.entry
            ));
        }
        entries.extend(listed);
    }
    if entries.is_empty() {
        anyhow::bail!("no repositories to scan: the list is empty");
    }
    Ok(Source::Repos(
        OrgPlan {
            repos: list::select(entries, git.shard),
            clone_dir: git.clone_dir.clone().unwrap_or_else(clone::default_dir),
            history: HistoryPlan {
                repo: PathBuf::new(),
                selection: plan::history_selection(git)?,
                max_blob_size: walk.max_file_size,
                archives: walk.archives.clone(),
                binary_strings: walk.binary_strings,
                threads: walk.threads,
                progress: None,
            },
        },
        git.since_report.clone(),
    ))
}

/// Reads the earlier report of `--since-report`: each repository's
/// coverage, and its findings with their values (found again in the
/// repositories when the report is redacted). A finding that cannot be
/// found again makes its repositories be read whole.
pub(super) fn earlier(path: &Path, org: &OrgPlan, engine: &Engine) -> anyhow::Result<Earlier> {
    let doc = crate::verify::input::read_report(path)?;
    let sources = Sources::of(&doc, None, &org.clone_dir);
    let rules = &engine.rules().rules;
    let mut out = Earlier::default();
    for r in doc.repositories.iter().filter(|r| r.error.is_none()) {
        if let Some(c) = &r.covered {
            out.covered.insert(r.name.clone(), c.clone());
        }
    }
    let name = path.display().to_string();
    for f in &doc.findings {
        let values = match crate::verify::input::recover(f, engine, &sources) {
            Ok(v) => v,
            Err(why) => {
                for repo in f.locations.iter().filter_map(|l| l.repo.as_ref()) {
                    out.unusable.insert(
                        repo.clone(),
                        format!("finding {} of the earlier report: {why}", f.fingerprint),
                    );
                }
                continue;
            }
        };
        let rule = rules.iter().find(|r| r.id == f.rule);
        let mut found = merge::read_finding(&name, f, rule)?;
        found.secret = crate::finding::Secret::new(values.secret.expose(), found.secret.kind());
        found.key = values.key;
        found.token = values.token;
        out.add(found);
    }
    Ok(out)
}

/// `keyhound report merge`.
pub(super) fn run_merge(a: &MergeArgs) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let rules = plan::rules(&a.rules, &diags)?;
    message::flush(&diags);
    let mut docs = Vec::with_capacity(a.reports.len());
    for p in &a.reports {
        let text = crate::input::read_text(p, crate::input::Kind::Report)
            .with_context(|| format!("cannot read report {}", p.display()))?;
        let doc =
            report::json::read(&text).with_context(|| format!("cannot merge {}", p.display()))?;
        docs.push((p.display().to_string(), doc));
    }
    let (merged, diags) = merge::merge(docs, rules.rules)?;
    message::flush(&diags);
    let format = a.format.map(Format::from).unwrap_or(Format::Json);
    let exit = if merged.findings.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    };
    let opts = WriteOptions {
        show_secrets: a.show_secrets,
        color: false,
        redact_percent: None,
    };
    let written = match &a.output {
        Some(p) => super::output::write_file_private(p, a.show_secrets, |w| {
            Ok(report::write(&merged, format, &opts, w)?)
        }),
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            report::write(&merged, format, &opts, &mut w)
                .and_then(|()| w.flush())
                .map_err(anyhow::Error::from)
        }
    };
    match written {
        Err(e) if super::is_broken_pipe(&e) => Ok(exit),
        other => other.map(|()| exit),
    }
}
