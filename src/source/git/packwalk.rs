//! Wanted blobs read straight from a repository's pack files: each pack's
//! delta forest is resolved from its bases down, so every object on the
//! way is inflated once and every delta applied once, into buffers each
//! reader reuses. Ids and bytes out; nothing about rules.
//!
//! Whatever this cannot read (an object in no pack, a base in another pack
//! or missing, a chain that does not end in a blob, damaged data, an object
//! over the size limit) is handed back for reading through libgit2, which
//! then reports it as it always did.

use super::pack::{self, BLOB, Entries, Entry, NONE};
use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;
use std::fs::File;
use std::ops::Range;
use std::path::Path;

/// Longer delta chains (and cycles, which a hostile pack can make with
/// REF_DELTA entries) are left to libgit2.
const MAX_DEPTH: usize = 10_000;

/// Bytes one reader holds along a delta chain at most; a deeper or larger
/// chain is left to libgit2.
const CHAIN_BYTES: usize = 96 << 20;

/// Bytes of buffers a reader keeps from one forest to the next: each depth
/// of a chain keeps the largest object it held, and over a whole history
/// that added up to tens of MiB per reader.
const KEEP_BYTES: usize = 8 << 20;

/// The wanted blobs of a repository's packs and the delta forests that
/// lead to them.
pub struct PackBlobs {
    packs: Vec<Forest>,
    /// (pack, base entry) of every forest to read, in pack order.
    roots: Vec<(u32, u32)>,
}

/// One pack's entries, which of them are wanted, and the deltas of each.
struct Forest {
    entries: Entries,
    /// Per entry: the wanted position plus one, or 0.
    want: Vec<u32>,
    /// The deltas of entry `e` are `children[child_start[e]..child_start[e + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
}

/// Per entry, while planning: not looked at, leads to a blob base, or not
/// readable here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unknown,
    Good,
    Bad,
}

impl PackBlobs {
    /// Plans reading the blobs `wanted` from the packs under `git_dir`,
    /// leaving out those `direct` refuses. Returns the plan and the
    /// positions in `wanted` of the ids it will not read (read those
    /// through libgit2).
    pub fn plan(
        git_dir: &Path,
        wanted: &[Oid],
        direct: &dyn Fn(Oid) -> bool,
    ) -> (PackBlobs, Vec<usize>) {
        let indexes = pack::indexes(git_dir);
        let mut located: Vec<Vec<(u32, u32)>> = vec![Vec::new(); indexes.len()];
        let mut rest = Vec::new();
        for (w, id) in wanted.iter().enumerate() {
            if !direct(*id) {
                rest.push(w);
                continue;
            }
            let found = indexes
                .iter()
                .enumerate()
                .find_map(|(p, (_, idx))| Some((p, idx.position(id.as_bytes())?)));
            match found {
                Some((p, pos)) => located[p].push((pos as u32, w as u32)),
                None => rest.push(w),
            }
        }
        let mut packs = Vec::new();
        let mut roots = Vec::new();
        for ((path, idx), located) in indexes.iter().zip(located) {
            if located.is_empty() {
                continue;
            }
            let Some(entries) = pack::entries(path, idx) else {
                rest.extend(located.iter().map(|&(_, w)| w as usize));
                continue;
            };
            let mut want = vec![0u32; entries.entries.len()];
            for &(pos, w) in &located {
                want[entries.of_index[pos as usize] as usize] = w + 1;
            }
            let forest = Forest::new(entries, want, &mut rest);
            let p = packs.len() as u32;
            roots.extend(
                (0..forest.entries.entries.len())
                    .filter(|&e| forest.is_root(e))
                    .map(|e| (p, e as u32)),
            );
            packs.push(forest);
        }
        (PackBlobs { packs, roots }, rest)
    }

    /// How many forests there are to read.
    pub fn forests(&self) -> usize {
        self.roots.len()
    }

    /// Reads the forests `range` (of [`PackBlobs::forests`]) with `reader`,
    /// giving `visit` each wanted blob (its position in `wanted` and its
    /// bytes); the positions of wanted blobs it could not read go to `rest`.
    pub fn read(
        &self,
        range: Range<usize>,
        reader: &mut Reader,
        visit: &mut dyn FnMut(usize, &[u8]),
        rest: &mut Vec<usize>,
    ) {
        for &(p, root) in &self.roots[range] {
            let forest = &self.packs[p as usize];
            reader.stack.clear();
            reader.stack.push((root, 0));
            while let Some((e, depth)) = reader.stack.pop() {
                if reader.object(forest, e as usize, depth as usize).is_none() {
                    forest.wanted_below(e as usize, rest);
                    continue;
                }
                let w = forest.want[e as usize];
                if w > 0 {
                    visit(w as usize - 1, &reader.bufs[depth as usize]);
                }
                let kids = forest.children(e as usize);
                reader
                    .stack
                    .extend(kids.iter().rev().map(|&c| (c, depth + 1)));
            }
            reader.trim();
        }
    }
}

