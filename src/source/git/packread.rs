//! Commits and trees read by id straight from a repository's pack files,
//! one reader per thread with its own delta base cache: no lock, shared
//! cache or mapped window between threads. Bytes out; nothing about rules.
//!
//! PERF: a history walk reads every commit and most trees; through libgit2
//! each read took its process-wide locks and remapped its pack windows
//! (page faults and munmap calls were a tenth of a git.git scan).

use super::pack::{self, Entries, NONE, PackIndex};
use super::packwalk::Inflater;
use git2::Oid;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;

/// Pack type of a commit.
const COMMIT: u8 = 1;
/// Pack type of a tree.
pub(super) const TREE: u8 = 2;

/// Objects larger than this are left to libgit2.
const MAX_OBJECT: u64 = 64 << 20;

/// Delta chains longer than this (or cycles) are left to libgit2.
const MAX_DEPTH: usize = 10_000;

/// Bytes of delta bases a reader keeps in each of its two generations.
const CACHE_BYTES: usize = 4 << 20;

/// Bases larger than this are not kept.
const CACHE_MAX_OBJECT: usize = 1 << 20;

/// The pack files of a repository, shared by the readers of every thread;
/// each pack's entries are located the first time an object is looked up
/// in it (a rescan that finds no new commit reads no pack).
pub struct PackObjects {
    packs: Vec<Pack>,
}

struct Pack {
    path: PathBuf,
    idx: PackIndex,
    /// `None` when the pack does not parse: its objects are read through
    /// libgit2.
    entries: OnceLock<Option<Entries>>,
}

impl PackObjects {
    /// The packs under `git_dir`, by their indexes.
    pub fn load(git_dir: &Path) -> PackObjects {
        let packs = pack::indexes(git_dir)
            .into_iter()
            .map(|(path, idx)| Pack {
                path,
                idx,
                entries: OnceLock::new(),
            })
            .collect();
        PackObjects { packs }
    }

    fn entries(&self, p: usize) -> Option<&Entries> {
        let pack = &self.packs[p];
        pack.entries
            .get_or_init(|| pack::entries(&pack.path, &pack.idx))
            .as_ref()
    }

    fn locate(&self, id: Oid) -> Option<(usize, usize)> {
        let (p, pos) = self
            .packs
            .iter()
            .enumerate()
            .find_map(|(p, pack)| Some((p, pack.idx.position(id.as_bytes())?)))?;
        Some((p, self.entries(p)?.of_index[pos] as usize))
    }
}

/// Delta bases by (pack, entry): their pack type and bytes.
type Bases = HashMap<(usize, usize), (u8, Rc<Vec<u8>>)>;

/// One thread's reader of [`PackObjects`].
pub struct ObjectReader<'p> {
    objects: &'p PackObjects,
    z: Inflater,
    chain: Vec<usize>,
    young: Bases,
    old: Bases,
    young_bytes: usize,
}

