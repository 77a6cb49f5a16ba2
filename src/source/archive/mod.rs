//! Archives and compressed files (zip family, tar, gzip, bzip2, xz, zstd):
//! recognised by their magic bytes, expanded into member blobs with every
//! read bounded, every limit hit returned as a counted [`Warning`]. Yields
//! bytes; knows nothing about rules.

mod expand;
mod memory;
mod sparse;

pub use expand::{Expansion, Member, expand};
pub use memory::{Fill, Holder, Leased, Memory, OverClaim, Pool};

/// Whether expanding the outer archive `name` failed before any member was
/// read: the content only looked like an archive (a text file with `ustar`
/// at byte 257, a damaged header), and is to be scanned as it is (the
/// warning stays: it may be a damaged archive after all).
pub fn failed_at_once(exp: &Expansion, name: &str) -> bool {
    exp.members == 0
        && exp.archives <= 1
        && exp
            .warnings
            .iter()
            .any(|w| w.archive == name && matches!(w.skip, Skip::Corrupt | Skip::Unsupported))
}

use std::fmt;

/// How far expansion may go. One set of limits covers an outer archive and
/// every archive nested inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Archive levels opened: 1 opens only the outer archive, 2 also the
    /// archives it holds, and so on. A `.tar.gz` is one level.
    pub max_depth: u32,
    /// Uncompressed bytes read from one outer archive, nested ones included;
    /// the rest of the archive is not scanned.
    pub max_total: u64,
    /// Members larger than this (uncompressed) are skipped.
    pub max_member: u64,
    /// Members (files, not directories) looked at in one outer archive.
    pub max_members: u64,
    /// A member, or a compressed stream, that expands to more than this many
    /// times its compressed size (past [`RATIO_FLOOR`] bytes) is taken for a
    /// decompression bomb and not read further.
    pub max_ratio: u64,
    /// The memory budget every expansion sharing these limits draws from
    /// (see [`Limits::pool`]).
    pub memory: Memory,
}

impl Limits {
    /// Bytes one outer archive may hold at once: its own bytes (up to a
    /// member's size) and the buffers of every level below it (no more
    /// than it may read in all).
    pub fn claim(&self) -> u64 {
        self.max_total.saturating_add(self.max_member)
    }

    /// The pool shared by every expansion under these limits (and their
    /// clones): one archive's claim plus a quarter of the read budget for
    /// the others, so whatever the thread count, expansion holds at most
    /// 740 MiB by default.
    pub fn pool(&self) -> &Pool {
        let claim = self.claim();
        self.memory
            .pool(claim.saturating_add(self.max_total / 4), claim)
    }
}

/// Output below this size never counts as a bomb: small, repetitive files
/// legitimately compress very well.
pub const RATIO_FLOOR: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 5,
            max_total: 512 << 20,
            max_member: 100 << 20,
            max_members: 100_000,
            max_ratio: 200,
            memory: Memory::default(),
        }
    }
}

/// The container formats keyhound opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Zip and everything built on it (jar, war, whl, apk, nupkg, Office files).
    Zip,
    /// POSIX, GNU or v7 tar.
    Tar,
    /// gzip (a `.tar.gz` is a gzip stream holding a tar).
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// Zstandard.
    Zstd,
}

/// The archive format of `bytes`, by magic bytes; a file named `*.tar`
/// whose first block is a valid tar header (v7 tar has no magic) counts too.
/// `name` is the file or member path, as bytes.
pub fn detect(name: &[u8], bytes: &[u8]) -> Option<Format> {
    const BZ_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const BZ_END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    match bytes {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some(Format::Zip),
        // Method 8 (deflate) is the only one gzip defines; the top three
        // flag bits are reserved (zero).
        [0x1f, 0x8b, 8, flags, ..] if flags & 0xE0 == 0 => Some(Format::Gzip),
        [b'B', b'Z', b'h', level, rest @ ..]
            if (b'1'..=b'9').contains(level)
                && rest.len() >= 6
                && (rest[..6] == BZ_BLOCK || rest[..6] == BZ_END) =>
        {
            Some(Format::Bzip2)
        }
        [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => Some(Format::Xz),
        // Bit 3 of the frame header descriptor is reserved (zero).
        [0x28, 0xB5, 0x2F, 0xFD, desc, ..] if desc & 0x08 == 0 => Some(Format::Zstd),
        _ if is_tar(bytes) => Some(Format::Tar),
        _ if ends_with_ignore_case(name, b".tar") && tar_checksum_ok(bytes) => Some(Format::Tar),
        _ => None,
    }
}

/// A POSIX or GNU tar: `ustar` at offset 257 of the first header, whose
/// checksum matches (a text file can hold `ustar` there too).
fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar" && tar_checksum_ok(bytes)
}

