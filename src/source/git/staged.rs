//! The staged change: every file the index would commit that differs from
//! HEAD (everything, when there is no commit yet), with the line ranges the
//! commit adds, numbered as in the staged content.

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

/// Lists what the index would commit on top of HEAD.
pub fn staged_changes(repo: &Repository) -> Result<Vec<StagedFile>, Error> {
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
    opts.context_lines(0)
        .ignore_submodules(true)
        .include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .map_err(git_err("diff the index against HEAD", repo))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))
        .map_err(git_err("find renames in the index", repo))?;
    let mut out = Vec::new();
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
    out.sort_by(|a, b| a.path.cmp(&b.path));
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
