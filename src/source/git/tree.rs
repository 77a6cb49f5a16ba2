//! What a commit introduced: its tree compared with its parents' trees,
//! skipping every subtree a parent already has, plus reading one blob with a
//! size limit. Object ids and paths out; nothing about rules.

use super::{Damage, Guard, OidMap};
use git2::{Odb, Oid, Repository};
use std::cmp::Ordering;
use std::rc::Rc;

const MODE_TREE: u32 = 0o040000;
const MODE_GITLINK: u32 = 0o160000;

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

/// Compares trees on one thread, reusing its path buffer and keeping the
/// trees it read recently.
///
/// PERF: trees are parsed here from their raw bytes rather than through
/// libgit2's `git_tree` (whose parser spent a fifth of a history walk turning
/// octal modes into integers), and each tree is read about twice in a row
/// (as a commit's tree, then as its child's parent tree), so a small
/// two-generation cache catches nearly every second read.
pub struct Differ<'r> {
    odb: Odb<'r>,
    packs: Option<super::ObjectReader<'r>>,
    guard: &'r Guard,
    path: Vec<u8>,
    cache: TreeCache,
}

/// Raw tree objects by id, in two generations: when the young one is full it
/// becomes the old one, and the old one is dropped.
#[derive(Default)]
struct TreeCache {
    young: OidMap<Rc<ParsedTree>>,
    old: OidMap<Rc<ParsedTree>>,
    young_bytes: usize,
}

/// Bytes of trees the young generation holds before it ages. Misses are
/// mostly structural (merges, chunk edges): on git.git 4 MiB reads 217k
/// trees, 8 MiB 207k, 32 MiB 200k (163k distinct), so this stays small and
/// leaves the memory to libgit2's pack windows.
const TREE_CACHE_BYTES: usize = 4 << 20;

/// A tree object with its entries located once.
struct ParsedTree {
    data: Box<[u8]>,
    entries: Vec<EntryAt>,
}

/// Where one entry sits in [`ParsedTree::data`]: `<mode> <name>\0<id>`.
#[derive(Clone, Copy)]
struct EntryAt {
    start: u32,
    mode: u32,
    name: u32,
    name_len: u32,
}

impl ParsedTree {
    /// Locates every entry; `None` if any is malformed.
    fn parse(data: &[u8]) -> Option<ParsedTree> {
        let mut entries = Vec::with_capacity(data.len() / 40);
        let mut pos = 0;
        while pos < data.len() {
            let mut mode = 0u32;
            let mut i = pos;
            while let Some(&d) = data.get(i).filter(|&&d| d != b' ') {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                mode = mode << 3 | u32::from(d - b'0');
                i += 1;
            }
            if i == pos || i >= data.len() {
                return None;
            }
            let name = i + 1;
            let nul = name + memchr::memchr(0, data.get(name..)?)?;
            if nul + 21 > data.len() {
                return None;
            }
            entries.push(EntryAt {
                start: pos as u32,
                mode,
                name: name as u32,
                name_len: (nul - name) as u32,
            });
            pos = nul + 21;
        }
        Some(ParsedTree {
            data: data.into(),
            entries,
        })
    }

    fn name(&self, e: EntryAt) -> &[u8] {
        &self.data[e.name as usize..(e.name + e.name_len) as usize]
    }

    fn id(&self, e: EntryAt) -> &[u8] {
        let at = (e.name + e.name_len + 1) as usize;
        &self.data[at..at + 20]
    }

    fn size(&self) -> usize {
        self.data.len() + self.entries.len() * std::mem::size_of::<EntryAt>()
    }
}

