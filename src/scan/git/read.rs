//! Phase 2 of a history scan, one worker: reads the claimed blobs in pack
//! order, skips (and counts) what is too large, binary, an LFS pointer or
//! unreadable, and scans the rest, archives opened.

use super::{BlobJob, Losses, Shared, WorkerOut, open_git};
use crate::finding::Hit;
use crate::scan::BlobScanner;
use crate::source::git::{self as src, ReadOutcome};
use crate::source::{Counts, archive};
use crate::source::{strings, text};
use git2::Oid;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Block of consecutive jobs (in pack order) a blob worker takes at a time.
pub(super) const BLOB_CHUNK: usize = 256;

/// Forests (see [`src::PackBlobs`]) a blob worker takes at a time.
const FOREST_CHUNK: usize = 32;

/// The blobs of one history scan to read, and where each worker takes its
/// next share.
pub(super) struct BlobWork<'a> {
    pub(super) jobs: &'a [BlobJob],
    pub(super) outs: &'a [WorkerOut],
    pub(super) packs: &'a src::PackBlobs,
    pub(super) next_forest: AtomicUsize,
    /// Positions in `jobs` read through libgit2 (after the packs).
    pub(super) rest: Vec<usize>,
    pub(super) next_rest: AtomicUsize,
}

/// Reads and scans the wanted blobs of the pack forests the workers share;
/// returns the hits and the jobs to read through libgit2 instead.
pub(super) fn pack_worker(
    sh: &Shared<'_>,
    work: &BlobWork<'_>,
) -> (Vec<(Oid, Vec<Hit>)>, Vec<usize>) {
    let mut scanner = BlobScanner::new(sh.engine);
    scanner.binary_strings = sh.binary_strings;
    let mut reader = src::PackReader::new(sh.max_blob_size);
    let mut hits = Vec::new();
    let mut rest = Vec::new();
    loop {
        let start = work.next_forest.fetch_add(FOREST_CHUNK, Ordering::Relaxed);
        if start >= work.packs.forests() {
            return (hits, rest);
        }
        let end = (start + FOREST_CHUNK).min(work.packs.forests());
        let (mut count, mut bytes) = (0u64, 0u64);
        let read = sh.reading();
        work.packs.read(
            start..end,
            &mut reader,
            &mut |j, data| {
                let job = &work.jobs[j];
                let raw_path = &work.outs[job.worker as usize].paths[job.path as usize];
                if let Some((content, format)) = classify(data, raw_path, &read) {
                    bytes += data.len() as u64;
                    let blob = content.over(data);
                    scan_one(sh, &mut scanner, job.id, raw_path, &blob, format, &mut hits);
                }
                count += 1;
            },
            &mut rest,
        );
        sh.progress.add(count, bytes);
    }
}

/// Reads (through libgit2) and scans the jobs `work.rest` names.
pub(super) fn read_worker(
    sh: &Shared<'_>,
    git_dir: &std::path::Path,
    work: &BlobWork<'_>,
) -> Result<Vec<(Oid, Vec<Hit>)>, src::Error> {
    let repo = open_git(git_dir)?;
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", git_dir))?;
    let mut scanner = BlobScanner::new(sh.engine);
    scanner.binary_strings = sh.binary_strings;
    let mut hits = Vec::new();
    loop {
        let start = work.next_rest.fetch_add(BLOB_CHUNK, Ordering::Relaxed);
        if start >= work.rest.len() {
            return Ok(hits);
        }
        let end = (start + BLOB_CHUNK).min(work.rest.len());
        let mut bytes = 0u64;
        for &j in &work.rest[start..end] {
            let job = &work.jobs[j];
            if matches!(sh.guard.damage(job.id), Some(src::Damage::Corrupt { .. })) {
                continue;
            }
            let raw_path = &work.outs[job.worker as usize].paths[job.path as usize];
            let Some((obj, format)) = read_counted(&odb, job.id, raw_path, &sh.reading()) else {
                continue;
            };
            bytes += obj.data().len() as u64;
            scan_one(sh, &mut scanner, job.id, raw_path, &obj, format, &mut hits);
        }
        sh.progress.add((end - start) as u64, bytes);
    }
}

/// Scans one blob read for scanning (archives opened), adding its hits.
fn scan_one(
    sh: &Shared<'_>,
    scanner: &mut BlobScanner<'_>,
    id: Oid,
    raw_path: &[u8],
    blob: &Blob<'_>,
    format: Option<archive::Format>,
    hits: &mut Vec<(Oid, Vec<Hit>)>,
) {
    let path = String::from_utf8_lossy(raw_path);
    if let (Some(format), Some(limits)) = (format, sh.archives) {
        let mut found = Vec::new();
        let exp = scanner.scan_archive(format, &path, blob.data(), limits, None, &mut found);
        let opened = !archive::failed_at_once(&exp, &path);
        sh.archive.add(exp);
        if !found.is_empty() {
            hits.push((id, found));
        }
        if opened {
            return;
        }
    }
    let found = if blob.is_binary() || format.is_some() {
        scanner.scan_content(blob.data(), Some(&path))
    } else {
        scanner.scan(blob.data(), Some(&path))
    };
    if !found.is_empty() {
        hits.push((id, std::mem::take(found)));
    }
}

