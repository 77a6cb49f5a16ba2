//! Git sources: opening a repository, choosing the commits to scan (all refs,
//! a branch, a range, a date, a push), the blobs each commit introduced, the
//! staged change of a commit and the repository's identity for reports.
//! Yields object ids, bytes and paths; knows nothing about rules.

mod commit;
mod guarded;
mod loose;
mod pack;
mod packread;
mod packwalk;
mod push;
mod revision;
mod staged;
mod tree;

pub use commit::{RawCommit, parse as parse_commit};
pub use loose::{Damage, Guard, check_id, check_stream};
pub use packread::{ObjectReader, PackObjects};
pub use packwalk::{PackBlobs, Reader as PackReader};
pub use push::{PushUpdate, parse_pre_push, push_selection};
pub use staged::{StagedChange, StagedFile, check_staged_objects, staged_change, staged_changes};
pub use tree::{Differ, Entry, EntryKind, ReadOutcome, is_lfs_pointer, read_blob};

use crate::source::CommitMeta;
use git2::{Oid, Repository, Sort};
use std::path::{Path, PathBuf};

/// A hash map keyed by object id.
pub type OidMap<V> = std::collections::HashMap<Oid, V, OidHash>;

/// A hash set of object ids.
pub type OidSet = std::collections::HashSet<Oid, OidHash>;

/// Hashes an object id by taking 8 of its bytes.
///
/// PERF: object ids are SHA-1 digests, already uniformly distributed, so
/// running SipHash over them again (the std default) is wasted work; it
/// showed up at 5% of a history walk. Not DoS-resistant, which is fine for
/// ids computed from content git already accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct OidHash;

/// The hasher behind [`OidHash`].
#[derive(Default)]
pub struct OidHasher(u64);

impl std::hash::BuildHasher for OidHash {
    type Hasher = OidHasher;
    fn build_hasher(&self) -> OidHasher {
        OidHasher(0)
    }
}

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // `Oid` hashes its 20 raw bytes in one call; anything else (length
        // prefixes) is folded in cheaply.
        if let Some(b) = bytes.get(4..12) {
            self.0 ^= u64::from_ne_bytes(b.try_into().expect("8 bytes"));
        } else {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
    }
}

/// Why a git source could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not inside a git repository.
    #[error("not a git repository: {}", path.display())]
    NotARepo {
        /// What the user named.
        path: PathBuf,
    },
    /// Staged scans need an index, which bare repositories lack.
    #[error("{} is a bare repository: it has no index to scan staged changes from", path.display())]
    Bare {
        /// The repository.
        path: PathBuf,
    },
    /// A revision, branch or range does not resolve.
    #[error("cannot resolve revision {spec:?}: {reason}")]
    BadRevision {
        /// As the user typed it.
        spec: String,
        /// libgit2's explanation.
        reason: String,
    },
    /// A line of pre-push input does not have the documented shape.
    #[error(
        "invalid pre-push input line {line:?}: expected `<local ref> <local sha> <remote ref> <remote sha>`"
    )]
    PrePushLine {
        /// The offending line.
        line: String,
    },
    /// An object a staged scan needs is a damaged loose object.
    #[error(
        "cannot scan staged changes in {}: object {object} (staged or in HEAD) {reason}; run `git fsck`",
        path.display()
    )]
    Damaged {
        /// The repository.
        path: PathBuf,
        /// The object.
        object: Oid,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other libgit2 failure.
    #[error("cannot {what} in {}: {}", path.display(), source.message())]
    Git {
        /// What we tried to do ("list commits", "read the index").
        what: &'static str,
        /// The repository.
        path: PathBuf,
        /// The cause.
        source: git2::Error,
    },
}

/// Something a libgit2 failure happened in: a repository, or its git dir.
pub trait GitPlace {
    /// The git dir named in the error.
    fn git_dir(&self) -> &Path;
}

