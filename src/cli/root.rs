//! Where a scan is rooted for reports: the absolute directory SARIF paths
//! are written relative to, the repository's identity there, and what kind
//! of scan it is (SARIF's default category).

use super::args::GitScanArgs;
use crate::report::{ScanContext, ScanKind, VcsInfo};
use crate::source::git as src;
use std::path::{Path, PathBuf};

/// The context of a scan of `paths`: the root is the work tree of the
/// repository holding the first scanned path (the current directory for
/// stdin), else that path when it is a directory, else the current
/// directory. Also returns the repository's identity when there is one.
pub(crate) fn context(
    git: &GitScanArgs,
    paths: &[PathBuf],
    stdin: bool,
    category: Option<String>,
    ci_branch: Option<String>,
) -> (ScanContext, Option<VcsInfo>) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let first = match paths.first() {
        Some(p) if !stdin => cwd.join(p),
        _ => cwd.clone(),
    };
    let start = if first.is_file() {
        first.parent().map_or(cwd.clone(), Path::to_path_buf)
    } else {
        first.clone()
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, vcs) = match src::open(&start) {
        Ok(repo) => {
            let info = src::repo_identity(&repo);
            let vcs = VcsInfo {
                repository_uri: info.remote_url,
                revision: info.head,
                branch: info.branch.or(ci_branch),
            };
            let root = repo.workdir().unwrap_or_else(|| repo.path());
            (canonical(root), Some(vcs))
        }
        Err(_) if !stdin && paths.len() == 1 && first.is_dir() => (canonical(&first), None),
        Err(_) => (canonical(&cwd), None),
    };
    let ctx = ScanContext {
        root,
        cwd,
        kind: kind(git, stdin),
        category,
        errors: Vec::new(),
    };
    (ctx, vcs)
}

fn kind(git: &GitScanArgs, stdin: bool) -> ScanKind {
    if git.staged {
        ScanKind::Staged
    } else if git.pre_push {
        ScanKind::PrePush
    } else if git.range.is_some() {
        ScanKind::Range
    } else if git.history() {
        ScanKind::History
    } else if stdin {
        ScanKind::Stdin
    } else {
        ScanKind::Files
    }
}
