//! Pack order: where objects sit in a repository's pack files, read from the
//! `.idx` files, so that blobs can be read in the order they are stored.
//!
//! PERF: reading blobs in commit order makes libgit2 rebuild long delta
//! chains again and again; in pack order a delta's base was usually just read
//! and is still in the pack's base cache (this is what
//! `git cat-file --batch-all-objects --unordered` does).

use git2::Oid;
use std::path::Path;

/// Object positions of every pack of one object directory.
#[derive(Debug, Default)]
pub struct PackOrder {
    packs: Vec<PackIndex>,
}

#[derive(Debug)]
struct PackIndex {
    /// Sorted object ids, 20 bytes each.
    ids: Vec<u8>,
    /// Offsets in the pack, same order as `ids`.
    offsets: Vec<u64>,
}

impl PackOrder {
    /// Reads every `objects/pack/*.idx` (version 2, SHA-1) under `git_dir`.
    /// Unreadable or unknown indexes are left out: their objects just sort last.
    pub fn load(git_dir: &Path) -> PackOrder {
        let Ok(dir) = std::fs::read_dir(git_dir.join("objects").join("pack")) else {
            return PackOrder::default();
        };
        let mut names: Vec<_> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect();
        names.sort();
        let packs = names
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|b| PackIndex::parse(&b))
            .collect();
        PackOrder { packs }
    }

    /// A sort key: (pack number, offset), or `u64::MAX` for objects in no pack.
    pub fn key(&self, id: Oid) -> (u32, u64) {
        for (n, p) in self.packs.iter().enumerate() {
            if let Some(off) = p.offset(id.as_bytes()) {
                return (n as u32, off);
            }
        }
        (u32::MAX, u64::MAX)
    }
}

impl PackIndex {
    fn parse(b: &[u8]) -> Option<PackIndex> {
        if b.len() < 8 + 1024 || b[..4] != [0xff, b't', b'O', b'c'] || be32(b, 4)? != 2 {
            return None;
        }
        let n = be32(b, 8 + 255 * 4)? as usize;
        let ids_at = 8 + 1024;
        let offs_at = ids_at + n * 24;
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

    fn offset(&self, id: &[u8]) -> Option<u64> {
        let n = self.offsets.len();
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.ids[mid * 20..mid * 20 + 20].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.offsets[mid]),
            }
        }
        None
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(entries: &[([u8; 20], u32)]) -> Vec<u8> {
        let mut b = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        for i in 0..256u32 {
            let c = entries
                .iter()
                .filter(|(id, _)| u32::from(id[0]) <= i)
                .count() as u32;
            b.extend(c.to_be_bytes());
        }
        for (id, _) in entries {
            b.extend(id);
        }
        for _ in entries {
            b.extend([0u8; 4]);
        }
        for (_, off) in entries {
            b.extend(off.to_be_bytes());
        }
        b
    }

    #[test]
    fn offsets_are_found_by_id() {
        let a = [1u8; 20];
        let c = [7u8; 20];
        let p = PackIndex::parse(&idx(&[(a, 12), (c, 400)])).unwrap();
        assert_eq!(p.offset(&a), Some(12));
        assert_eq!(p.offset(&c), Some(400));
        assert_eq!(p.offset(&[3u8; 20]), None);
        assert!(PackIndex::parse(b"not an index").is_none());
    }
}
