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

pub(super) fn read_worker(
    sh: &Shared<'_>,
    git_dir: &std::path::Path,
    jobs: &[BlobJob],
    next: &AtomicUsize,
    outs: &[WorkerOut],
) -> Result<Vec<(Oid, Vec<Hit>)>, src::Error> {
    let repo = open_git(git_dir)?;
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", git_dir))?;
    let mut scanner = BlobScanner::new(sh.engine);
    scanner.binary_strings = sh.binary_strings;
    let mut hits = Vec::new();
    loop {
        let start = next.fetch_add(BLOB_CHUNK, Ordering::Relaxed);
        if start >= jobs.len() {
            return Ok(hits);
        }
        let end = (start + BLOB_CHUNK).min(jobs.len());
        let mut bytes = 0u64;
        for job in &jobs[start..end] {
            if matches!(sh.guard.damage(job.id), Some(src::Damage::Corrupt { .. })) {
                continue;
            }
            let raw_path = &outs[job.worker as usize].paths[job.path as usize];
            let read = Read {
                max: sh.max_blob_size,
                archives: sh.archives.is_some(),
                strings: sh.binary_strings,
                guard: &sh.guard,
                counts: &sh.counts,
                losses: &sh.losses,
            };
            let Some((obj, format)) = read_counted(&odb, job.id, raw_path, &read) else {
                continue;
            };
            bytes += obj.data().len() as u64;
            let path = String::from_utf8_lossy(raw_path);
            if let (Some(format), Some(limits)) = (format, sh.archives) {
                let mut found = Vec::new();
                let exp = scanner.scan_archive(format, &path, obj.data(), limits, None, &mut found);
                let opened = !archive::failed_at_once(&exp, &path);
                sh.archive.add(exp);
                if !found.is_empty() {
                    hits.push((job.id, found));
                }
                if opened {
                    continue;
                }
            }
            let found = if obj.is_binary() || format.is_some() {
                scanner.scan_content(obj.data(), Some(&path))
            } else {
                scanner.scan(obj.data(), Some(&path))
            };
            if !found.is_empty() {
                hits.push((job.id, std::mem::take(found)));
            }
        }
        sh.progress.add((end - start) as u64, bytes);
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
    let bytes = obj.data();
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
    let transcoded = match sniff {
        text::Sniff::Utf16 { le, skip } => Some(text::transcode(bytes, le, skip)),
        text::Sniff::Text | text::Sniff::Binary => None,
    };
    let blob = match transcoded {
        Some(s) => Blob::Text(s),
        None if binary => Blob::Binary(obj),
        None => Blob::Object(obj),
    };
    Counts::add(&counts.scanned, 1);
    Counts::add(&counts.bytes, blob.data().len() as u64);
    Some((blob, format))
}

/// A blob's content to scan: as stored, UTF-16 transcoded to UTF-8, or
/// binary (for its printable strings).
pub(super) enum Blob<'o> {
    Object(git2::OdbObject<'o>),
    Text(String),
    Binary(git2::OdbObject<'o>),
}

impl Blob<'_> {
    pub(super) fn data(&self) -> &[u8] {
        match self {
            Blob::Object(o) | Blob::Binary(o) => o.data(),
            Blob::Text(s) => s.as_bytes(),
        }
    }

    pub(super) fn is_binary(&self) -> bool {
        matches!(self, Blob::Binary(_))
    }
}
