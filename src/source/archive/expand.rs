//! Expanding one outer archive: a depth-first walk over its members and the
//! archives nested in them, every decompressed byte metered against the
//! limits, every member read through `Read::take` into a buffer whose
//! memory is reserved from the scan's shared pool first.

use super::memory::{Fill, Holder, Leased};
use super::sparse;
use super::{Format, Limits, RATIO_FLOOR, Skip, Warning, detect, is_tar, stream_stem};
use crate::source::text::{is_binary, utf16};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

/// A member's content as handed to a visitor.
pub struct Member<'a> {
    /// The member path inside the outer archive; nested archives are joined
    /// with `!` (`b.tar.gz!c/.env`).
    pub path: &'a str,
    /// The content, UTF-16 transcoded to UTF-8 when it had a BOM.
    pub bytes: &'a [u8],
    /// Whether the content is binary (neither text nor an archive): for
    /// its printable strings only.
    pub binary: bool,
}

/// What expanding one archive did.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Members handed to the visitor.
    pub members: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Binary members (not archives either), handed over for their
    /// printable strings.
    pub binary: u64,
    /// Archives opened, the outer one included.
    pub archives: u64,
    /// What was skipped, one entry per (archive, kind), sorted.
    pub warnings: Vec<Warning>,
}

/// Expands the archive `bytes` (of `format`, reported as `name`) and hands
/// every text member to `visit`. Never fails: what cannot be read becomes a
/// warning, and everything read before it is still visited. Buffers are
/// charged to `held` (which may hold `bytes` already), else to a holder of
/// [`Limits::pool`] of its own that reserves `bytes` first.
pub fn expand(
    name: &str,
    format: Format,
    bytes: &[u8],
    limits: &Limits,
    held: Option<&Holder<'_>>,
    visit: &mut dyn FnMut(Member<'_>),
) -> Expansion {
    let own;
    let holder = match held {
        Some(h) => h,
        None => {
            own = limits.pool().holder();
            // Already in memory: counted so others wait, never refused.
            let _ = own.reserve((bytes.len() as u64).min(limits.max_member));
            &own
        }
    };
    let budget = Budget {
        left: Cell::new(limits.max_total),
        tripped: Cell::new(None),
    };
    let mut w = Walk {
        outer: name,
        limits,
        holder,
        visit,
        out: Expansion::default(),
        seen: 0,
        stopped: false,
        warnings: BTreeMap::new(),
    };
    w.open("", name, format, bytes, 1, &budget);
    let mut out = w.out;
    out.warnings = w
        .warnings
        .into_iter()
        .map(|((archive, skip), (count, first, limit))| Warning {
            archive,
            skip,
            count,
            first,
            limit,
        })
        .collect();
    out
}

/// Bytes left for the whole outer archive, and which limit a [`Meter`]
/// tripped (read errors from the decoders and tar come back wrapped, so the
/// reason travels here rather than inside the error).
struct Budget {
    left: Cell<u64>,
    tripped: Cell<Option<Skip>>,
}

/// Counts what a decoder produces against the budget and a ratio cap.
struct Meter<'b, R> {
    inner: R,
    budget: &'b Budget,
    out: u64,
    cap: u64,
}

impl<'b, R: Read> Meter<'b, R> {
    fn new(inner: R, budget: &'b Budget, compressed: u64, ratio: u64) -> Meter<'b, R> {
        let cap = compressed.saturating_mul(ratio).max(RATIO_FLOOR);
        Meter {
            inner,
            budget,
            out: 0,
            cap,
        }
    }

    fn trip(&self, why: Skip) -> io::Error {
        self.budget.tripped.set(Some(why));
        io::Error::other("archive limit reached")
    }
}

impl<R: Read> Read for Meter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let left = self.budget.left.get();
        if n as u64 > left {
            return Err(self.trip(Skip::TotalSize));
        }
        self.budget.left.set(left - n as u64);
        self.out += n as u64;
        if self.out > self.cap {
            return Err(self.trip(Skip::Ratio));
        }
        Ok(n)
    }
}

/// How reading one member went.
enum Got {
    /// All of it is in the buffer.
    Whole,
    /// It is over the member limit (warned about); the stream goes on.
    TooLarge,
    /// The stream broke or hit a limit (warned about): nothing follows.
    Broken,
}

type Counted = BTreeMap<(String, Skip), (u64, String, u64)>;

