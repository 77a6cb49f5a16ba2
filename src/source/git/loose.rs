//! Loose objects: which objects of a repository are stored loose, and whether
//! each one inflates, with flate2, to exactly the size its header declares.
//!
//! libgit2 1.9 loops forever on a truncated loose object (libgit2 #7342) and
//! writes out of bounds on one whose body is longer than its header says
//! (#7177). Every loose object a scan may read is checked here first; the
//! damaged ones are kept in a [`Guard`] and never handed to libgit2. Packed
//! objects are not touched, so a packed repository pays only for listing its
//! (usually empty) loose directories.

use super::{OidMap, OidSet};
use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Compressed bytes read from a loose object file at a time.
const CHUNK: usize = 64 << 10;

/// Trees, commits and tags are checked whole up to this size, whatever the
/// blob limit.
const NON_BLOB_MAX: u64 = 256 << 20;

/// Longest header git writes: `<type> <decimal size>\0`.
const MAX_HEADER: usize = 32;

/// Why a loose object is not handed to libgit2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The object does not inflate or does not match its header.
    Corrupt {
        /// Its type, when the header could be read.
        kind: Option<ObjectType>,
        /// What is wrong, for the warning.
        reason: String,
    },
    /// Declared larger than the scan reads: only its header was checked.
    Large {
        /// Its type.
        kind: ObjectType,
        /// The declared size.
        size: u64,
    },
}

/// The loose objects of a repository that libgit2 must not read whole.
#[derive(Debug, Default)]
pub struct Guard {
    damaged: OidMap<Damage>,
    checked: usize,
}

impl Guard {
    /// Checks every loose object under `git_dir` (and its alternates).
    /// Blobs declared larger than `max` bytes (other objects: 256 MiB) have
    /// only their header checked; they are recorded as [`Damage::Large`].
    pub fn check(git_dir: &Path, max: u64) -> Guard {
        let files: Vec<(Oid, PathBuf)> = object_dirs(git_dir)
            .iter()
            .flat_map(|d| list_loose(d))
            .collect();
        let checked = files.len();
        let check = |(id, path): &(Oid, PathBuf)| check_file(path, max).err().map(|d| (*id, d));
        // A few objects (a staged change) are checked on this thread: a
        // pre-commit run would otherwise pay for starting the thread pool.
        let damaged = if files.len() < 64 {
            files.iter().filter_map(check).collect()
        } else {
            files
                .par_iter()
                .filter_map(check)
                .collect::<Vec<_>>()
                .into_iter()
                .collect()
        };
        Guard { damaged, checked }
    }

    /// A guard that lets everything through (for tests and callers that
    /// have already checked).
    pub fn none() -> Guard {
        Guard::default()
    }

    /// What is wrong with `id`, if it is a damaged or oversized loose object.
    pub fn damage(&self, id: Oid) -> Option<&Damage> {
        if self.damaged.is_empty() {
            return None;
        }
        self.damaged.get(&id)
    }

    /// Whether libgit2 may read `id` whole.
    pub fn readable(&self, id: Oid) -> bool {
        self.damage(id).is_none()
    }

    /// Corrupt objects (not the merely large ones), sorted by id.
    pub fn corrupt(&self) -> Vec<(Oid, &str)> {
        let mut out: Vec<(Oid, &str)> = self
            .damaged
            .iter()
            .filter_map(|(id, d)| match d {
                Damage::Corrupt { reason, .. } => Some((*id, reason.as_str())),
                Damage::Large { .. } => None,
            })
            .collect();
        out.sort();
        out
    }

    /// Whether a commit or tag (or an object of unknown type) is damaged or
    /// oversized, so that libgit2's own revision walk could reach it.
    pub fn affects_commits(&self) -> bool {
        self.damaged.values().any(|d| match d {
            Damage::Corrupt { kind, .. } => {
                !matches!(kind, Some(ObjectType::Blob) | Some(ObjectType::Tree))
            }
            Damage::Large { kind, .. } => matches!(kind, ObjectType::Commit | ObjectType::Tag),
        })
    }

    /// Ids of all damaged or oversized objects.
    pub fn ids(&self) -> OidSet {
        self.damaged.keys().copied().collect()
    }

