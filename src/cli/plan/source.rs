//! What a scan reads: files, the staged change, the files a pre-commit run
//! passes, history, or the commits a push sends.

use super::super::args::GitScanArgs;
use super::{Source, Vcs};
use crate::scan::ScanPlan;
use crate::scan::git::HistoryPlan;
use crate::scan::progress::Progress;
use crate::source::fs::WalkOptions;
use crate::source::git::{self as src, Rev, Selection};
use anyhow::Context;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn source(
    git: &GitScanArgs,
    paths: Vec<PathBuf>,
    walk: WalkOptions,
    progress: Option<Arc<Progress>>,
) -> anyhow::Result<Source> {
    if git.pre_commit {
        return pre_commit_source(paths, walk, progress);
    }
    if !(git.history() || git.staged || git.pre_push) {
        return Ok(Source::Files(ScanPlan {
            paths,
            walk,
            progress,
        }));
    }
    let [repo] = &paths[..] else {
        anyhow::bail!("git scans take one repository path, got {}", paths.len());
    };
    let vcs = Vcs {
        ci_branch: ci_branch(),
    };
    if git.staged {
        return Ok(Source::Staged {
            repo: repo.clone(),
            max_blob_size: walk.max_file_size,
            archives: walk.archives,
            vcs,
            only: None,
        });
    }
    let selection = if git.pre_push {
        match pre_push_selection(repo)? {
            Some(s) => s,
            None => return Ok(Source::Nothing),
        }
    } else {
        history_selection(git)?
    };
    if let Some(p) = &progress {
        p.start_commits();
    }
    let plan = HistoryPlan {
        repo: repo.clone(),
        selection,
        max_blob_size: walk.max_file_size,
        archives: walk.archives,
        binary_strings: walk.binary_strings,
        threads: walk.threads,
        progress,
    };
    Ok(Source::History(plan, vcs))
}

/// `--pre-commit`: inside `git commit` (git sets `GIT_INDEX_FILE` for its
/// hooks), the lines the commit adds to exactly the files passed (the
/// framework's `exclude:`/`files:` already applied), or every staged file
/// when none is; otherwise (`pre-commit run --all-files`, `--files F`, where
/// the framework has stashed unstaged changes) the files passed, in full.
fn pre_commit_source(
    paths: Vec<PathBuf>,
    walk: WalkOptions,
    progress: Option<Arc<Progress>>,
) -> anyhow::Result<Source> {
    let defaulted = paths.len() == 1 && paths[0].as_os_str() == ".";
    let committing = std::env::var_os("GIT_INDEX_FILE").is_some();
    if !(defaulted || committing) {
        return Ok(Source::Files(ScanPlan {
            paths,
            walk,
            progress,
        }));
    }
    let only = if defaulted {
        None
    } else {
        let repo = src::open(Path::new("."))?;
        let root = repo.workdir().map(std::fs::canonicalize).transpose()?;
        let cwd = std::env::current_dir()?;
        let rel = |p: &PathBuf| {
            let abs = std::path::absolute(cwd.join(p)).unwrap_or_else(|_| cwd.join(p));
            let rel = root.as_ref().and_then(|r| abs.strip_prefix(r).ok())?;
            Some(rel.to_string_lossy().replace('\\', "/"))
        };
        Some(paths.iter().filter_map(rel).collect())
    };
    Ok(Source::Staged {
        repo: PathBuf::from("."),
        max_blob_size: walk.max_file_size,
        archives: walk.archives,
        vcs: Vcs {
            ci_branch: ci_branch(),
        },
        only,
    })
}

/// The branch a CI job runs for, from its variables.
pub(super) fn ci_branch() -> Option<String> {
    ["GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"]
        .iter()
        .find_map(|k| env(k))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

pub(in super::super) fn history_selection(git: &GitScanArgs) -> anyhow::Result<Selection> {
    let mut sel = match (&git.range, &git.branch) {
        (Some(r), _) => Selection::range(r)?,
        (None, Some(b)) => Selection {
            include: vec![Rev::Spec(b.clone())],
            ..Selection::default()
        },
        (None, None) => Selection::default(),
    };
    sel.since = git.since;
    Ok(sel)
}

/// The most pre-push hook input read: a line per pushed ref is ~100 bytes,
/// so this allows hundreds of thousands of refs and stops a flood.
const MAX_PRE_PUSH_INPUT: u64 = 64 << 20;

/// The commits a push sends: from the pre-commit framework's variables, or
/// git's pre-push hook input on stdin. `None` when the push sends nothing new.
fn pre_push_selection(repo: &Path) -> anyhow::Result<Option<Selection>> {
    if let Some(to) = env("PRE_COMMIT_TO_REF") {
        let exclude = match env("PRE_COMMIT_FROM_REF") {
            Some(from) if !from.bytes().all(|b| b == b'0') => Rev::Spec(from),
            _ => Rev::Glob("refs/remotes/*".into()),
        };
        return Ok(Some(Selection {
            include: vec![Rev::Spec(to)],
            exclude: vec![exclude],
            since: None,
        }));
    }
    // The framework has read git's input itself; on a first push (the root
    // commit included) it sets no refs, only the local branch.
    if env("PRE_COMMIT").is_some() || env("PRE_COMMIT_REMOTE_NAME").is_some() {
        let Some(local) = env("PRE_COMMIT_LOCAL_BRANCH") else {
            anyhow::bail!(
                "cannot tell which commits are being pushed: the pre-commit framework set \
                 neither PRE_COMMIT_TO_REF nor PRE_COMMIT_LOCAL_BRANCH; blocking the push \
                 (scan it with `keyhound scan --range <remote>..HEAD`, then push with \
                 `--no-verify`)"
            );
        };
        return Ok(Some(Selection {
            include: vec![Rev::Spec(local)],
            exclude: vec![Rev::Glob("refs/remotes/*".into())],
            since: None,
        }));
    }
    if std::io::stdin().is_terminal() {
        anyhow::bail!(
            "--pre-push reads git's pre-push hook input on stdin; run it from a pre-push hook"
        );
    }
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_PRE_PUSH_INPUT + 1)
        .read_to_end(&mut input)
        .context("cannot read the pre-push hook input on stdin")?;
    if input.len() as u64 > MAX_PRE_PUSH_INPUT {
        anyhow::bail!(
            "the pre-push hook input on stdin is over {} MiB; git sends one short line per pushed ref",
            MAX_PRE_PUSH_INPUT >> 20
        );
    }
    let updates = src::parse_pre_push(&String::from_utf8_lossy(&input))?;
    let repo = src::open(repo)?;
    Ok(src::push_selection(&repo, &updates))
}
