//! Git flags of `keyhound scan` (history, ranges, staged, pre-push) and the
//! `keyhound install-hook` command. Owned by the git-history work (issue 3).

use super::scan::ScanArgs;
use super::{Exit, GlobalArgs};
use crate::engine::Engine;
use crate::report::{ScanKind, VcsInfo};
use crate::scan::ScanOutput;
use crate::scan::git::{self as git_scan, HistoryPlan};
use crate::source::fs::WalkOptions;
use crate::source::git::{self as src, Rev, Selection};
use anyhow::Context;
use clap::Args;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// Git options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct GitScanArgs {
    /// Scan git history instead of files: every blob reachable from any ref,
    /// each read and scanned once, with the commits that introduced it.
    ///
    /// PATH is the repository (work tree, .git directory or bare repository;
    /// default: the current directory). Commit messages are scanned too.
    #[arg(long, help_heading = "Git")]
    pub git: bool,
    /// Scan only the commits reachable from this branch (or tag, or commit).
    /// Implies --git.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Git",
        conflicts_with = "range"
    )]
    pub branch: Option<String>,
    /// Scan exactly the commits in BASE..HEAD, as in a pull request
    /// (`--range origin/main..HEAD`). Implies --git.
    ///
    /// Commits reachable from BASE are left out, so are blobs they already
    /// contained; HEAD defaults to HEAD when omitted (`origin/main..`).
    #[arg(long, value_name = "BASE..HEAD", help_heading = "Git")]
    pub range: Option<String>,
    /// Scan only commits committed on or after DATE (YYYY-MM-DD, UTC, or
    /// RFC 3339). Implies --git; combines with --branch and --range.
    #[arg(long, value_name = "DATE", value_parser = parse_date, help_heading = "Git")]
    pub since: Option<i64>,
    /// Scan what `git commit` would commit (the index against HEAD) and
    /// report only matches on added lines. For pre-commit hooks.
    #[arg(long, help_heading = "Git", conflicts_with_all = ["git", "branch", "range", "since", "pre_push"])]
    pub staged: bool,
    /// Scan the commits a push sends. Reads git's pre-push hook input
    /// (`<local ref> <local sha> <remote ref> <remote sha>` lines) on stdin,
    /// or the PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF variables the pre-commit
    /// framework sets.
    #[arg(long, help_heading = "Git", conflicts_with_all = ["git", "branch", "range", "since"])]
    pub pre_push: bool,
}

impl GitScanArgs {
    pub(crate) fn history(&self) -> bool {
        self.git || self.branch.is_some() || self.range.is_some() || self.since.is_some()
    }
}

fn parse_date(s: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, fmt)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| format!("invalid date {s:?} (expected YYYY-MM-DD or RFC 3339)"))
}

/// Runs the git scan `a` asks for, or returns `None` when it asks for a
/// filesystem scan. Errors the user must act on (not a repository, a bad
/// revision) end the command.
pub(crate) fn scan(
    g: &GlobalArgs,
    a: &ScanArgs,
    paths: &[PathBuf],
    walk: &WalkOptions,
    engine: &Engine,
) -> anyhow::Result<Option<(ScanOutput, Option<VcsInfo>)>> {
    let git = &a.git;
    if !(git.history() || git.staged || git.pre_push) {
        return Ok(None);
    }
    let [repo] = paths else {
        anyhow::bail!("git scans take one repository path, got {}", paths.len());
    };
    let max_blob_size = walk.max_file_size;
    let out = if git.staged {
        git_scan::staged(repo, engine, max_blob_size)?
    } else {
        let selection = if git.pre_push {
            match pre_push_selection(repo)? {
                Some(s) => s,
                None => return Ok(Some((ScanOutput::default(), None))),
            }
        } else {
            history_selection(git)?
        };
        let plan = HistoryPlan {
            repo: repo.clone(),
            selection,
            max_blob_size,
            threads: walk.threads,
            progress: !g.quiet && std::io::stderr().is_terminal(),
        };
        git_scan::history(&plan, engine)?
    };
    let vcs = vcs_info(&out.repo);
    Ok(Some((out.scan, Some(vcs))))
}

fn history_selection(git: &GitScanArgs) -> anyhow::Result<Selection> {
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

fn pre_push_selection(repo: &Path) -> anyhow::Result<Option<Selection>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
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
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the pre-push hook input on stdin")?;
    let updates = src::parse_pre_push(&input)?;
    let repo = src::open(repo)?;
    Ok(src::push_selection(&repo, &updates))
}