    /// How many loose objects were checked.
    pub fn checked(&self) -> usize {
        self.checked
    }
}

/// `objects/` of `git_dir` and of every alternate it names.
fn object_dirs(git_dir: &Path) -> Vec<PathBuf> {
    let objects = git_dir.join("objects");
    let mut out = vec![objects.clone()];
    let mut alternates = String::new();
    let read = std::fs::File::open(objects.join("info").join("alternates"))
        .and_then(|f| f.take(1 << 20).read_to_string(&mut alternates));
    if read.is_ok() {
        for line in alternates.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let p = Path::new(line);
            out.push(if p.is_absolute() {
                p.to_path_buf()
            } else {
                objects.join(p)
            });
        }
    }
    out
}

/// Every `xx/yyyy…` file under an objects directory, with its id.
fn list_loose(objects: &Path) -> Vec<(Oid, PathBuf)> {
    // One listing of `objects/` rather than 256 opens, nearly all failing
    // in a packed repository (a quarter of a pre-commit scan's system time).
    let mut prefixes: Vec<String> = std::fs::read_dir(objects)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.len() == 2 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .collect();
    prefixes.sort_unstable();
    let mut out = Vec::new();
    for prefix in prefixes {
        let Ok(dir) = std::fs::read_dir(objects.join(&prefix)) else {
            continue;
        };
        for e in dir.flatten() {
            let name = e.file_name();
            let Some(rest) = name.to_str().filter(|n| n.len() == 38) else {
                continue;
            };
            if let Ok(id) = Oid::from_str(&format!("{prefix}{rest}")) {
                out.push((id, e.path()));
            }
        }
    }
    out
}

/// Checks one loose object of `objects_dir` by id; `Ok` when it is not
/// loose there.
pub fn check_id(git_dir: &Path, id: Oid, max: u64) -> Result<(), Damage> {
    let hex = id.to_string();
    for dir in object_dirs(git_dir) {
        let path = dir.join(&hex[..2]).join(&hex[2..]);
        if path.is_file() {
            return check_file(&path, max);
        }
    }
    Ok(())
}

fn corrupt(kind: Option<ObjectType>, reason: impl Into<String>) -> Damage {
    Damage::Corrupt {
        kind,
        reason: reason.into(),
    }
}

/// Inflates the loose object at `path`, checking its header and that the
/// stream ends exactly where the header says.
fn check_file(path: &Path, max: u64) -> Result<(), Damage> {
    let file = std::fs::File::open(path).map_err(|e| corrupt(None, format!("cannot open: {e}")))?;
    check_stream(file, max)
}