/// How to read blobs, and where to count and report what is skipped.
pub(super) struct Read<'a> {
    pub(super) max: u64,
    /// Let archives through (with their format) rather than skip them as binary.
    pub(super) archives: bool,
    /// Let binary blobs through, for their printable strings.
    pub(super) strings: bool,
    pub(super) guard: &'a src::Guard,
    pub(super) counts: &'a Counts,
    pub(super) losses: &'a Losses,
}

/// Reads the blob `id` (at `path`) for scanning, counting what is skipped
/// and why, with its archive format when it is one. `None`: skip it.
pub(super) fn read_counted<'o>(
    odb: &'o git2::Odb<'o>,
    id: Oid,
    path: &[u8],
    r: &Read<'_>,
) -> Option<(Blob<'o>, Option<archive::Format>)> {
    let (counts, losses) = (r.counts, r.losses);
    let obj = match src::read_blob(odb, id, r.max, r.guard) {
        ReadOutcome::Data(obj) => obj,
        ReadOutcome::TooLarge(_) => {
            Counts::add(&counts.too_large, 1);
            return None;
        }
        ReadOutcome::Missing => {
            Counts::add(&counts.unreadable, 1);
            let err = git2::Error::new(git2::ErrorCode::NotFound, git2::ErrorClass::Odb, "missing");
            losses.report(id, &err);
            return None;
        }
        ReadOutcome::Failed(err) => {
            Counts::add(&counts.unreadable, 1);
            losses.report(id, &err);
            return None;
        }
    };
    let (content, format) = classify(obj.data(), path, r)?;
    Some((content.over_object(obj), format))
}

/// What a blob's bytes are scanned as.
pub(super) enum Content {
    /// As stored.
    Plain,
    /// Binary, for its printable strings.
    Binary,
    /// UTF-16, transcoded to UTF-8.
    Text(String),
}

impl Content {
    fn over(self, bytes: &[u8]) -> Blob<'_> {
        match self {
            Content::Plain => Blob::Bytes(bytes),
            Content::Binary => Blob::BinaryBytes(bytes),
            Content::Text(s) => Blob::Text(s),
        }
    }

    fn over_object(self, obj: git2::OdbObject<'_>) -> Blob<'_> {
        match self {
            Content::Plain => Blob::Object(obj),
            Content::Binary => Blob::Binary(obj),
            Content::Text(s) => Blob::Text(s),
        }
    }
}

/// Tells how the blob `bytes` (at `path`) is scanned, counting what is
/// skipped and why, with its archive format when it is one. `None`: skip it.
pub(super) fn classify(
    bytes: &[u8],
    path: &[u8],
    r: &Read<'_>,
) -> Option<(Content, Option<archive::Format>)> {
    let counts = r.counts;
    if src::is_lfs_pointer(bytes) {
        Counts::add(&counts.lfs, 1);
        return None;
    }
    let format = archive::detect(path, bytes);
    // Archives not to be opened are skipped whole, not searched for strings.
    let closed = format.is_some() && !r.archives;
    let format = format.filter(|_| !closed);
    let sniff = match format {
        Some(_) => text::Sniff::Text,
        None => text::sniff(bytes),
    };
    let binary = sniff == text::Sniff::Binary;
    if closed || (binary && (!r.strings || bytes.len() as u64 > strings::MAX_BINARY)) {
        Counts::add(&counts.binary, 1);
        return None;
    }
    let content = match sniff {
        text::Sniff::Utf16 { le, skip } => Content::Text(text::transcode(bytes, le, skip)),
        text::Sniff::Text => Content::Plain,
        text::Sniff::Binary => Content::Binary,
    };
    let scanned = match &content {
        Content::Text(s) => s.len(),
        Content::Plain | Content::Binary => bytes.len(),
    };
    Counts::add(&counts.scanned, 1);
    Counts::add(&counts.bytes, scanned as u64);
    Some((content, format))
}

/// A blob's content to scan: as stored, UTF-16 transcoded to UTF-8, or
/// binary (for its printable strings).
pub(super) enum Blob<'o> {
    Object(git2::OdbObject<'o>),
    Bytes(&'o [u8]),
    Text(String),
    Binary(git2::OdbObject<'o>),
    BinaryBytes(&'o [u8]),
}

impl Blob<'_> {
    pub(super) fn data(&self) -> &[u8] {
        match self {
            Blob::Object(o) | Blob::Binary(o) => o.data(),
            Blob::Bytes(b) | Blob::BinaryBytes(b) => b,
            Blob::Text(s) => s.as_bytes(),
        }
    }

    pub(super) fn is_binary(&self) -> bool {
        matches!(self, Blob::Binary(_) | Blob::BinaryBytes(_))
    }
}