impl Forest {
    /// Marks which entries lead from a blob base to a wanted entry and lists
    /// the deltas of each; wanted entries that do not are added to `rest`.
    fn new(entries: Entries, want: Vec<u32>, rest: &mut Vec<usize>) -> Forest {
        let list = &entries.entries;
        let mut state = vec![State::Unknown; list.len()];
        let mut path = Vec::new();
        for (e, &w) in want.iter().enumerate() {
            if w == 0 {
                continue;
            }
            path.clear();
            let mut at = e;
            let verdict = loop {
                if state[at] != State::Unknown {
                    break state[at];
                }
                path.push(at);
                let entry = list[at];
                if !entry.is_delta() {
                    break if entry.kind == BLOB {
                        State::Good
                    } else {
                        State::Bad
                    };
                }
                if entry.base == NONE || path.len() > MAX_DEPTH {
                    break State::Bad;
                }
                at = entry.base as usize;
            };
            for &p in &path {
                state[p] = verdict;
            }
            if verdict == State::Bad {
                rest.push(w as usize - 1);
            }
        }
        let mut child_start = vec![0u32; list.len() + 1];
        for (e, entry) in list.iter().enumerate() {
            if state[e] == State::Good && entry.is_delta() {
                child_start[entry.base as usize + 1] += 1;
            }
        }
        for e in 0..list.len() {
            child_start[e + 1] += child_start[e];
        }
        let mut fill = child_start.clone();
        let mut children = vec![0u32; child_start[list.len()] as usize];
        for (e, entry) in list.iter().enumerate() {
            if state[e] == State::Good && entry.is_delta() {
                let slot = &mut fill[entry.base as usize];
                children[*slot as usize] = e as u32;
                *slot += 1;
            }
        }
        let mut entries = entries;
        let mut want = want;
        // Entries that lead to no wanted blob are never read: a root is a
        // blob base entry that does.
        for ((entry, w), s) in entries.entries.iter_mut().zip(&mut want).zip(&state) {
            if *s != State::Good {
                entry.kind = 0;
                *w = 0;
            }
        }
        Forest {
            entries,
            want,
            child_start,
            children,
        }
    }

    fn is_root(&self, e: usize) -> bool {
        self.entries.entries[e].kind == BLOB
    }

    fn children(&self, e: usize) -> &[u32] {
        &self.children[self.child_start[e] as usize..self.child_start[e + 1] as usize]
    }

    /// Adds the wanted positions of `e` and every entry below it to `rest`.
    fn wanted_below(&self, e: usize, rest: &mut Vec<usize>) {
        let mut stack = vec![e as u32];
        while let Some(e) = stack.pop() {
            let w = self.want[e as usize];
            if w > 0 {
                rest.push(w as usize - 1);
            }
            stack.extend_from_slice(self.children(e as usize));
        }
    }
}

/// One thread's scratch space for reading forests.
pub struct Reader {
    z: Inflater,
    max: u64,
    /// The object at each depth of the chain being read.
    bufs: Vec<Vec<u8>>,
    stack: Vec<(u32, u32)>,
}