impl<'r> Differ<'r> {
    /// A differ over `repo` that reads no tree `guard` stopped.
    pub fn new(repo: &'r Repository, guard: &'r Guard) -> Result<Differ<'r>, git2::Error> {
        Ok(Differ {
            odb: repo.odb()?,
            packs: None,
            guard,
            path: Vec::with_capacity(256),
            cache: TreeCache::default(),
        })
    }

    /// Reads trees from `packs` first (libgit2 reads what they cannot give).
    pub fn with_packs(mut self, packs: super::ObjectReader<'r>) -> Differ<'r> {
        self.packs = Some(packs);
        self
    }

    /// Tree `id`, parsed.
    fn tree(&mut self, id: Oid) -> Result<Rc<ParsedTree>, git2::Error> {
        let c = &mut self.cache;
        if let Some(t) = c.young.get(&id) {
            return Ok(t.clone());
        }
        let t = match c.old.remove(&id) {
            Some(t) => t,
            None => {
                if !self.guard.readable(id) {
                    return Err(git2::Error::from_str("damaged loose object"));
                }
                let packed = self
                    .packs
                    .as_mut()
                    .and_then(|r| r.read(id, super::packread::TREE));
                if let Some(data) = packed {
                    let parsed = ParsedTree::parse(&data)
                        .ok_or_else(|| git2::Error::from_str("malformed tree object"))?;
                    Rc::new(parsed)
                } else {
                    let obj = self.odb.read(id)?;
                    if obj.kind() != git2::ObjectType::Tree {
                        return Err(git2::Error::from_str("not a tree"));
                    }
                    let parsed = ParsedTree::parse(obj.data())
                        .ok_or_else(|| git2::Error::from_str("malformed tree object"))?;
                    Rc::new(parsed)
                }
            }
        };
        c.young_bytes += t.size();
        c.young.insert(id, t.clone());
        if c.young_bytes > TREE_CACHE_BYTES {
            c.old = std::mem::take(&mut c.young);
            c.young_bytes = 0;
        }
        Ok(t)
    }

    /// Calls `visit` for every entry of tree `tree` that no tree in `parents`
    /// has with the same id at the same path. A subtree some parent shares is
    /// skipped whole, which is what keeps history walks cheap; so is an entry
    /// a merge took unchanged from its second parent. Unreadable trees go to
    /// `unreadable` and the walk goes on.
    pub fn introduced(
        &mut self,
        tree: Oid,
        parents: &[Oid],
        visit: &mut dyn FnMut(Entry<'_>),
        unreadable: &mut dyn FnMut(Oid, git2::Error),
    ) {
        self.path.clear();
        if parents.contains(&tree) {
            return;
        }
        let root = match self.tree(tree) {
            Ok(t) => t,
            Err(e) => return unreadable(tree, e),
        };
        let parents: Vec<Rc<ParsedTree>> =
            parents.iter().filter_map(|&p| self.tree(p).ok()).collect();
        self.walk(&root, &parents, visit, unreadable);
    }

    fn walk(
        &mut self,
        tree: &ParsedTree,
        parents: &[Rc<ParsedTree>],
        visit: &mut dyn FnMut(Entry<'_>),
        unreadable: &mut dyn FnMut(Oid, git2::Error),
    ) {
        let mut cursors = vec![0usize; parents.len()];
        let (first, end) = match parents {
            [p] => unchanged_ends(tree, p),
            _ => (0, tree.entries.len()),
        };
        cursors.iter_mut().for_each(|c| *c = first);
        let mut parent_subtrees: Vec<Oid> = Vec::new();
        for &e in &tree.entries[first..end] {
            let (name, id) = (tree.name(e), tree.id(e));
            let is_tree = e.mode == MODE_TREE;
            parent_subtrees.clear();
            let mut shared = false;
            // PERF: entries are sorted in git's tree order, so one cursor per
            // parent walks forward instead of a lookup per entry.
            for (p, c) in parents.iter().zip(cursors.iter_mut()) {
                while let Some(&pe) = p.entries.get(*c) {
                    let p_tree = pe.mode == MODE_TREE;
                    match tree_order(p.name(pe), p_tree, name, is_tree) {
                        Ordering::Less => *c += 1,
                        Ordering::Equal => {
                            *c += 1;
                            if p.id(pe) == id {
                                shared = true;
                            } else if p_tree {
                                parent_subtrees.push(oid(p.id(pe)));
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
            let id = oid(id);
            match e.mode {
                MODE_TREE => match self.tree(id) {
                    Ok(sub) => {
                        let subparents: Vec<Rc<ParsedTree>> = parent_subtrees
                            .iter()
                            .filter_map(|&p| self.tree(p).ok())
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

/// For a tree and its only parent: the range of the tree's entries that can
/// differ. Entries inside a byte-identical prefix are the parent's entries at
/// the same index; entries inside a byte-identical suffix are too, once an
/// entry there starts where a parent entry starts (from there both parse the
/// same bytes).
///
/// PERF: a commit usually changes one or two entries of a tree with hundreds
/// (git.git's root has over 400); two block compares replace hundreds of
/// name comparisons.
fn unchanged_ends(tree: &ParsedTree, parent: &ParsedTree) -> (usize, usize) {
    let (a, b) = (&tree.data[..], &parent.data[..]);
    let prefix = common_prefix(a, b);
    let first = tree.entries.partition_point(|e| entry_end(*e) <= prefix);
    let suffix = common_prefix_rev(&a[prefix..], &b[prefix.min(b.len())..]);
    let shift = b.len() as i64 - a.len() as i64;
    let suffix_start = a.len() - suffix;
    let mut end = tree.entries.len();
    for (i, e) in tree.entries.iter().enumerate().skip(first) {
        if (e.start as usize) < suffix_start {
            continue;
        }
        let in_parent = e.start as i64 + shift;
        if parent
            .entries
            .binary_search_by_key(&in_parent, |p| i64::from(p.start))
            .is_ok()
        {
            end = i;
            break;
        }
    }
    (first, end)
}

fn entry_end(e: EntryAt) -> usize {
    (e.name + e.name_len) as usize + 21
}

/// Eight bytes at `at`, as one word (compared whole instead of via memcmp).
fn word(s: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n && word(a, i) == word(b, i) {
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

fn common_prefix_rev(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + 8 <= n && word(a, n - i - 8) == word(b, n - i - 8) {
        i += 8;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

fn oid(raw: &[u8]) -> Oid {
    Oid::from_bytes(raw).unwrap_or(Oid::ZERO_SHA1)
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

/// Reads blob `id`, unless its header says it is larger than `max` bytes or
/// `guard` stopped it.
pub fn read_blob<'o>(odb: &'o Odb<'o>, id: Oid, max: u64, guard: &Guard) -> ReadOutcome<'o> {
    match guard.damage(id) {
        Some(Damage::Large { size, .. }) => return ReadOutcome::TooLarge(*size as usize),
        Some(Damage::Corrupt { reason, .. }) => {
            return ReadOutcome::Failed(git2::Error::from_str(&format!("loose object {reason}")));
        }
        None => {}
    }
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
    fn tree_objects_parse() {
        let mut t = b"100644 a.txt\0".to_vec();
        t.extend([1u8; 20]);
        t.extend(b"40000 dir\0");
        t.extend([2u8; 20]);
        let p = ParsedTree::parse(&t).unwrap();
        let got: Vec<_> = p
            .entries
            .iter()
            .map(|&e| (e.mode, p.name(e).to_vec(), p.id(e)[0]))
            .collect();
        assert_eq!(
            got,
            vec![
                (0o100644, b"a.txt".to_vec(), 1),
                (MODE_TREE, b"dir".to_vec(), 2)
            ]
        );
        assert!(ParsedTree::parse(b"100644 a.txt").is_none());
        assert!(ParsedTree::parse(b"10x644 a\0").is_none());
    }

    #[test]
    fn common_ends_are_measured() {
        let a = b"0123456789abcdefXYZ0123456789abcdef";
        let b = b"0123456789abcdefQ0123456789abcdef";
        assert_eq!(common_prefix(a, b), 16);
        assert_eq!(common_prefix_rev(a, b), 16);
        assert_eq!(common_prefix(b"abc", b"abc"), 3);
        assert_eq!(common_prefix_rev(b"", b"abc"), 0);
    }

    #[test]
    fn lfs_pointers_are_recognised() {
        let p = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert!(is_lfs_pointer(p));
        assert!(!is_lfs_pointer(b"version 1.2.3\n"));
    }
}
