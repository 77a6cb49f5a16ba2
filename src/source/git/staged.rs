//! The staged change: every file the index would commit that differs from
//! HEAD (everything, when there is no commit yet), with the line ranges the
//! commit adds, numbered as in the staged content; both sides of a merge
//! conflict; submodule pointer changes.

use super::{Damage, Differ, Error, Guard, check_id, git_err};
use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Patch, Repository};
use std::ops::Range;

/// One staged file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedFile {
    /// Path inside the repository.
    pub path: String,
    /// The staged blob.
    pub id: Oid,
    /// Added lines, 1-based, end exclusive, sorted.
    pub added: Vec<Range<u32>>,
}

impl StagedFile {
    /// Whether any line of `first..=last` was added.
    pub fn touches_added(&self, first: u32, last: u32) -> bool {
        self.added.iter().any(|r| r.start <= last && first < r.end)
    }
}

/// Fails if a staged blob, HEAD's commit or anything in HEAD's tree is a
/// damaged loose object: the diff behind [`staged_changes`] would hand it to
/// libgit2. Loose objects `guard` only header-checked (large ones) are
/// checked whole here.
pub fn check_staged_objects(repo: &Repository, guard: &Guard) -> Result<(), Error> {
    if guard.ids().is_empty() {
        return Ok(());
    }
    let mut needed: Vec<Oid> = Vec::new();
    let index = repo.index().map_err(git_err("read the index", repo))?;
    needed.extend(index.iter().map(|e| e.id));
    if let Ok(Some(head)) = repo.head().and_then(|h| h.resolve()).map(|h| h.target()) {
        needed.push(head);
        if guard.readable(head)
            && let Ok(c) = repo.find_commit(head)
        {
            needed.push(c.tree_id());
            let mut differ = Differ::new(repo, guard).map_err(git_err("read HEAD's tree", repo))?;
            let bad = std::cell::RefCell::new(Vec::new());
            differ.introduced(
                c.tree_id(),
                &[],
                &mut |e| needed.push(e.id),
                &mut |id, _| bad.borrow_mut().push(id),
            );
            needed.extend(bad.into_inner());
        }
    }
    for id in needed {
        let damage = match guard.damage(id) {
            None => continue,
            Some(Damage::Large { .. }) => match check_id(repo.path(), id, u64::MAX) {
                Ok(()) => continue,
                Err(d) => d,
            },
            Some(d) => d.clone(),
        };
        let reason = match damage {
            Damage::Corrupt { reason, .. } => reason,
            Damage::Large { size, .. } => format!("declares {size} bytes"),
        };
        return Err(Error::Damaged {
            path: repo.path().to_path_buf(),
            object: id,
            reason: format!("is a loose object that {reason}"),
        });
    }
    Ok(())
}

/// What the index would commit, and what of it is not plain content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StagedChange {
    /// The files to scan, sorted by path; a conflicted path has one entry
    /// per side of the conflict.
    pub files: Vec<StagedFile>,
    /// Paths in a merge conflict, sorted.
    pub conflicted: Vec<String>,
    /// Submodules whose staged pointer changed, with the new commit.
    pub submodules: Vec<(String, Oid)>,
}

/// Lists what the index would commit on top of HEAD (the files only).
pub fn staged_changes(repo: &Repository) -> Result<Vec<StagedFile>, Error> {
    Ok(staged_change(repo)?.files)
}

/// Lists what the index would commit on top of HEAD. During a merge
/// conflict the index holds no staged version of a conflicted path, only
/// its sides: "ours" (stage 2) counts with the lines it adds to HEAD's
/// version, "theirs" (stage 3) with the lines it adds to ours, which is
/// what the merge would bring in.
pub fn staged_change(repo: &Repository) -> Result<StagedChange, Error> {
    if repo.is_bare() {
        return Err(Error::Bare {
            path: repo.path().to_path_buf(),
        });
    }
    let head = match repo.head() {
        Ok(h) => Some(
            h.peel_to_tree()
                .map_err(git_err("read HEAD's tree", repo))?,
        ),
        // No commit yet: everything staged is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(git_err("read HEAD", repo)(e)),
    };
    let index = repo.index().map_err(git_err("read the index", repo))?;
    let mut opts = DiffOptions::new();
    opts.context_lines(0).include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .map_err(git_err("diff the index against HEAD", repo))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))
        .map_err(git_err("find renames in the index", repo))?;
    let mut out = Vec::new();
    let mut submodules = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        let status = delta.status();
        if !matches!(
            status,
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        if new.mode() == git2::FileMode::Commit {
            if let Some(p) = new.path_bytes() {
                submodules.push((String::from_utf8_lossy(p).into_owned(), new.id()));
            }
            continue;
        }
        let Some(path) = new.path_bytes() else {
            continue;
        };
        let path = String::from_utf8_lossy(path).into_owned();
        let added = if matches!(status, Delta::Added | Delta::Typechange) {
            let whole_file = 1..u32::MAX;
            vec![whole_file]
        } else {
            added_lines(&diff, i).map_err(git_err("diff a staged file", repo))?
        };
        if !added.is_empty() {
            out.push(StagedFile {
                path,
                id: new.id(),
                added,
            });
        }
    }
    let conflicted = conflict_sides(repo, &index, head.as_ref(), &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    submodules.sort();
    Ok(StagedChange {
        files: out,
        conflicted,
        submodules,
    })
}

