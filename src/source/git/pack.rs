//! Pack files read directly: their `.idx` indexes, each entry's header, and
//! the delta forest of every pack (which entry is a delta of which), so that
//! wanted blobs can be resolved from their bases down (see
//! [`super::packwalk`]).
//!
//! PERF: libgit2 reads one object at a time through a process-wide lock, a
//! shared delta base cache and mapped windows that a history scan kept
//! remapping (tens of thousands of mmap/munmap pairs and page faults on
//! git.git). Reading the forest from each base down inflates every object
//! once and applies every delta once, like `git index-pack`.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Entry types of the pack format.
pub(super) const BLOB: u8 = 3;
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;

/// No entry (an unresolved base, or none).
pub(super) const NONE: u32 = u32::MAX;

/// Longest entry header: type and size (10 bytes at most for 64 bits) and
/// a base (a 20-byte id, or an offset of at most 10 bytes).
const MAX_HEADER: usize = 32;

/// Bytes of a pack read at a time while its entry headers are parsed.
const HEADER_CHUNK: usize = 4 << 20;

/// A `.idx` file (version 2, SHA-1): sorted ids and their pack offsets.
#[derive(Debug)]
pub(super) struct PackIndex {
    /// Sorted object ids, 20 bytes each.
    pub(super) ids: Vec<u8>,
    /// Offsets in the pack, same order as `ids`.
    pub(super) offsets: Vec<u64>,
}

/// Every `objects/pack/*.idx` (parsed) under `git_dir`, with its `.pack`
/// path, sorted by name. Unreadable or unknown indexes are left out: their
/// objects are read through libgit2.
pub(super) fn indexes(git_dir: &Path) -> Vec<(PathBuf, PackIndex)> {
    let Ok(dir) = std::fs::read_dir(git_dir.join("objects").join("pack")) else {
        return Vec::new();
    };
    let mut names: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|p| {
            let idx = PackIndex::parse(&std::fs::read(&p).ok()?)?;
            Some((p.with_extension("pack"), idx))
        })
        .collect()
}

impl PackIndex {
    pub(super) fn parse(b: &[u8]) -> Option<PackIndex> {
        if b.len() < 8 + 1024 || b[..4] != [0xff, b't', b'O', b'c'] || be32(b, 4)? != 2 {
            return None;
        }
        let n = be32(b, 8 + 255 * 4)? as usize;
        let ids_at = 8 + 1024;
        let offs_at = ids_at + n.checked_mul(24)?;
        let large_at = offs_at + n * 4;
        let ids = b.get(ids_at..ids_at + n * 20)?.to_vec();
        let offsets = (0..n)
            .map(|i| {
                let o = be32(b, offs_at + i * 4)?;
                if o & 0x8000_0000 == 0 {
                    Some(u64::from(o))
                } else {
                    let at = large_at + (o & 0x7fff_ffff) as usize * 8;
                    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
                }
            })
            .collect::<Option<Vec<u64>>>()?;
        Some(PackIndex { ids, offsets })
    }

    /// The position of `id` in the index.
    pub(super) fn position(&self, id: &[u8]) -> Option<usize> {
        let n = self.offsets.len();
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.ids[mid * 20..mid * 20 + 20].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// One pack entry, located.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// Where its compressed data starts.
    pub(super) data: u64,
    /// Where it ends (the next entry, or the pack's trailer).
    pub(super) end: u64,
    /// The inflated size its header declares (a delta's own size for deltas).
    pub(super) size: u64,
    /// Its pack type (1-4 objects, 6-7 deltas).
    pub(super) kind: u8,
    /// The entry it is a delta of, by position in offset order.
    pub(super) base: u32,
}

impl Entry {
    pub(super) fn is_delta(&self) -> bool {
        self.kind == OFS_DELTA || self.kind == REF_DELTA
    }