struct Walk<'a> {
    outer: &'a str,
    limits: &'a Limits,
    holder: &'a Holder<'a>,
    visit: &'a mut dyn FnMut(Member<'_>),
    out: Expansion,
    /// Members looked at so far.
    seen: u64,
    /// A limit on the whole outer archive was hit: open and read nothing more.
    stopped: bool,
    warnings: Counted,
}

/// A member's name as reported: an empty (or unreadable) one as
/// `<member #N>`, its 1-based place among the archive's entries, so a
/// location never ends at a bare `!`.
fn member_name(name: Option<&str>, n: usize) -> String {
    match name {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => format!("<member #{n}>"),
    }
}

fn join(here: &str, name: &str) -> String {
    if here.is_empty() {
        name.to_string()
    } else {
        format!("{here}!{name}")
    }
}

impl Walk<'_> {
    fn warn(&mut self, here: &str, skip: Skip, first: &str) {
        let limit = match skip {
            Skip::Depth => u64::from(self.limits.max_depth),
            Skip::TotalSize => self.limits.max_total,
            Skip::MemberCount => self.limits.max_members,
            Skip::MemberSize => self.limits.max_member,
            Skip::Ratio => self.limits.max_ratio,
            Skip::Memory => self.limits.claim(),
            Skip::Encrypted | Skip::Unsupported | Skip::Corrupt => 0,
        };
        let archive = if here.is_empty() {
            self.outer.to_string()
        } else {
            format!("{}!{here}", self.outer)
        };
        let e = self
            .warnings
            .entry((archive, skip))
            .or_insert_with(|| (0, first.to_string(), limit));
        e.0 += 1;
        if matches!(skip, Skip::TotalSize | Skip::MemberCount) {
            self.stopped = true;
        }
    }

    /// Files a read error: a tripped limit as that limit, anything else as
    /// damage.
    fn read_failed(&mut self, here: &str, member: &str, budget: &Budget, err: &io::Error) {
        match budget.tripped.take() {
            Some(skip) => self.warn(here, skip, member),
            None => self.warn(here, Skip::Corrupt, &format!("{member}: {err}")),
        }
    }

    /// Counts a member against the member limit; false once it is exceeded.
    fn admit(&mut self, here: &str) -> bool {
        if self.stopped {
            return false;
        }
        self.seen += 1;
        if self.seen > self.limits.max_members {
            self.warn(here, Skip::MemberCount, "");
            return false;
        }
        true
    }

    /// Opens the archive at `here` (its path inside the outer archive, ""
    /// for the outer one itself), `depth` levels down.
    fn open(
        &mut self,
        here: &str,
        name: &str,
        format: Format,
        data: &[u8],
        depth: u32,
        budget: &Budget,
    ) {
        if self.stopped {
            return;
        }
        self.out.archives += 1;
        match format {
            Format::Zip => self.zip(here, data, depth, budget),
            Format::Tar => {
                // Uncompressed: the bytes are in memory already, but members
                // still count against the total budget.
                let meter = Meter::new(data, budget, data.len() as u64, u64::MAX);
                self.tar(here, meter, depth, budget);
            }
            Format::Gzip => {
                let d = flate2::read::MultiGzDecoder::new(data);
                self.stream(
                    here,
                    stream_stem(name, format),
                    d,
                    data.len(),
                    depth,
                    budget,
                );
            }
            Format::Bzip2 => {
                let d = bzip2::read::MultiBzDecoder::new(data);
                self.stream(
                    here,
                    stream_stem(name, format),
                    d,
                    data.len(),
                    depth,
                    budget,
                );
            }
            Format::Xz => match xz_stream() {
                Ok(s) => {
                    let d = liblzma::read::XzDecoder::new_stream(data, s);
                    self.stream(
                        here,
                        stream_stem(name, format),
                        d,
                        data.len(),
                        depth,
                        budget,
                    );
                }
                Err(e) => self.warn(here, Skip::Unsupported, &e.to_string()),
            },
            Format::Zstd => match zstd_decoder(data) {
                Ok(d) => self.stream(
                    here,
                    stream_stem(name, format),
                    d,
                    data.len(),
                    depth,
                    budget,
                ),
                Err(e) => self.warn(here, Skip::Corrupt, &e.to_string()),
            },
        }
    }

    /// A member's bytes: a nested archive is opened, text is visited,
    /// anything else counted and visited as binary.
    fn member(&mut self, here: &str, name: &str, data: &[u8], depth: u32, budget: &Budget) {
        let path = join(here, name);
        if let Some(format) = detect(name.as_bytes(), data) {
            if depth >= self.limits.max_depth {
                self.warn(here, Skip::Depth, name);
            } else {
                self.open(&path, name, format, data, depth + 1, budget);
            }
            return;
        }
        let transcoded;
        let (bytes, binary) = match utf16(data) {
            Some(s) => {
                transcoded = s;
                (transcoded.as_bytes(), false)
            }
            None if is_binary(data) => {
                self.out.binary += 1;
                (data, true)
            }
            None => (data, false),
        };
        self.out.members += 1;
        self.out.bytes += bytes.len() as u64;
        (self.visit)(Member {
            path: &path,
            bytes,
            binary,
        });
    }

    /// Reads one member of at most `max_member` bytes (`size` declared)
    /// into `buf`, warning when it cannot.
    fn read_member<R: Read>(
        &mut self,
        here: &str,
        name: &str,
        mut r: R,
        size: u64,
        buf: &mut Leased<'_, '_>,
        budget: &Budget,
    ) -> Got {
        match buf.fill(&mut r, self.limits.max_member, size) {
            Ok(Fill::Whole) => Got::Whole,
            Ok(Fill::TooLarge) => {
                self.warn(here, Skip::MemberSize, name);
                Got::TooLarge
            }
            Ok(Fill::OverClaim) => {
                self.warn(here, Skip::Memory, name);
                Got::TooLarge
            }
            Err(e) => {
                self.read_failed(here, name, budget, &e);
                Got::Broken
            }
        }
    }

    fn zip(&mut self, here: &str, data: &[u8], depth: u32, budget: &Budget) {
        let mut ar = match zip::ZipArchive::new(Cursor::new(data)) {
            Ok(a) => a,
            Err(e) => return self.warn(here, Skip::Corrupt, &e.to_string()),
        };
        let mut buf = Leased::new(self.holder);
        for i in 0..ar.len() {
            let (name, size, compressed) = match ar.by_index_raw(i) {
                Ok(f) if f.is_dir() => continue,
                Ok(f) if f.encrypted() => {
                    if !self.admit(here) {
                        return;
                    }
                    let name = member_name(f.name().ok().as_deref(), i + 1);
                    self.warn(here, Skip::Encrypted, &name);
                    continue;
                }
                Ok(f) => (
                    member_name(f.name().ok().as_deref(), i + 1),
                    f.size(),
                    f.compressed_size(),
                ),
                Err(e) => {
                    self.warn(here, Skip::Corrupt, &e.to_string());
                    continue;
                }
            };
            if !self.admit(here) {
                return;
            }
            if size > self.limits.max_member {
                self.warn(here, Skip::MemberSize, &name);
                continue;
            }
            if size > RATIO_FLOOR && size / compressed.max(1) > self.limits.max_ratio {
                self.warn(here, Skip::Ratio, &name);
                continue;
            }
            let file = match ar.by_index(i) {
                Ok(f) => f,
                Err(
                    zip::result::ZipError::UnsupportedArchive(_)
                    | zip::result::ZipError::CompressionMethodNotSupported(_),
                ) => {
                    self.warn(here, Skip::Unsupported, &name);
                    continue;
                }
                Err(e) => {
                    self.warn(here, Skip::Corrupt, &format!("{name}: {e}"));
                    continue;
                }
            };
            // The sizes in the directory may lie: the meter holds the real
            // output to the same ratio.
            let meter = Meter::new(file, budget, compressed, self.limits.max_ratio);
            // A declared size sizes the buffer only as far as the data can
            // really expand (a lying header reserves no more).
            let hint = size.min(
                compressed
                    .saturating_mul(self.limits.max_ratio)
                    .max(RATIO_FLOOR),
            );
            if let Got::Whole = self.read_member(here, &name, meter, hint, &mut buf, budget) {
                self.member(here, &name, buf.bytes(), depth, budget);
            }
            if self.stopped {
                return;
            }
        }
    }

    fn tar<R: Read>(&mut self, here: &str, r: R, depth: u32, budget: &Budget) {
        let mut ar = tar::Archive::new(r);
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => return self.read_failed(here, "", budget, &e),
        };
        let mut buf = Leased::new(self.holder);
        for (i, entry) in entries.enumerate() {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => return self.read_failed(here, "", budget, &e),
            };
            let kind = entry.header().entry_type();
            // GNU sparse members come out of the `tar` crate with their
            // holes; PAX sparse ones are put together here.
            if !(kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse()) {
                continue;
            }
            if !self.admit(here) {
                return;
            }
            let sparse = pax_sparse(&mut entry);
            let mut name = member_name(Some(&String::from_utf8_lossy(&entry.path_bytes())), i + 1);
            let mut size = entry.size();
            let sparse = match sparse {
                None => None,
                Some(Err(bad)) => {
                    self.warn(
                        here,
                        Skip::Corrupt,
                        &format!("{name}: sparse member with {}", bad.0),
                    );
                    continue;
                }
                Some(Ok(s)) => {
                    if let Some(real) = s.name.as_deref().filter(|n| !n.is_empty()) {
                        name = real.to_string();
                    }
                    size = s.size;
                    Some(s)
                }
            };
            if size > self.limits.max_member {
                self.warn(here, Skip::MemberSize, &name);
                continue;
            }
            let mut content: Box<dyn Read + '_> = match &sparse {
                None => Box::new(&mut entry),
                Some(s) => match sparse::Holes::new(&mut entry, s) {
                    Ok(h) => Box::new(h),
                    Err(e) => {
                        self.warn(here, Skip::Corrupt, &format!("{name}: {e}"));
                        continue;
                    }
                },
            };
            match self.read_member(here, &name, &mut content, size, &mut buf, budget) {
                Got::Whole => self.member(here, &name, buf.bytes(), depth, budget),
                Got::TooLarge => {}
                // The stream is broken or over a limit: nothing after it.
                Got::Broken => return,
            }
            if self.stopped {
                return;
            }
        }
    }

    /// A compressed stream: a tar inside (one archive level together), or
    /// one member named after the stream.
    fn stream<R: Read>(
        &mut self,
        here: &str,
        stem: String,
        decoder: R,
        compressed: usize,
        depth: u32,
        budget: &Budget,
    ) {
        let mut meter = Meter::new(decoder, budget, compressed as u64, self.limits.max_ratio);
        let mut head = Vec::with_capacity(512);
        if let Err(e) = (&mut meter).take(512).read_to_end(&mut head) {
            return self.read_failed(here, &stem, budget, &e);
        }
        let tarred = is_tar(&head)
            || (stem.to_ascii_lowercase().ends_with(".tar") && super::tar_checksum_ok(&head));
        let rest = Cursor::new(head).chain(meter);
        if tarred {
            self.tar(here, rest, depth, budget);
        } else {
            if !self.admit(here) {
                return;
            }
            let mut buf = Leased::new(self.holder);
            if let Got::Whole = self.read_member(here, &stem, rest, 0, &mut buf, budget) {
                self.member(here, &stem, buf.bytes(), depth, budget);
            }
        }
    }
}

