//! Listing commits without libgit2's revision walk, for repositories where
//! that walk could reach a damaged loose object: refs and revisions resolved
//! and parents followed by reading only objects the [`Guard`] passed.

use super::{Error, Guard, OidSet, Rev, Selection, git_err};
use git2::{ObjectType, Oid, Repository};

/// Tags followed to reach a commit before giving up (tags of tags).
const MAX_TAG_DEPTH: usize = 16;

/// Calls `found` with each commit `sel` selects, newest first along each
/// line of history, skipping (and not following) damaged commits.
pub(super) fn each_commit(
    sel: &Selection,
    repo: &Repository,
    guard: &Guard,
    found: &mut dyn FnMut(Oid),
) -> Result<(), Error> {
    let odb = repo
        .odb()
        .map_err(git_err("open the object database", repo))?;
    let include = starts(&sel.include, repo, guard)?;
    let exclude = starts(&sel.exclude, repo, guard)?;
    let mut hidden = OidSet::default();
    walk(&odb, guard, exclude, &OidSet::default(), &mut |id| {
        hidden.insert(id);
    });
    walk(&odb, guard, include, &hidden, found);
    Ok(())
}

/// Depth-first from `starts`, each commit once, never entering `hidden`.
fn walk(
    odb: &git2::Odb<'_>,
    guard: &Guard,
    starts: Vec<Oid>,
    hidden: &OidSet,
    found: &mut dyn FnMut(Oid),
) {
    let mut seen = OidSet::default();
    let mut stack: Vec<Oid> = starts.into_iter().rev().collect();
    while let Some(id) = stack.pop() {
        if hidden.contains(&id) || !seen.insert(id) || !guard.readable(id) {
            continue;
        }
        let Ok(obj) = odb.read(id) else {
            continue;
        };
        if obj.kind() != ObjectType::Commit {
            continue;
        }
        found(id);
        let mut parents = parent_ids(obj.data());
        parents.reverse();
        stack.extend(parents);
    }
}

/// The `parent` lines of a raw commit object.
fn parent_ids(raw: &[u8]) -> Vec<Oid> {
    raw.split(|&b| b == b'\n')
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix(b"parent "))
        .filter_map(|hex| std::str::from_utf8(hex).ok())
        .filter_map(|hex| Oid::from_str(hex.trim()).ok())
        .collect()
}

/// The commits named by `revs`.
fn starts(revs: &[Rev], repo: &Repository, guard: &Guard) -> Result<Vec<Oid>, Error> {
    let mut out = Vec::new();
    for rev in revs {
        match rev {
            Rev::AllRefs => {
                out.extend(ref_commits(repo, guard, "refs/*")?);
                if let Ok(Some(id)) = repo.head().map(|h| h.target()) {
                    out.extend(peel(repo, guard, id));
                }
            }
            Rev::Glob(g) => out.extend(ref_commits(repo, guard, &ref_glob(g))?),
            Rev::Spec(s) => out.push(resolve(repo, guard, s)?),
        }
    }
    Ok(out)
}

/// libgit2's glob convention: relative to `refs/`, and a name without glob
/// characters means everything under it.
fn ref_glob(g: &str) -> String {
    let g = g.strip_prefix("refs/").unwrap_or(g);
    if g.contains(['*', '?', '[']) {
        format!("refs/{g}")
    } else {
        format!("refs/{}/*", g.trim_end_matches('/'))
    }
}

fn ref_commits(repo: &Repository, guard: &Guard, glob: &str) -> Result<Vec<Oid>, Error> {
    let refs = repo
        .references_glob(glob)
        .map_err(git_err("list refs", repo))?;
    let mut out = Vec::new();
    for r in refs.flatten() {
        let target = match r.target() {
            Some(id) => Some(id),
            None => r.resolve().ok().and_then(|r| r.target()),
        };
        out.extend(target.and_then(|id| peel(repo, guard, id)));
    }
    out.sort();
    Ok(out)
}

/// Follows tags from `id` to a commit, reading only objects the guard passed.
fn peel(repo: &Repository, guard: &Guard, mut id: Oid) -> Option<Oid> {
    let odb = repo.odb().ok()?;
    for _ in 0..MAX_TAG_DEPTH {
        if !guard.readable(id) {
            return None;
        }
        let obj = odb.read(id).ok()?;
        match obj.kind() {
            ObjectType::Commit => return Some(id),
            ObjectType::Tag => {
                let first = obj.data().split(|&b| b == b'\n').next()?;
                let hex = std::str::from_utf8(first.strip_prefix(b"object ")?).ok()?;
                id = Oid::from_str(hex.trim()).ok()?;
            }
            _ => return None,
        }
    }
    None
}

/// Resolves a branch, tag, `HEAD` or full commit id to a commit without
/// reading damaged objects. Ancestry expressions (`HEAD~3`) would make
/// libgit2 read the commits on the way, so they are refused here.
pub(super) fn resolve(repo: &Repository, guard: &Guard, spec: &str) -> Result<Oid, Error> {
    let bad = |reason: String| Error::BadRevision {
        spec: spec.to_string(),
        reason,
    };
    let target = match Oid::from_str(spec) {
        Ok(id) if spec.len() == 40 => Some(id),
        _ => repo
            .resolve_reference_from_short_name(spec)
            .ok()
            .and_then(|r| r.resolve().ok())
            .and_then(|r| r.target()),
    };
    let Some(target) = target else {
        return Err(bad(
            "the repository has corrupt loose objects, so only branch and tag names, HEAD \
             and full commit ids are resolved; run `git fsck`"
                .to_string(),
        ));
    };
    peel(repo, guard, target).ok_or_else(|| bad(format!("{target} is corrupt or not a commit")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_read_from_the_header_only() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let raw = format!(
            "tree {}\nparent {a}\nparent {b}\nauthor x\n\nparent {}\n",
            "0".repeat(40),
            "3".repeat(40)
        );
        let got = parent_ids(raw.as_bytes());
        assert_eq!(
            got,
            vec![Oid::from_str(&a).unwrap(), Oid::from_str(&b).unwrap()]
        );
    }

    #[test]
    fn globs_follow_libgit2() {
        assert_eq!(ref_glob("refs/remotes/*"), "refs/remotes/*");
        assert_eq!(ref_glob("heads"), "refs/heads/*");
        assert_eq!(ref_glob("tags/v1*"), "refs/tags/v1*");
    }
}