/// Whether the first 512 bytes are a tar header with a matching checksum
/// (the checksum field counts as eight spaces).
fn tar_checksum_ok(bytes: &[u8]) -> bool {
    let Some(h) = bytes.get(..512) else {
        return false;
    };
    let Ok(stored) = tar::Header::from_byte_slice(h).cksum() else {
        return false;
    };
    // Some old tars summed the bytes as signed chars.
    let (mut unsigned, mut signed) = (0u32, 0i64);
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { 32 } else { b };
        unsigned += u32::from(b);
        signed += i64::from(b as i8);
    }
    (stored == unsigned || i64::from(stored) == signed) && h[0] != 0
}

fn ends_with_ignore_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The name of what a compressed stream holds: `app.log.gz` → `app.log`,
/// `backup.tgz` → `backup.tar`; a name without a known suffix is kept.
fn stream_stem(name: &str, format: Format) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let (plain, tarred): (&[&str], &[&str]) = match format {
        Format::Gzip => (&[".gz", ".gzip", ".z"], &[".tgz", ".taz"]),
        Format::Bzip2 => (&[".bz2", ".bz", ".bzip2"], &[".tbz2", ".tbz", ".tb2"]),
        Format::Xz => (&[".xz"], &[".txz"]),
        Format::Zstd => (&[".zst", ".zstd"], &[".tzst", ".tzstd"]),
        Format::Zip | Format::Tar => (&[], &[]),
    };
    for s in plain {
        if lower.len() > s.len() && lower.ends_with(s) {
            return base[..base.len() - s.len()].to_string();
        }
    }
    for s in tarred {
        if lower.len() > s.len() && lower.ends_with(s) {
            return format!("{}.tar", &base[..base.len() - s.len()]);
        }
    }
    base.to_string()
}

/// Why part of an archive was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A nested archive deeper than [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_total`] reached: the rest of the outer archive.
    TotalSize,
    /// [`Limits::max_members`] reached: the rest of the outer archive.
    MemberCount,
    /// A member over [`Limits::max_member`].
    MemberSize,
    /// A member or stream over [`Limits::max_ratio`].
    Ratio,
    /// Encrypted members.
    Encrypted,
    /// A compression method or feature keyhound does not read.
    Unsupported,
    /// Damaged or truncated data: what came after it.
    Corrupt,
    /// A member the archive could not hold in memory within its claim
    /// ([`Limits::claim`]).
    Memory,
}

impl Skip {
    /// The class of warning it is counted in.
    pub fn class(self) -> crate::diagnostic::Class {
        use crate::diagnostic::Class;
        match self {
            Skip::Depth => Class::ARCHIVE_DEPTH,
            Skip::TotalSize => Class::ARCHIVE_TOTAL_SIZE,
            Skip::MemberCount => Class::ARCHIVE_MEMBER_COUNT,
            Skip::MemberSize => Class::ARCHIVE_MEMBER_SIZE,
            Skip::Ratio => Class::ARCHIVE_BOMB,
            Skip::Encrypted => Class::ARCHIVE_ENCRYPTED,
            Skip::Unsupported => Class::ARCHIVE_UNSUPPORTED,
            Skip::Corrupt => Class::ARCHIVE_CORRUPT,
            Skip::Memory => Class::ARCHIVE_MEMORY,
        }
    }
}