/// The inflater and buffers of [`check_stream`], kept per thread: a staged
/// scan checks a dozen small loose objects, and a zeroed inflate state and
/// two zeroed 64 KiB buffers for each cost more than inflating them.
struct Scratch {
    z: Decompress,
    inbuf: Vec<u8>,
    out: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// The check behind [`check_file`], over any reader of compressed bytes.
pub fn check_stream(input: impl Read, max: u64) -> Result<(), Damage> {
    let mut s = SCRATCH.take().unwrap_or_else(|| {
        Box::new(Scratch {
            z: Decompress::new(true),
            inbuf: vec![0u8; CHUNK],
            out: vec![0u8; CHUNK],
        })
    });
    s.z.reset(true);
    let result = check_with(input, max, &mut s);
    SCRATCH.set(Some(s));
    result
}

fn check_with(mut input: impl Read, max: u64, s: &mut Scratch) -> Result<(), Damage> {
    let Scratch { z, inbuf, out } = s;
    let mut header: Vec<u8> = Vec::with_capacity(MAX_HEADER);
    let mut kind: Option<ObjectType> = None;
    let mut declared: Option<u64> = None;
    let mut body = 0u64;
    let mut ended = false;
    'read: loop {
        let n = input
            .read(inbuf)
            .map_err(|e| corrupt(kind, format!("cannot read: {e}")))?;
        let mut pos = 0;
        loop {
            let before_in = z.total_in();
            let before_out = z.total_out();
            let flush = if n == 0 {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = z
                .decompress(&inbuf[pos..n], out, flush)
                .map_err(|e| corrupt(kind, format!("does not inflate: {e}")))?;
            pos += (z.total_in() - before_in) as usize;
            let produced = &out[..(z.total_out() - before_out) as usize];
            let mut rest = produced;
            if declared.is_none() {
                let take = memchr::memchr(0, rest).map_or(rest.len(), |i| i + 1);
                header.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if header.last() == Some(&0) {
                    let (k, size) = parse_header(&header[..header.len() - 1])?;
                    kind = Some(k);
                    declared = Some(size);
                    let limit = if k == ObjectType::Blob {
                        max
                    } else {
                        max.max(NON_BLOB_MAX)
                    };
                    if size > limit {
                        return Err(Damage::Large { kind: k, size });
                    }
                } else if header.len() > MAX_HEADER {
                    return Err(corrupt(None, "has no valid header"));
                }
            }
            body += rest.len() as u64;
            if declared.is_some_and(|d| body > d) {
                return Err(corrupt(kind, "is longer than its header says"));
            }
            if status == Status::StreamEnd {
                ended = true;
                break 'read;
            }
            let progressed = z.total_in() != before_in || z.total_out() != before_out;
            if n == 0 && !progressed {
                break 'read;
            }
            if !progressed {
                return Err(corrupt(kind, "does not inflate"));
            }
            if n > 0 && pos >= n {
                break;
            }
        }
    }
    match declared {
        None => Err(corrupt(None, "is truncated before its header ends")),
        Some(_) if !ended => Err(corrupt(kind, "is truncated")),
        Some(d) if body != d => Err(corrupt(
            kind,
            format!("is shorter than its header says ({body} of {d} bytes)"),
        )),
        Some(_) => Ok(()),
    }
}

fn parse_header(h: &[u8]) -> Result<(ObjectType, u64), Damage> {
    let bad = || corrupt(None, "has no valid header");
    let text = std::str::from_utf8(h).map_err(|_| bad())?;
    let (kind, size) = text.split_once(' ').ok_or_else(bad)?;
    let kind = match kind {
        "blob" => ObjectType::Blob,
        "tree" => ObjectType::Tree,
        "commit" => ObjectType::Commit,
        "tag" => ObjectType::Tag,
        _ => return Err(bad()),
    };
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) || size.len() > 19 {
        return Err(bad());
    }
    Ok((kind, size.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn deflate(raw: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(raw).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn whole_objects_pass() {
        let z = deflate(b"blob 5\0hello");
        assert_eq!(check_stream(&z[..], 1 << 20), Ok(()));
    }

    #[test]
    fn truncated_objects_are_corrupt() {
        let body = "x".repeat(100);
        let z = deflate(format!("commit 100\0{body}").as_bytes());
        for cut in [1, 2, 5, z.len() / 2, z.len() - 1] {
            let got = check_stream(&z[..cut], 1 << 20);
            assert!(
                matches!(got, Err(Damage::Corrupt { .. })),
                "cut at {cut}: {got:?}"
            );
        }
    }

    #[test]
    fn lying_headers_are_corrupt() {
        let long = deflate(b"blob 3\0this is longer than three bytes");
        assert!(matches!(
            check_stream(&long[..], 1 << 20),
            Err(Damage::Corrupt { .. })
        ));
        let short = deflate(b"blob 300\0short");
        assert!(matches!(
            check_stream(&short[..], 1 << 20),
            Err(Damage::Corrupt { .. })
        ));
        let kind = deflate(b"bogus 1\0x");
        assert!(matches!(
            check_stream(&kind[..], 1 << 20),
            Err(Damage::Corrupt { kind: None, .. })
        ));
        assert!(matches!(
            check_stream(&b"not zlib at all"[..], 1 << 20),
            Err(Damage::Corrupt { .. })
        ));
    }

    #[test]
    fn oversized_objects_are_only_header_checked() {
        let z = deflate(&[b"blob 2000\0".as_slice(), &[b'a'; 2000]].concat());
        assert_eq!(
            check_stream(&z[..], 100),
            Err(Damage::Large {
                kind: ObjectType::Blob,
                size: 2000
            })
        );
    }
}