impl Reader {
    /// A reader that reads no object larger than `max` bytes.
    pub fn new(max: u64) -> Reader {
        Reader {
            z: Inflater::default(),
            max: max.min(CHAIN_BYTES as u64),
            bufs: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// Reads entry `e` of `forest` into `bufs[depth]` (its base is in
    /// `bufs[depth - 1]`); `None` when it cannot be read here.
    fn object(&mut self, forest: &Forest, e: usize, depth: usize) -> Option<()> {
        let entry = forest.entries.entries[e];
        if self.bufs.len() <= depth {
            self.bufs.resize_with(depth + 1, Vec::new);
        }
        let (below, at) = self.bufs.split_at_mut(depth);
        let out = &mut at[0];
        let held: usize = below.iter().map(Vec::len).sum();
        let file = &forest.entries.file;
        if !entry.is_delta() {
            if entry.size > self.max || held + entry.size as usize > CHAIN_BYTES {
                return None;
            }
            return self.z.object(file, &entry, out);
        }
        let limit = (self.max as usize).min(CHAIN_BYTES.saturating_sub(held));
        self.z.undelta(file, &entry, below.last()?, out, limit)
    }

    /// Keeps at most [`KEEP_BYTES`] of buffers for the next forest, letting
    /// go of the deepest first.
    fn trim(&mut self) {
        let mut kept = 0;
        for b in [&mut self.z.packed, &mut self.z.delta]
            .into_iter()
            .chain(self.bufs.iter_mut())
        {
            kept += b.capacity();
            if kept > KEEP_BYTES {
                kept -= b.capacity();
                *b = Vec::new();
            }
        }
    }
}

/// A zlib stream and the buffers that pack entries are read and inflated
/// into, reused from one entry to the next.
#[derive(Default)]
pub(super) struct Inflater {
    z: Option<Decompress>,
    packed: Vec<u8>,
    delta: Vec<u8>,
}

impl Inflater {
    /// Reads and inflates the (non-delta) `entry` of `file` into `out`.
    pub(super) fn object(&mut self, file: &File, entry: &Entry, out: &mut Vec<u8>) -> Option<()> {
        entry.read_stream(file, &mut self.packed)?;
        let z = self.z.get_or_insert_with(|| Decompress::new(true));
        inflate(z, &self.packed, out, entry.size as usize)
    }

    /// Reads the delta `entry` of `file` and applies it to `base` into
    /// `out`; `None` also when it would make more than `limit` bytes.
    pub(super) fn undelta(
        &mut self,
        file: &File,
        entry: &Entry,
        base: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Option<()> {
        // A delta's copy instructions take at most 8 bytes per byte they
        // make; a longer delta cannot make an object within the limit.
        if entry.size > limit as u64 * 8 + 64 {
            return None;
        }
        entry.read_stream(file, &mut self.packed)?;
        let z = self.z.get_or_insert_with(|| Decompress::new(true));
        inflate(z, &self.packed, &mut self.delta, entry.size as usize)?;
        apply_delta(base, &self.delta, out, limit)
    }
}

/// Inflates the zlib stream at the start of `input` into `out`, which must
/// come to exactly `size` bytes.
fn inflate(z: &mut Decompress, input: &[u8], out: &mut Vec<u8>, size: usize) -> Option<()> {
    z.reset(true);
    out.clear();
    // One byte of room past the end lets the stream's end be read.
    out.reserve(size + 1);
    let status = z.decompress_vec(input, out, FlushDecompress::Finish).ok()?;
    (status == Status::StreamEnd && out.len() == size).then_some(())
}

/// A little-endian base-128 number of a delta's header.
fn varint(d: &[u8], at: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let c = *d.get(*at)?;
        *at += 1;
        if shift > 63 {
            return None;
        }
        n |= u64::from(c & 0x7f) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return Some(n);
        }
    }
}

/// Applies git delta `delta` to `base` into `out`; `None` when the delta is
/// malformed, does not fit `base`, or makes more than `limit` bytes.
fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>, limit: usize) -> Option<()> {
    let mut i = 0;
    if varint(delta, &mut i)? != base.len() as u64 {
        return None;
    }
    let size = varint(delta, &mut i)?;
    if size > limit as u64 {
        return None;
    }
    let size = size as usize;
    out.clear();
    out.reserve(size);
    while let Some(&c) = delta.get(i) {
        i += 1;
        if c & 0x80 != 0 {
            let mut word = [0u64; 2];
            for (bit, (slot, shift)) in [(0, 0), (0, 8), (0, 16), (0, 24), (1, 0), (1, 8), (1, 16)]
                .into_iter()
                .enumerate()
            {
                if c & (1 << bit) != 0 {
                    word[slot] |= u64::from(*delta.get(i)?) << shift;
                    i += 1;
                }
            }
            let (off, len) = (
                word[0] as usize,
                if word[1] == 0 {
                    0x10000
                } else {
                    word[1] as usize
                },
            );
            let end = off.checked_add(len)?;
            if end > base.len() || out.len() + len > size {
                return None;
            }
            out.extend_from_slice(&base[off..end]);
        } else if c != 0 {
            let n = usize::from(c);
            let insert = delta.get(i..i + n)?;
            if out.len() + n > size {
                return None;
            }
            out.extend_from_slice(insert);
            i += n;
        } else {
            return None;
        }
    }
    (out.len() == size).then_some(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::process::Command;

    /// Runs git in `dir` with a fixed identity and no automatic gc.
    pub(in crate::source::git) fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "gc.auto=0",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Every blob id in `odb`, sorted, each once.
    fn blob_ids(odb: &git2::Odb<'_>) -> Vec<Oid> {
        let mut blobs = Vec::new();
        odb.foreach(|id| {
            if odb.read_header(*id).unwrap().1 == git2::ObjectType::Blob {
                blobs.push(*id);
            }
            true
        })
        .unwrap();
        blobs.sort();
        blobs.dedup();
        blobs
    }

    #[test]
    fn deltas_apply_copies_and_inserts() {
        let base = b"0123456789abcdef";
        // source 16, target 9: copy 4 bytes from offset 2, insert "XY",
        // copy 3 bytes from offset 13.
        let delta = [16, 9, 0x91, 2, 4, 2, b'X', b'Y', 0x91, 13, 3];
        let mut out = Vec::new();
        assert_eq!(apply_delta(base, &delta, &mut out, 100), Some(()));
        assert_eq!(out, b"2345XYdef");
        assert_eq!(
            apply_delta(base, &delta, &mut out, 8),
            None,
            "over the limit"
        );
        assert_eq!(
            apply_delta(&base[1..], &delta, &mut out, 100),
            None,
            "wrong base"
        );
        let past_end = [16, 4, 0x91, 14, 4];
        assert_eq!(apply_delta(base, &past_end, &mut out, 100), None);
        assert_eq!(
            apply_delta(base, &[16, 1, 0], &mut out, 100),
            None,
            "reserved op"
        );
        assert_eq!(
            apply_delta(base, &[16, 3, 1, b'a'], &mut out, 100),
            None,
            "short"
        );
    }

    /// Every blob of a packed repository (many versions of a few files, so
    /// deep delta chains) reads as libgit2 reads it; what is not in the
    /// pack, or refused, is handed back.
    #[test]
    fn packed_blobs_read_as_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        let mut text = String::new();
        for i in 0..60 {
            for line in 0..40 {
                text.push_str(&format!("line {line} of version {i}: {}\n", line * i));
            }
            std::fs::write(d.join("a.txt"), &text).unwrap();
            std::fs::write(d.join("b.bin"), [i as u8, 0, 1, 2].repeat(500 + i)).unwrap();
            git(d, &["add", "."]);
            git(d, &["commit", "-q", "-m", &format!("v{i}")]);
        }
        git(d, &["repack", "-adq", "--depth=50", "--window=50"]);
        std::fs::write(d.join("loose.txt"), "only loose").unwrap();
        git(d, &["add", "loose.txt"]);
        git(d, &["commit", "-q", "-m", "loose"]);
        let repo = git2::Repository::open(d).unwrap();
        let odb = repo.odb().unwrap();
        let blobs = blob_ids(&odb);
        let loose =
            odb.exists(git2::Oid::hash_object(git2::ObjectType::Blob, b"only loose").unwrap());
        assert!(loose);
        let refused = blobs[0];
        let (plan, rest) = PackBlobs::plan(&d.join(".git"), &blobs, &|id| id != refused);
        assert!(plan.forests() < blobs.len(), "deltas share forests");
        let mut reader = Reader::new(1 << 20);
        let mut read = vec![None; blobs.len()];
        let mut failed = Vec::new();
        plan.read(
            0..plan.forests(),
            &mut reader,
            &mut |w, data| {
                assert!(read[w].is_none(), "each blob once");
                read[w] = Some(data.to_vec());
            },
            &mut failed,
        );
        assert!(failed.is_empty());
        let loose_id = git2::Oid::hash_object(git2::ObjectType::Blob, b"only loose").unwrap();
        let mut expect_rest: Vec<usize> = blobs
            .iter()
            .enumerate()
            .filter(|&(_, &id)| id == refused || id == loose_id)
            .map(|(w, _)| w)
            .collect();
        expect_rest.sort();
        let mut rest = rest;
        rest.sort();
        assert_eq!(rest, expect_rest);
        for (w, id) in blobs.iter().enumerate() {
            if rest.contains(&w) {
                assert!(read[w].is_none());
                continue;
            }
            assert_eq!(
                read[w].as_deref(),
                Some(odb.read(*id).unwrap().data()),
                "{id}"
            );
        }
    }

    /// Objects over the limit (and what is built on them) are handed back.
    #[test]
    fn objects_over_the_limit_are_handed_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for i in 0..3 {
            std::fs::write(d.join("big.txt"), format!("{i}\n").repeat(3000)).unwrap();
            git(d, &["add", "."]);
            git(d, &["commit", "-q", "-m", "v"]);
        }
        git(d, &["repack", "-adq"]);
        let repo = git2::Repository::open(d).unwrap();
        let blobs = blob_ids(&repo.odb().unwrap());
        let (plan, mut rest) = PackBlobs::plan(&d.join(".git"), &blobs, &|_| true);
        assert!(rest.is_empty());
        let mut reader = Reader::new(1000);
        plan.read(
            0..plan.forests(),
            &mut reader,
            &mut |_, _| panic!("over"),
            &mut rest,
        );
        rest.sort();
        assert_eq!(rest, (0..blobs.len()).collect::<Vec<_>>());
    }
}