impl<'p> ObjectReader<'p> {
    /// A reader of `objects` for one thread.
    pub fn new(objects: &'p PackObjects) -> ObjectReader<'p> {
        ObjectReader {
            objects,
            z: Inflater::default(),
            chain: Vec::new(),
            young: HashMap::new(),
            old: HashMap::new(),
            young_bytes: 0,
        }
    }

    /// Commit `id` when it is in a pack and reads cleanly; `None`
    /// otherwise (read it through libgit2, which says why when it cannot).
    pub fn commit(&mut self, id: Oid) -> Option<Rc<Vec<u8>>> {
        self.read(id, COMMIT)
    }

    /// Object `id` when it is in a pack, of pack type `kind`, and reads
    /// cleanly; `None` otherwise.
    pub(super) fn read(&mut self, id: Oid, kind: u8) -> Option<Rc<Vec<u8>>> {
        let (p, e) = self.objects.locate(id)?;
        let (found, data) = self.resolve(p, e)?;
        (found == kind).then_some(data)
    }

    fn cached(&mut self, key: (usize, usize)) -> Option<(u8, Rc<Vec<u8>>)> {
        if let Some(v) = self.young.get(&key) {
            return Some(v.clone());
        }
        let v = self.old.remove(&key)?;
        self.keep(key, v.clone());
        Some(v)
    }

    fn keep(&mut self, key: (usize, usize), v: (u8, Rc<Vec<u8>>)) {
        if v.1.len() > CACHE_MAX_OBJECT {
            return;
        }
        self.young_bytes += v.1.len();
        self.young.insert(key, v);
        if self.young_bytes > CACHE_BYTES {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }

    /// Entry `e` of pack `p`: its type and bytes; every object on the way
    /// is kept as a base.
    fn resolve(&mut self, p: usize, e: usize) -> Option<(u8, Rc<Vec<u8>>)> {
        let entries = self.objects.entries(p)?;
        self.chain.clear();
        let mut at = e;
        let (kind, mut data) = loop {
            if let Some(v) = self.cached((p, at)) {
                break v;
            }
            let entry = entries.entries[at];
            if !entry.is_delta() {
                if entry.size > MAX_OBJECT {
                    return None;
                }
                let mut out = Vec::new();
                self.z.object(&entries.file, &entry, &mut out)?;
                let v = (entry.kind, Rc::new(out));
                if at != e {
                    self.keep((p, at), v.clone());
                }
                break v;
            }
            if entry.base == NONE || self.chain.len() >= MAX_DEPTH {
                return None;
            }
            self.chain.push(at);
            at = entry.base as usize;
        };
        while let Some(at) = self.chain.pop() {
            let entries = self.objects.entries(p)?;
            let mut out = Vec::new();
            let entry = &entries.entries[at];
            self.z
                .undelta(&entries.file, entry, &data, &mut out, MAX_OBJECT as usize)?;
            data = Rc::new(out);
            if at != e {
                self.keep((p, at), (kind, data.clone()));
            }
        }
        Some((kind, data))
    }
}

#[cfg(test)]
mod tests {
    use super::super::packwalk::tests::git;
    use super::*;

    /// Every commit and tree of a packed repository (trees deltified
    /// against each other) reads as libgit2 reads it, whichever order they
    /// are read in; a blob asked for as a tree, or an object in no pack, is
    /// handed back.
    #[test]
    fn packed_commits_and_trees_read_as_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for i in 0..40 {
            for f in 0..30 {
                let sub = d.join(format!("dir{}", f % 3));
                std::fs::create_dir_all(&sub).unwrap();
                if (i + f) % 7 == 0 {
                    std::fs::write(sub.join(format!("f{f}.txt")), format!("{i} {f}\n")).unwrap();
                }
            }
            git(d, &["add", "."]);
            git(
                d,
                &["commit", "-q", "--allow-empty", "-m", &format!("v{i}")],
            );
        }
        git(d, &["repack", "-adq", "--depth=50", "--window=50"]);
        git(d, &["commit", "-q", "--allow-empty", "-m", "loose"]);
        let repo = git2::Repository::open(d).unwrap();
        let odb = repo.odb().unwrap();
        let mut ids = Vec::new();
        odb.foreach(|id| {
            ids.push(*id);
            true
        })
        .unwrap();
        ids.sort();
        ids.dedup();
        let packs = PackObjects::load(&d.join(".git"));
        let mut reader = ObjectReader::new(&packs);
        let head = repo.head().unwrap().target().unwrap();
        assert!(reader.commit(head).is_none(), "the loose commit");
        let (mut trees, mut commits) = (0, 0);
        for pass in 0..2 {
            let order: Vec<_> = if pass == 0 {
                ids.clone()
            } else {
                ids.iter().rev().copied().collect()
            };
            for id in order {
                let obj = odb.read(id).unwrap();
                let got = match obj.kind() {
                    git2::ObjectType::Tree => reader.read(id, TREE),
                    git2::ObjectType::Commit if id != head => reader.commit(id),
                    _ => {
                        assert!(reader.read(id, TREE).is_none(), "not a tree: {id}");
                        continue;
                    }
                };
                if obj.kind() == git2::ObjectType::Tree {
                    trees += 1;
                } else {
                    commits += 1;
                }
                assert_eq!(got.as_deref().map(Vec::as_slice), Some(obj.data()), "{id}");
            }
        }
        assert!(
            trees > 100 && commits == 80,
            "{trees} trees, {commits} commits"
        );
    }
}