    /// Reads its compressed bytes from `file` into `packed`: up to its end,
    /// and no more than a zlib stream of its declared size can take.
    pub(super) fn read_stream(&self, file: &File, packed: &mut Vec<u8>) -> Option<()> {
        let bound = self.size + self.size / 8 + 1024;
        let len = (self.end - self.data).min(bound);
        packed.resize(len as usize, 0);
        read_at(file, packed, self.data).ok()
    }
}

/// One pack's entries in offset order.
pub(super) struct Entries {
    pub(super) file: File,
    pub(super) entries: Vec<Entry>,
    /// Entry (offset order) of each index position.
    pub(super) of_index: Vec<u32>,
}

/// Reads the header of every entry of the pack at `path` that `idx`
/// lists; `None` when the pack does not match its index or cannot be read.
pub(super) fn entries(path: &Path, idx: &PackIndex) -> Option<Entries> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let n = idx.offsets.len();
    let mut head = [0u8; 12];
    read_at(&file, &mut head, 0).ok()?;
    let version = be32(&head, 4)?;
    if head[..4] != *b"PACK" || !(2..=3).contains(&version) || be32(&head, 8)? as usize != n {
        return None;
    }
    let mut at_index: Vec<u32> = (0..n as u32).collect();
    at_index.sort_unstable_by_key(|&i| idx.offsets[i as usize]);
    let mut of_index = vec![NONE; n];
    for (e, &i) in at_index.iter().enumerate() {
        of_index[i as usize] = e as u32;
    }
    let sorted: Vec<u64> = at_index.iter().map(|&i| idx.offsets[i as usize]).collect();
    let trailer = len.checked_sub(20)?;
    let mut entries = Vec::with_capacity(n);
    let mut chunk = Vec::new();
    let mut chunk_at = 0u64;
    for e in 0..n {
        let off = sorted[e];
        let end = sorted.get(e + 1).copied().unwrap_or(trailer);
        if off < 12 || end <= off || end > trailer {
            return None;
        }
        let want_end = (off + MAX_HEADER as u64).min(trailer);
        if off < chunk_at || want_end > chunk_at + chunk.len() as u64 {
            let size = (HEADER_CHUNK as u64).min(trailer - off) as usize;
            chunk.resize(size, 0);
            read_at(&file, &mut chunk, off).ok()?;
            chunk_at = off;
        }
        let at = (off - chunk_at) as usize;
        let stop = ((end - chunk_at) as usize).min(chunk.len());
        let bytes = &chunk[at..stop];
        let mut entry = parse_entry(bytes, off, end)?;
        entry.entry.base = match entry.base_at {
            Base::None => NONE,
            Base::Offset(b) => sorted.binary_search(&b).map_or(NONE, |e| e as u32),
            Base::Id(p) => idx
                .position(&bytes[p..p + 20])
                .map_or(NONE, |p| of_index[p]),
        };
        entries.push(entry.entry);
    }
    Some(Entries {
        file,
        entries,
        of_index,
    })
}

/// Where an entry's base is, as its header says.
enum Base {
    None,
    /// At this pack offset.
    Offset(u64),
    /// The object whose id is at this position of the entry's bytes.
    Id(usize),
}

/// An entry whose base is not resolved yet.
struct Parsed {
    entry: Entry,
    base_at: Base,
}

/// Parses the header of the entry at offset `off`, ending at `end`, whose
/// bytes start `bytes`.
fn parse_entry(bytes: &[u8], off: u64, end: u64) -> Option<Parsed> {
    let mut i = 0;
    let mut c = *bytes.first()?;
    let kind = (c >> 4) & 7;
    let mut size = u64::from(c & 15);
    let mut shift = 4;
    while c & 0x80 != 0 {
        i += 1;
        c = *bytes.get(i)?;
        if shift > 57 {
            return None;
        }
        size |= u64::from(c & 0x7f) << shift;
        shift += 7;
    }
    i += 1;
    let base_at = match kind {
        1..=4 => Base::None,
        OFS_DELTA => {
            let mut c = *bytes.get(i)?;
            let mut rel = u64::from(c & 0x7f);
            while c & 0x80 != 0 {
                i += 1;
                c = *bytes.get(i)?;
                rel = rel.checked_add(1)?.checked_mul(128)? | u64::from(c & 0x7f);
            }
            i += 1;
            Base::Offset(off.checked_sub(rel).filter(|_| rel > 0)?)
        }
        REF_DELTA => {
            bytes.get(i..i + 20)?;
            i += 20;
            Base::Id(i - 20)
        }
        _ => return None,
    };
    let data = off + i as u64;
    if data > end {
        return None;
    }
    Some(Parsed {
        entry: Entry {
            data,
            end,
            size,
            kind,
            base: NONE,
        },
        base_at,
    })
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