/// Repository identity for SARIF. Detached HEADs (CI checkouts) take the
/// branch from the CI's own variables.
fn vcs_info(repo: &src::RepoInfo) -> VcsInfo {
    let ci_branch = ["GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    VcsInfo {
        repository_uri: repo.remote_url.clone(),
        revision: repo.head.clone(),
        branch: repo.branch.clone().or(ci_branch),
    }
}

/// What kind of scan `git` (and reading stdin) asks for.
pub(crate) fn scan_kind(git: &GitScanArgs, stdin: bool) -> ScanKind {
    if git.staged {
        ScanKind::Staged
    } else if git.pre_push {
        ScanKind::PrePush
    } else if git.history() {
        ScanKind::History
    } else if stdin {
        ScanKind::Stdin
    } else {
        ScanKind::Files
    }
}

/// The absolute root report paths are written relative to: the work tree
/// of the repository holding the first scanned path (or the current
/// directory for stdin), else that path when it is a directory, else the
/// current directory; with the repository's identity when there is one.
pub(crate) fn scan_root(paths: &[PathBuf], stdin: bool) -> (PathBuf, Option<VcsInfo>) {
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
    if let Ok(repo) = src::open(&start) {
        let root = repo.workdir().unwrap_or_else(|| repo.path());
        return (canonical(root), Some(vcs_info(&src::repo_info(&repo))));
    }
    if !stdin && paths.len() == 1 && first.is_dir() {
        return (canonical(&first), None);
    }
    (canonical(&cwd), None)
}

// --- install-hook ------------------------------------------------------------

/// Arguments of `keyhound install-hook`.
#[derive(Debug, Args)]
pub(crate) struct InstallHookArgs {
    /// Install the pre-push hook (scans the commits being pushed) instead of
    /// the pre-commit hook (scans staged changes).
    #[arg(long)]
    pub pre_push: bool,
    /// Replace a hook keyhound did not write.
    #[arg(long)]
    pub force: bool,
    /// The repository (default: the current directory).
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,
}

/// The line that marks a hook as ours, so reinstalling is safe and foreign
/// hooks are left alone.
const HOOK_MARKER: &str = "# keyhound-managed hook";

/// `keyhound install-hook`: writes a native git hook, honouring
/// `core.hooksPath`; idempotent; refuses to replace a foreign hook unless
/// `--force`.
pub(crate) fn install_hook(_g: &GlobalArgs, a: &InstallHookArgs) -> anyhow::Result<Exit> {
    let path = a.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = src::open(&path)?;
    let (name, mode) = if a.pre_push {
        ("pre-push", "--pre-push")
    } else {
        ("pre-commit", "--staged")
    };
    let dir = hooks_dir(&repo)?;
    let hook = dir.join(name);
    let exe = std::env::current_exe().context("cannot find the keyhound executable")?;
    let script = format!(
        "#!/bin/sh\n{HOOK_MARKER}: written by `keyhound install-hook`; delete this file to uninstall.\n\
         exec {} scan {mode} --quiet\n",
        shell_quote(&exe.to_string_lossy())
    );
    match std::fs::read(&hook) {
        Ok(old) if old == script.as_bytes() => {
            println!(
                "keyhound {name} hook already installed at {}",
                hook.display()
            );
            return Ok(Exit::Clean);
        }
        Ok(old) if !a.force && !String::from_utf8_lossy(&old).contains(HOOK_MARKER) => {
            anyhow::bail!(
                "{} exists and was not written by keyhound; rerun with --force to replace it",
                hook.display()
            );
        }
        _ => {}
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&hook, &script).with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    println!("installed keyhound {name} hook at {}", hook.display());
    Ok(Exit::Clean)
}

/// `core.hooksPath` (relative to the work tree, as git reads it) or `hooks/`
/// in the common git dir (shared by linked work trees).
fn hooks_dir(repo: &git2::Repository) -> anyhow::Result<PathBuf> {
    let cfg = repo
        .config()
        .context("cannot read the repository's git config")?;
    match cfg.get_path("core.hooksPath") {
        Ok(p) if p.is_absolute() => Ok(p),
        Ok(p) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(p)),
        Err(_) => Ok(repo.commondir().join("hooks")),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_utc() {
        assert_eq!(parse_date("1970-01-02"), Ok(86400));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Ok(0));
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