impl GitPlace for Repository {
    fn git_dir(&self) -> &Path {
        self.path()
    }
}

impl GitPlace for Path {
    fn git_dir(&self) -> &Path {
        self
    }
}

/// Wraps a libgit2 error with what we tried and where, for `map_err`.
pub fn git_err<'r, P: GitPlace + ?Sized>(
    what: &'static str,
    at: &'r P,
) -> impl FnOnce(git2::Error) -> Error + 'r {
    move |source| Error::Git {
        what,
        path: at.git_dir().to_path_buf(),
        source,
    }
}

/// Opens the repository at or above `path` (a work tree, a `.git` dir or a
/// bare repository).
pub fn open(path: &Path) -> Result<Repository, Error> {
    Repository::discover(path).map_err(|_| Error::NotARepo {
        path: path.to_path_buf(),
    })
}

/// Where a revision walk starts or stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rev {
    /// Every ref (branches, tags, remote-tracking refs, stash) and HEAD.
    AllRefs,
    /// Every ref matching a glob under `refs/` (`refs/remotes/*`).
    Glob(String),
    /// A revision as git spells it (branch, tag, sha, `HEAD~3`).
    Spec(String),
}

/// Which commits to scan: those reachable from `include` and not from `exclude`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Walk starts.
    pub include: Vec<Rev>,
    /// Walk stops (their ancestors are left out too).
    pub exclude: Vec<Rev>,
    /// Only commits whose committer date is at or after this (Unix seconds).
    pub since: Option<i64>,
}

impl Default for Selection {
    fn default() -> Selection {
        Selection {
            include: vec![Rev::AllRefs],
            exclude: Vec::new(),
            since: None,
        }
    }
}

