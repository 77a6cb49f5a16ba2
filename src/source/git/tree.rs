//! What a commit introduced: its tree compared with its parents' trees,
//! skipping every subtree a parent already has, plus reading one blob with a
//! size limit. Object ids and paths out; nothing about rules.

use git2::{Odb, Oid, Repository, Tree};
use std::cmp::Ordering;

const MODE_TREE: i32 = 0o040000;
const MODE_GITLINK: i32 = 0o160000;

/// What a tree entry points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// File content (regular, executable or a symlink target).
    Blob,
    /// A submodule commit (the content lives in another repository).
    Gitlink,
}

/// One entry a commit introduced: content at a path no parent has there.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The blob (or, for gitlinks, commit) id.
    pub id: Oid,
    /// Slash-separated path in the commit's tree.
    pub path: &'a [u8],
    /// Blob or submodule.
    pub kind: EntryKind,
}

/// Compares trees on one thread, reusing its path buffer.
pub struct Differ<'r> {
    repo: &'r Repository,
    path: Vec<u8>,
}

impl<'r> Differ<'r> {
    /// A differ over `repo`.
    pub fn new(repo: &'r Repository) -> Differ<'r> {
        Differ {
            repo,
            path: Vec::with_capacity(256),
        }
    }

    /// Calls `visit` for every entry of `tree` that no tree in `parents` has
    /// with the same id at the same path. A subtree some parent shares is
    /// skipped whole, which is what keeps history walks cheap; so is an entry
    /// a merge took unchanged from its second parent. Unreadable subtrees go
    /// to `unreadable` and the walk goes on.
    pub fn introduced(
        &mut self,
        tree: &Tree<'_>,
        parents: &[Tree<'_>],
        visit: &mut dyn FnMut(Entry<'_>),
        unreadable: &mut dyn FnMut(Oid, git2::Error),
    ) {
        self.path.clear();
        self.walk(tree, parents, visit, unreadable);
    }

    fn walk(
        &mut self,
        tree: &Tree<'_>,
        parents: &[Tree<'_>],
        visit: &mut dyn FnMut(Entry<'_>),
        unreadable: &mut dyn FnMut(Oid, git2::Error),
    ) {
        let mut cursors = vec![0usize; parents.len()];
        let mut parent_subtrees: Vec<Oid> = Vec::new();
        for e in tree.iter() {
            let name = e.name_bytes();
            let mode = e.filemode();
            let is_tree = mode == MODE_TREE;
            let id = e.id();
            parent_subtrees.clear();
            let mut shared = false;
            // PERF: entries are sorted in git's tree order, so one cursor per
            // parent walks forward instead of a lookup per entry.
            for (p, c) in parents.iter().zip(cursors.iter_mut()) {
                while let Some(pe) = p.get(*c) {
                    let p_tree = pe.filemode() == MODE_TREE;
                    match tree_order(pe.name_bytes(), p_tree, name, is_tree) {
                        Ordering::Less => *c += 1,
                        Ordering::Equal => {
                            *c += 1;
                            if pe.id() == id {
                                shared = true;
                            } else if p_tree {
                                parent_subtrees.push(pe.id());
                            }
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
                if shared {
                    break;
                }
            }
            if shared {
                continue;
            }
            let len = self.path.len();
            if len > 0 {
                self.path.push(b'/');
            }
            self.path.extend_from_slice(name);
            match mode {
                MODE_TREE => match self.repo.find_tree(id) {
                    Ok(sub) => {
                        let subparents: Vec<Tree<'_>> = parent_subtrees
                            .iter()
                            .filter_map(|&p| self.repo.find_tree(p).ok())
                            .collect();
                        self.walk(&sub, &subparents, visit, unreadable);
                    }
                    Err(err) => unreadable(id, err),
                },
                MODE_GITLINK => visit(Entry {
                    id,
                    path: &self.path,
                    kind: EntryKind::Gitlink,
                }),
                _ => visit(Entry {
                    id,
                    path: &self.path,
                    kind: EntryKind::Blob,
                }),
            }
            self.path.truncate(len);
        }
    }
}

/// git's tree entry order: names compared bytewise, a tree's name as if it
/// ended in `/`.
fn tree_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end = |t: bool| if t { b'/' } else { 0 };
        let ca = a.get(n).copied().unwrap_or(end(a_tree));
        let cb = b.get(n).copied().unwrap_or(end(b_tree));
        ca.cmp(&cb)
    })
}

/// What reading a blob gave.
pub enum ReadOutcome<'o> {
    /// The content.
    Data(git2::OdbObject<'o>),
    /// Over the limit; not read.
    TooLarge(usize),
    /// Not in the object database (partial or damaged clone).
    Missing,
    /// Corrupt or otherwise unreadable.
    Failed(git2::Error),
}

/// Reads blob `id`, unless its header says it is larger than `max` bytes.
pub fn read_blob<'o>(odb: &'o Odb<'o>, id: Oid, max: u64) -> ReadOutcome<'o> {
    let fail = |e: git2::Error| {
        if e.code() == git2::ErrorCode::NotFound {
            ReadOutcome::Missing
        } else {
            ReadOutcome::Failed(e)
        }
    };
    match odb.read_header(id) {
        Ok((size, _)) if size as u64 > max => return ReadOutcome::TooLarge(size),
        Ok(_) => {}
        Err(e) => return fail(e),
    }
    match odb.read(id) {
        Ok(obj) => ReadOutcome::Data(obj),
        Err(e) => fail(e),
    }
}

/// Whether `bytes` is a git LFS pointer file (the content lives on an LFS
/// server, so there is nothing to scan here).
pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024
        && (bytes.starts_with(b"version https://git-lfs.github.com/spec/")
            || bytes.starts_with(b"version https://hawser.github.com/spec/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_order_sorts_trees_as_if_slash_terminated() {
        // "a.c" < "a/" (tree a) because '.' < '/', but "a" (blob) < "a.c".
        assert_eq!(tree_order(b"a.c", false, b"a", true), Ordering::Less);
        assert_eq!(tree_order(b"a", false, b"a.c", false), Ordering::Less);
        assert_eq!(tree_order(b"a", true, b"a", false), Ordering::Greater);
        assert_eq!(tree_order(b"a", true, b"a", true), Ordering::Equal);
        assert_eq!(tree_order(b"a0", false, b"a", true), Ordering::Greater);
    }

    #[test]
    fn lfs_pointers_are_recognised() {
        let p = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert!(is_lfs_pointer(p));
        assert!(!is_lfs_pointer(b"version 1.2.3\n"));
    }
}
