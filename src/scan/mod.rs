//! The scan driver: runs a source in parallel, feeds each blob to the engine
//! with one [`Cache`] per thread, turns raw matches into located
//! [`Hit`]s and groups them into findings. The seam for tests and benches:
//! they build a [`ScanPlan`] and call [`run`] without any CLI types.

pub mod git;

use crate::diagnostic::Diagnostics;
use crate::engine::{Cache, Engine, RawMatch};
use crate::finding::{self, Finding, Hit, Location, Mask, Match, Secret, SecretKind};
use crate::source::Provenance;
use crate::source::fs::{self, Collector, WalkOptions, WalkStats};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// A resolved filesystem scan: what to walk and how.
#[derive(Clone, Debug, Default)]
pub struct ScanPlan {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Walker options.
    pub walk: WalkOptions,
}

/// What a scan found and what it skipped.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Findings, grouped and sorted.
    pub findings: Vec<Finding>,
    /// Counts for the summary.
    pub stats: Stats,
    /// What was skipped or went wrong on the way, for the user.
    pub diagnostics: Diagnostics,
}

/// Plain counts of a finished scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Files or blobs scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped as binary.
    pub skipped_binary: u64,
    /// Skipped as over the size limit.
    pub skipped_too_large: u64,
    /// Could not be read.
    pub unreadable: u64,
    /// What `scanned` counts: files on disk, or git blobs.
    #[serde(skip)]
    pub unit: Unit,
}

/// What a scan's counts are counts of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// Files (and standard input).
    #[default]
    File,
    /// Git blobs of a history scan.
    Blob,
}

impl Unit {
    /// The noun, singular.
    pub fn noun(self) -> &'static str {
        match self {
            Unit::File => "file",
            Unit::Blob => "blob",
        }
    }
}

/// Scans files and directories.
pub fn run(plan: &ScanPlan, engine: &Engine) -> ScanOutput {
    let stats = WalkStats::default();
    let collected: Collector<Hit> = Collector::default();
    let diagnostics = Diagnostics::new();
    fs::walk(&plan.paths, &plan.walk, &stats, &diagnostics, || {
        let mut scanner = BlobScanner::new(engine);
        let collected = &collected;
        move |blob: fs::FileBlob<'_>| {
            let prov = Provenance::File {
                path: blob.path.to_path_buf(),
            };
            let path = blob.path.to_string_lossy();
            let hits = scanner.scan(blob.bytes, Some(&path), &prov);
            if !hits.is_empty() {
                collected.extend(hits.drain(..));
            }
        }
    });
    ScanOutput {
        findings: finding::group(collected.into_inner()),
        stats: Stats {
            scanned: stats.files.load(Ordering::Relaxed),
            bytes: stats.bytes.load(Ordering::Relaxed),
            skipped_binary: stats.binary.load(Ordering::Relaxed),
            skipped_too_large: stats.too_large.load(Ordering::Relaxed),
            unreadable: stats.unreadable.load(Ordering::Relaxed),
            unit: Unit::File,
        },
        diagnostics,
    }
}

/// Scans one in-memory blob (standard input, a single buffer).
pub fn run_bytes(engine: &Engine, bytes: &[u8], prov: &Provenance) -> ScanOutput {
    let mut scanner = BlobScanner::new(engine);
    let hits = std::mem::take(scanner.scan(bytes, None, prov));
    ScanOutput {
        findings: finding::group(hits),
        stats: Stats {
            scanned: 1,
            bytes: bytes.len() as u64,
            ..Stats::default()
        },
        diagnostics: Diagnostics::new(),
    }
}

/// Scans one blob after another on one thread, reusing its scratch space.
pub struct BlobScanner<'e> {
    engine: &'e Engine,
    cache: Cache,
    raw: Vec<RawMatch>,
    hits: Vec<Hit>,
}