impl Selection {
    /// `A..B`: commits reachable from B and not from A (B defaults to HEAD).
    pub fn range(spec: &str) -> Result<Selection, Error> {
        let bad = |reason: &str| Error::BadRevision {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        if spec.contains("...") {
            return Err(bad("symmetric ranges (A...B) are not supported; use A..B"));
        }
        let (from, to) = spec
            .split_once("..")
            .ok_or_else(|| bad("expected a range BASE..HEAD"))?;
        let to = if to.is_empty() { "HEAD" } else { to };
        if from.is_empty() {
            return Err(bad("the range has no base (BASE..HEAD)"));
        }
        Ok(Selection {
            include: vec![Rev::Spec(to.to_string())],
            exclude: vec![Rev::Spec(from.to_string())],
            since: None,
        })
    }

    /// Lists the selected commits, newest first. Commits older than `since`
    /// are left in (the caller filters them while reading each commit).
    pub fn commits(&self, repo: &Repository) -> Result<Vec<Oid>, Error> {
        let mut all = Vec::new();
        self.each_commit(repo, &mut |id| all.push(id))?;
        Ok(all)
    }

    /// [`Selection::each_commit`], reading no object the guard stopped: when
    /// a damaged loose object could be a commit, commits are listed without
    /// libgit2's revision walk and damaged ones are left out.
    pub fn each_commit_guarded(
        &self,
        repo: &Repository,
        guard: &Guard,
        found: &mut dyn FnMut(Oid),
    ) -> Result<(), Error> {
        if guard.affects_commits() {
            guarded::each_commit(self, repo, guard, found)
        } else {
            self.each_commit(repo, found)
        }
    }

    /// Calls `found` with each selected commit, in [`Selection::commits`]'
    /// order, as the walk finds them (so callers can start on the first ones
    /// while the walk goes on).
    pub fn each_commit(&self, repo: &Repository, found: &mut dyn FnMut(Oid)) -> Result<(), Error> {
        let mut walk = repo.revwalk().map_err(git_err("list commits", repo))?;
        walk.set_sorting(Sort::NONE)
            .map_err(git_err("list commits", repo))?;
        for rev in &self.include {
            match rev {
                Rev::AllRefs => {
                    walk.push_glob("*").map_err(git_err("list refs", repo))?;
                    // A detached HEAD is not a ref; an unborn one has no commits.
                    if let Ok(oid) = head_commit(repo) {
                        walk.push(oid).map_err(git_err("list commits", repo))?;
                    }
                }
                Rev::Glob(g) => walk.push_glob(g).map_err(git_err("list refs", repo))?,
                Rev::Spec(s) => walk
                    .push(resolve(repo, s)?)
                    .map_err(git_err("list commits", repo))?,
            }
        }
        for rev in &self.exclude {
            match rev {
                Rev::AllRefs => walk.hide_glob("*").map_err(git_err("list refs", repo))?,
                Rev::Glob(g) => walk.hide_glob(g).map_err(git_err("list refs", repo))?,
                Rev::Spec(s) => walk
                    .hide(resolve(repo, s)?)
                    .map_err(git_err("list commits", repo))?,
            }
        }
        for id in walk {
            found(id.map_err(git_err("list commits", repo))?);
        }
        Ok(())
    }
}

impl Selection {
    /// The commits a walk of this selection starts from (its `include`
    /// resolved: every ref peeled to its commit, HEAD too for
    /// [`Rev::AllRefs`]), sorted and each once. A later scan that hides
    /// them reads only what was committed since.
    pub fn tips(&self, repo: &Repository) -> Result<Vec<Oid>, Error> {
        let mut tips = Vec::new();
        let mut refs = |glob: &str| -> Result<(), Error> {
            let found = repo
                .references_glob(glob)
                .map_err(git_err("list refs", repo))?;
            tips.extend(
                found
                    .flatten()
                    .filter_map(|r| r.peel_to_commit().ok())
                    .map(|c| c.id()),
            );
            Ok(())
        };
        for rev in &self.include {
            match rev {
                Rev::AllRefs => refs("refs/*")?,
                Rev::Glob(g) => refs(&walk_glob(g))?,
                Rev::Spec(_) => {}
            }
        }
        for rev in &self.include {
            match rev {
                Rev::AllRefs => tips.extend(head_commit(repo).ok()),
                Rev::Spec(s) => tips.push(resolve(repo, s)?),
                Rev::Glob(_) => {}
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }
}

/// A glob as a revision walk reads it (libgit2's `push_glob`): under
/// `refs/`, and a name without wildcards stands for everything below it.
fn walk_glob(g: &str) -> String {
    let mut full = if g.starts_with("refs/") {
        g.to_string()
    } else {
        format!("refs/{g}")
    };
    if !full.contains(['*', '?', '[']) {
        if !full.ends_with('/') {
            full.push('/');
        }
        full.push('*');
    }
    full
}

/// Whether commit `old` is one of `tips` or an ancestor of one: a history
/// that still holds every commit an earlier walk started from still holds
/// everything that walk read.
pub fn still_reachable(repo: &Repository, tips: &[Oid], old: Oid) -> bool {
    tips.contains(&old)
        || tips
            .iter()
            .any(|&t| repo.graph_descendant_of(t, old).unwrap_or(false))
}

/// [`resolve`], reading no object the guard stopped.
pub fn resolve_guarded(repo: &Repository, guard: &Guard, spec: &str) -> Result<Oid, Error> {
    if guard.affects_commits() {
        guarded::resolve(repo, guard, spec)
    } else {
        resolve(repo, spec)
    }
}

/// Resolves a revision to a commit id.
pub fn resolve(repo: &Repository, spec: &str) -> Result<Oid, Error> {
    repo.revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| Error::BadRevision {
            spec: spec.to_string(),
            reason: revision::why_not(repo, spec, &e),
        })
}

fn head_commit(repo: &Repository) -> Result<Oid, git2::Error> {
    repo.head()?.peel_to_commit().map(|c| c.id())
}

/// The metadata of a commit, for provenance.
pub fn commit_meta(commit: &git2::Commit<'_>) -> CommitMeta {
    let author = commit.author();
    CommitMeta {
        time: author.when().seconds(),
        sha: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    }
}

/// The commit HEAD points at, unless it is unborn or not readable past `guard`.
pub fn head_commit_guarded<'r>(repo: &'r Repository, guard: &Guard) -> Option<git2::Commit<'r>> {
    let id = repo.head().ok()?.resolve().ok()?.target()?;
    if guard.affects_commits() {
        guarded::resolve(repo, guard, &id.to_string()).ok()?;
    }
    repo.find_commit(id).ok()
}