/// The PAX sparse description of a tar member, if it is one.
fn pax_sparse<R: Read>(
    entry: &mut tar::Entry<'_, R>,
) -> Option<Result<sparse::Sparse, sparse::BadMap>> {
    let records = entry.pax_extensions().ok()??;
    let records: Vec<(String, Vec<u8>)> = records
        .filter_map(|r| r.ok())
        .filter_map(|r| Some((r.key().ok()?.to_string(), r.value_bytes().to_vec())))
        .collect();
    sparse::from_pax(records.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
}

/// Largest xz dictionary (decoder memory) accepted: xz -9 uses 64 MiB.
const XZ_MEMLIMIT: u64 = 256 << 20;
/// Largest zstd window accepted, as a power of two (the library default;
/// zstd's own levels stay at or below it).
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

fn xz_stream() -> Result<liblzma::stream::Stream, liblzma::stream::Error> {
    liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, liblzma::stream::CONCATENATED)
}

fn zstd_decoder(data: &[u8]) -> io::Result<zstd::stream::read::Decoder<'static, &[u8]>> {
    let mut d = zstd::stream::read::Decoder::with_buffer(data)?;
    d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn members_an_archive_cannot_hold_within_its_claim_are_skipped_and_given_back() {
        let small = vec![b'a'; 1000];
        let big = vec![b'b'; 200_000];
        let outer = tar(&[("small.txt", &small), ("big.txt", &big)]);
        let limits = Limits::default();
        // The outer bytes (~200 KB) and the big member cannot both be held.
        let pool = limits.memory.pool(300_000, 300_000);
        let mut seen = Vec::new();
        let exp = expand("x.tar", Format::Tar, &outer, &limits, None, &mut |m| {
            seen.push(m.path.to_string())
        });
        assert_eq!(seen, ["small.txt"]);
        let w = &exp.warnings[0];
        assert_eq!((w.skip, w.first.as_str()), (Skip::Memory, "big.txt"));
        assert!(w.to_string().contains("would hold more than"), "{w}");
        assert_eq!(pool.available(), 300_000, "everything given back");
    }
}