impl<'e> BlobScanner<'e> {
    /// A scanner for one thread.
    pub fn new(engine: &'e Engine) -> BlobScanner<'e> {
        BlobScanner {
            engine,
            cache: engine.cache(),
            raw: Vec::new(),
            hits: Vec::new(),
        }
    }

    /// Scans `bytes` and returns its located hits (drain them before the next call).
    pub fn scan(&mut self, bytes: &[u8], path: Option<&str>, prov: &Provenance) -> &mut Vec<Hit> {
        self.raw.clear();
        self.hits.clear();
        self.engine
            .scan(&mut self.cache, path, bytes, &mut self.raw);
        if !self.raw.is_empty() {
            let lines = LineIndex::new(bytes);
            let spans = secret_spans(self.engine, &self.raw);
            for m in &self.raw {
                self.hits
                    .push(to_hit(self.engine, m, bytes, &lines, &spans, prov));
            }
        }
        &mut self.hits
    }
}

/// Every secret, key and token range of a blob's matches, with how each is
/// redacted: what every snippet of the blob masks.
fn secret_spans(engine: &Engine, raw: &[RawMatch]) -> Vec<(Range<usize>, SecretKind)> {
    let mut spans = Vec::with_capacity(raw.len() * 2);
    for m in raw {
        let kind = if engine.rules().rules[m.rule].pair.is_some() {
            SecretKind::Identifier
        } else {
            SecretKind::Key
        };
        spans.push((m.secret.clone(), kind));
        spans.extend(
            m.key
                .iter()
                .chain(&m.token)
                .map(|r| (r.clone(), SecretKind::Key)),
        );
    }
    spans.sort_by_key(|(r, _)| (r.start, r.end));
    spans.dedup();
    spans
}

fn to_hit(
    engine: &Engine,
    m: &RawMatch,
    bytes: &[u8],
    lines: &LineIndex,
    spans: &[(Range<usize>, SecretKind)],
    prov: &Provenance,
) -> Hit {
    let rule = &engine.rules().rules[m.rule];
    let (snippet, masks) = lines.snippet(bytes, m.secret.start, spans);
    let text = |r: &std::ops::Range<usize>| String::from_utf8_lossy(&bytes[r.clone()]).into_owned();
    let secret_kind = if rule.pair.is_some() {
        SecretKind::Identifier
    } else {
        SecretKind::Key
    };
    Hit {
        rule: rule.id.clone(),
        secret: Secret::new(text(&m.secret), secret_kind),
        key: m
            .key
            .as_ref()
            .map(|r| Secret::new(text(r), SecretKind::Key)),
        token: m
            .token
            .as_ref()
            .map(|r| Secret::new(text(r), SecretKind::Key)),
        at: Match {
            provenance: prov.clone(),
            location: lines.locate(bytes, m.secret.clone()),
            key_location: m.key.as_ref().map(|r| lines.locate(bytes, r.clone())),
            snippet,
            masks,
        },
    }
}

/// Offsets of line starts, for turning byte offsets into lines and columns.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `bytes`.
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 0-based line holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    fn point(&self, bytes: &[u8], offset: usize) -> (u32, u32) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        let col = String::from_utf8_lossy(&bytes[start..offset])
            .chars()
            .count();
        (line as u32 + 1, col as u32 + 1)
    }

    /// The 1-based location of a byte range.
    pub fn locate(&self, bytes: &[u8], r: std::ops::Range<usize>) -> Location {
        let (line, column) = self.point(bytes, r.start);
        let (end_line, end_column) = self.point(bytes, r.end);
        Location {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The text of the line holding `offset`, without its line ending, cut to
    /// at most 500 bytes around the offset, with where each of `spans` (sorted
    /// secret ranges of the same bytes) lands in it. A span the cut goes
    /// through is kept as a mask that is not whole, so no piece of a secret
    /// escapes redaction.
    pub fn snippet(
        &self,
        bytes: &[u8],
        offset: usize,
        spans: &[(Range<usize>, SecretKind)],
    ) -> (String, Vec<Mask>) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        let mut end = self.starts.get(line + 1).map_or(bytes.len(), |e| e - 1);
        while end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        let from = start.max(offset.saturating_sub(250));
        let to = end.min(offset + 250).max(from);
        // Clip to the window and merge overlaps (a key inside a token).
        let mut cuts: Vec<(usize, usize, SecretKind, bool)> = Vec::new();
        for (r, kind) in spans.iter().filter(|(r, _)| r.start < to && r.end > from) {
            let (s, e) = (r.start.max(from), r.end.min(to));
            let whole = s == r.start && e == r.end;
            match cuts.last_mut() {
                Some(last) if s < last.1 => {
                    last.1 = last.1.max(e);
                    last.2 = SecretKind::Key;
                    last.3 = false;
                }
                _ => cuts.push((s, e, *kind, whole)),
            }
        }
        let mut text = String::with_capacity(to - from);
        let mut masks = Vec::with_capacity(cuts.len());
        let mut pos = from;
        for (s, e, kind, whole) in cuts {
            text.push_str(&String::from_utf8_lossy(&bytes[pos..s]));
            let at = text.len() as u32;
            text.push_str(&String::from_utf8_lossy(&bytes[s..e]));
            masks.push(Mask {
                start: at,
                end: text.len() as u32,
                kind,
                whole,
            });
            pos = e;
        }
        text.push_str(&String::from_utf8_lossy(&bytes[pos..to]));
        (text, masks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_locates_offsets() {
        let text = b"one\ntwo AKID\r\nthree";
        let idx = LineIndex::new(text);
        let loc = idx.locate(text, 8..12);
        assert_eq!(
            (loc.line, loc.column, loc.end_line, loc.end_column),
            (2, 5, 2, 9)
        );
        assert_eq!(idx.snippet(text, 8, &[]).0, "two AKID");
        assert_eq!(idx.snippet(text, 15, &[]).0, "three");
    }

    #[test]
    fn snippets_mark_every_secret_and_every_cut_piece() {
        let line = format!("{}SECRET1 mid SECRET2{}", "x".repeat(10), "y".repeat(300));
        let b = line.as_bytes();
        let idx = LineIndex::new(b);
        let s1 = 10..17;
        let s2 = 22..29;
        let (text, masks) = idx.snippet(
            b,
            s2.start,
            &[(s1, SecretKind::Key), (s2, SecretKind::Identifier)],
        );
        let shown: Vec<(&str, bool)> = masks
            .iter()
            .map(|m| (&text[m.start as usize..m.end as usize], m.whole))
            .collect();
        assert_eq!(shown, vec![("SECRET1", true), ("SECRET2", true)]);
        // A secret the window cuts: the piece inside is still masked.
        let long = format!("{}{}", "k".repeat(40), "z".repeat(600));
        let b = long.as_bytes();
        let spans = [(0..40, SecretKind::Key), (260..264, SecretKind::Key)];
        let (text, masks) = LineIndex::new(b).snippet(b, 260, &spans);
        assert!(text.starts_with("kkk"), "the window starts inside the key");
        assert_eq!(masks[0].start, 0);
        assert_eq!(masks[0].end, 30);
        assert!(!masks[0].whole);
        assert!(masks[1].whole);
    }
}