/// Blob ids of every file in HEAD's tree (empty when HEAD is unborn).
/// Damaged trees are left out.
pub fn head_blobs(repo: &Repository, guard: &Guard) -> std::collections::HashSet<Oid> {
    let mut out = std::collections::HashSet::new();
    let Some(tree) = head_commit_guarded(repo, guard).map(|c| c.tree_id()) else {
        return out;
    };
    let Ok(mut differ) = Differ::new(repo, guard) else {
        return out;
    };
    differ.introduced(
        tree,
        &[],
        &mut |e| {
            if e.kind == EntryKind::Blob {
                out.insert(e.id);
            }
        },
        &mut |_, _| {},
    );
    out
}

/// Whether objects may be missing by design (a partial clone with a promisor remote).
pub fn is_partial_clone(repo: &Repository) -> bool {
    let Ok(cfg) = repo.config() else {
        return false;
    };
    if cfg.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let Ok(mut entries) = cfg.entries(Some(r"remote\..*\.promisor")) else {
        return false;
    };
    let mut any = false;
    while let Some(Ok(e)) = entries.next() {
        any |= e.value().is_ok_and(|v| v == "true");
    }
    any
}

/// Who a repository is, for SARIF `versionControlProvenance`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoInfo {
    /// URL of remote `origin`, credentials stripped.
    pub remote_url: Option<String>,
    /// The commit HEAD points at.
    pub head: Option<String>,
    /// The branch HEAD is on, when it is on one.
    pub branch: Option<String>,
}

/// Reads remote `origin`, HEAD and its branch.
pub fn repo_info(repo: &Repository, guard: &Guard) -> RepoInfo {
    let remote_url = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(strip_credentials));
    let head = repo.head().ok();
    RepoInfo {
        remote_url,
        head: head_commit_guarded(repo, guard).map(|c| c.id().to_string()),
        branch: head
            .as_ref()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok().map(str::to_string)),
    }
}

/// Like [`repo_info`] but reading refs only, no objects (HEAD's commit id
/// is the ref's target): for file scans that need the repository's identity
/// without reading its (possibly hostile) object store.
pub fn repo_identity(repo: &Repository) -> RepoInfo {
    let remote_url = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(strip_credentials));
    let head = repo.head().ok();
    RepoInfo {
        remote_url,
        head: head
            .as_ref()
            .and_then(|h| h.target())
            .map(|id| id.to_string()),
        branch: head
            .as_ref()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok().map(str::to_string)),
    }
}

/// Drops `user:password@` from a URL: tokens in remote URLs are common in CI.
fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_parses_base_and_head() {
        let s = Selection::range("main..feature").unwrap();
        assert_eq!(s.include, vec![Rev::Spec("feature".into())]);
        assert_eq!(s.exclude, vec![Rev::Spec("main".into())]);
        let s = Selection::range("origin/main..").unwrap();
        assert_eq!(s.include, vec![Rev::Spec("HEAD".into())]);
        assert!(Selection::range("a...b").is_err());
        assert!(Selection::range("main").is_err());
        assert!(Selection::range("..main").is_err());
    }

    #[test]
    fn credentials_are_stripped_from_remote_urls() {
        assert_eq!(
            strip_credentials("https://x-access-token:abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://github.com/o/r@v1"),
            "https://github.com/o/r@v1"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }
}