/// Adds both sides of every conflicted path of `index` to `out` and
/// returns the conflicted paths.
fn conflict_sides(
    repo: &Repository,
    index: &git2::Index,
    head: Option<&git2::Tree<'_>>,
    out: &mut Vec<StagedFile>,
) -> Result<Vec<String>, Error> {
    let mut paths = Vec::new();
    if !index.has_conflicts() {
        return Ok(paths);
    }
    let conflicts = index
        .conflicts()
        .map_err(git_err("read the index's conflicts", repo))?;
    for c in conflicts {
        let c = c.map_err(git_err("read the index's conflicts", repo))?;
        let Some(any) = c.our.as_ref().or(c.their.as_ref()) else {
            continue;
        };
        let path = String::from_utf8_lossy(&any.path).into_owned();
        let in_head = head
            .and_then(|t| t.get_path(std::path::Path::new(&path)).ok())
            .map(|e| e.id());
        let ours = c.our.as_ref().map(|e| e.id);
        let sides = [(in_head, c.our.as_ref()), (ours, c.their.as_ref())];
        for (base, side) in sides {
            let Some(side) = side.filter(|e| e.mode != u32::from(git2::FileMode::Commit)) else {
                continue;
            };
            let added = blob_added_lines(repo, base, side.id)
                .map_err(git_err("diff the sides of a merge conflict", repo))?;
            if !added.is_empty() {
                out.push(StagedFile {
                    path: path.clone(),
                    id: side.id,
                    added,
                });
            }
        }
        paths.push(path);
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The lines blob `new` adds to blob `old` (all of them without `old`).
fn blob_added_lines(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
) -> Result<Vec<Range<u32>>, git2::Error> {
    let whole_file = 1..u32::MAX;
    let Some(old) = old else {
        return Ok(vec![whole_file]);
    };
    if old == new {
        return Ok(Vec::new());
    }
    let (old, new) = (repo.find_blob(old)?, repo.find_blob(new)?);
    if old.is_binary() || new.is_binary() {
        return Ok(vec![whole_file]);
    }
    let mut opts = DiffOptions::new();
    opts.context_lines(0);
    let patch = Patch::from_blobs(&old, None, &new, None, Some(&mut opts))?;
    let mut out = Vec::new();
    for h in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(h)?;
        if hunk.new_lines() > 0 {
            out.push(hunk.new_start()..hunk.new_start() + hunk.new_lines());
        }
    }
    Ok(out)
}

fn added_lines(diff: &git2::Diff<'_>, idx: usize) -> Result<Vec<Range<u32>>, git2::Error> {
    let Some(patch) = Patch::from_diff(diff, idx)? else {
        return Ok(Vec::new());
    };
    // git diffs UTF-16 text as binary, without lines: all of it counts.
    if patch.delta().flags().is_binary() {
        let whole_file = 1..u32::MAX;
        return Ok(vec![whole_file]);
    }
    let mut out = Vec::new();
    for h in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(h)?;
        if hunk.new_lines() > 0 {
            out.push(hunk.new_start()..hunk.new_start() + hunk.new_lines());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touches_added_checks_overlap() {
        let f = StagedFile {
            path: "a".into(),
            id: Oid::ZERO_SHA1,
            added: vec![3..5, 9..10],
        };
        assert!(f.touches_added(4, 4));
        assert!(f.touches_added(1, 3));
        assert!(f.touches_added(9, 12));
        assert!(!f.touches_added(5, 8));
        assert!(!f.touches_added(1, 2));
    }
}