/// One kind of skip in one archive, with how often it happened.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The archive, as reported (`outer.zip`, `outer.zip!inner.tar.gz`).
    pub archive: String,
    /// What was skipped.
    pub skip: Skip,
    /// How many times.
    pub count: u64,
    /// The first member concerned, or for [`Skip::Corrupt`] the error.
    pub first: String,
    /// The limit that applied (0 when none does).
    pub limit: u64,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, n, first, limit) = (&self.archive, self.count, &self.first, self.limit);
        let s = if n == 1 { "" } else { "s" };
        match self.skip {
            Skip::Depth => write!(
                f,
                "{a}: {n} nested archive{s} not opened, deeper than {limit} levels \
                 (--archive-depth; first: {first})"
            ),
            Skip::TotalSize => write!(
                f,
                "{a}: stopped after {limit} uncompressed bytes (--archive-max-size); \
                 the rest of the archive was not scanned"
            ),
            Skip::MemberCount => write!(
                f,
                "{a}: stopped after {limit} members (--archive-max-members); the rest of the \
                 archive was not scanned"
            ),
            Skip::MemberSize => write!(
                f,
                "{a}: {n} member{s} over {limit} bytes not scanned (--max-file-size; first: {first})"
            ),
            Skip::Ratio => write!(
                f,
                "{a}: {n} member{s} not scanned: expanding past {limit} times the compressed \
                 size, likely a decompression bomb (first: {first})"
            ),
            Skip::Encrypted => write!(
                f,
                "{a}: {n} encrypted member{s} not scanned (first: {first})"
            ),
            Skip::Unsupported => write!(
                f,
                "{a}: {n} member{s} not scanned: unsupported compression or feature (first: {first})"
            ),
            Skip::Corrupt => write!(
                f,
                "{a}: damaged or truncated archive ({first}); what follows the damage was not scanned"
            ),
            Skip::Memory => write!(
                f,
                "{a}: {n} member{s} not scanned: the archive would hold more than {limit} bytes at \
                 once, its own and its nested archives' included (--archive-max-size; first: {first})"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic_not_name() {
        assert_eq!(detect(b"x.txt", b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(detect(b"x", &[0x1f, 0x8b, 8, 0]), Some(Format::Gzip));
        assert_eq!(detect(b"x.gz", &[0x1f, 0x8b, 9, 0]), None);
        assert_eq!(
            detect(b"x", b"BZh91AY&SYrest"),
            Some(Format::Bzip2),
            "bzip2 needs the block magic after the level"
        );
        assert_eq!(detect(b"notes.txt", b"BZh9 is how it starts"), None);
        assert_eq!(detect(b"x", b"\xFD7zXZ\x00..."), Some(Format::Xz));
        assert_eq!(detect(b"x", b"\x28\xB5\x2F\xFD\x24.."), Some(Format::Zstd));
        assert_eq!(
            detect(b"x", b"\x28\xB5\x2F\xFD\x2E.."),
            None,
            "reserved bit"
        );
        assert_eq!(
            detect(b"x.gz", &[0x1f, 0x8b, 8, 0x20]),
            None,
            "reserved flag"
        );
        assert_eq!(detect(b"plain.tar", b"not a tar at all"), None);
        assert_eq!(detect(b"a.env", b"SECRET=1\n"), None);
    }

    #[test]
    fn v7_tar_needs_its_name_and_a_valid_checksum() {
        let mut h = tar::Header::new_old();
        h.set_path("a.txt").unwrap();
        h.set_size(0);
        h.set_cksum();
        let bytes = h.as_bytes().to_vec();
        assert_eq!(detect(b"old.TAR", &bytes), Some(Format::Tar));
        assert_eq!(detect(b"old.bin", &bytes), None);
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(detect(b"old.tar", &bad), None);
    }

    #[test]
    fn stems_name_what_a_stream_holds() {
        assert_eq!(stream_stem("logs/app.log.gz", Format::Gzip), "app.log");
        assert_eq!(stream_stem("b.TGZ", Format::Gzip), "b.tar");
        assert_eq!(stream_stem("x.tar.zst", Format::Zstd), "x.tar");
        assert_eq!(stream_stem("blob", Format::Xz), "blob");
        assert_eq!(stream_stem(".gz", Format::Gzip), ".gz");
    }
}
