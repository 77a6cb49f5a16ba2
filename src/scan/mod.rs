//! The scan driver: runs a source in parallel, feeds each blob to the engine
//! with one [`Cache`] per thread, turns raw matches into located
//! [`Hit`]s and groups them into findings. The seam for tests and benches:
//! they build a [`ScanPlan`] and call [`run`] without any CLI types.

mod decoded;
pub mod git;
pub mod progress;

use crate::diagnostic::Diagnostics;
use crate::engine::{Cache, Engine, RawMatch};
use crate::finding::{
    self, BlobHits, BlobMatch, Finding, Hit, Location, Mask, Secret, SecretKind, Snippet,
};
use crate::source::fs::{self, Collector, WalkOptions};
use crate::source::strings::{self, Strings};
use crate::source::{Counts, Provenance, archive, text};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A resolved filesystem scan: what to walk and how.
#[derive(Clone, Debug, Default)]
pub struct ScanPlan {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Walker options.
    pub walk: WalkOptions,
    /// Counters to add each scanned file to, for a progress display.
    pub progress: Option<std::sync::Arc<progress::Progress>>,
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
    /// Archives opened, nested ones included.
    pub archives: u64,
    /// Archive members scanned (each also counted in `bytes`).
    pub archive_members: u64,
    /// Warnings and errors of the scan, by class name
    /// ([`crate::diagnostic::CLASSES`]).
    pub warnings: std::collections::BTreeMap<String, u64>,
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

impl Stats {
    /// A snapshot of a source's counts, of files or blobs.
    pub fn of(c: &Counts, unit: Unit) -> Stats {
        Stats {
            scanned: Counts::get(&c.scanned),
            bytes: Counts::get(&c.bytes),
            skipped_binary: Counts::get(&c.binary),
            skipped_too_large: Counts::get(&c.too_large),
            unreadable: Counts::get(&c.unreadable),
            unit,
            ..Stats::default()
        }
    }
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
    let stats = Counts::default();
    let collected: Collector<BlobHits> = Collector::default();
    let tally = ArchiveTally::default();
    let diagnostics = Diagnostics::new();
    fs::walk(&plan.paths, &plan.walk, &stats, &diagnostics, || {
        let mut scanner = BlobScanner::new(engine);
        scanner.binary_strings = plan.walk.binary_strings;
        let mut members = Vec::new();
        let (collected, tally) = (&collected, &tally);
        move |blob: fs::FileBlob<'_>| {
            if let Some(p) = &plan.progress {
                p.add(1, blob.bytes.len() as u64);
            }
            let prov = if blob.path.as_os_str() == fs::STDIN {
                Provenance::Stdin
            } else {
                Provenance::File {
                    path: blob.path.to_path_buf(),
                }
            };
            let path = prov.path();
            // Path-restricted rules have no path to go by on standard input.
            let on_disk = (prov != Provenance::Stdin).then_some(path.as_str());
            if let (Some(format), Some(limits)) = (blob.archive, &plan.walk.archives) {
                let exp = scanner.scan_archive(
                    format,
                    &path,
                    blob.bytes,
                    limits,
                    blob.holder,
                    &mut members,
                );
                let opened = !archive::failed_at_once(&exp, &path);
                tally.add(exp);
                if opened {
                    if !members.is_empty() {
                        collected.extend([BlobHits::one(prov, std::mem::take(&mut members))]);
                    }
                    return;
                }
            }
            let hits = if blob.binary || blob.archive.is_some() {
                scanner.scan_content(blob.bytes, on_disk)
            } else {
                scanner.scan(blob.bytes, on_disk)
            };
            if !hits.is_empty() {
                collected.extend([BlobHits::one(prov, std::mem::take(hits))]);
            }
        }
    });
    let mut stats = Stats::of(&stats, Unit::File);
    tally.finish(&mut stats, &diagnostics);
    ScanOutput {
        findings: finding::group(collected.into_inner()),
        stats,
        diagnostics,
    }
}

/// What archive expansion did across the threads of one scan.
#[derive(Default)]
pub(crate) struct ArchiveTally {
    archives: AtomicU64,
    members: AtomicU64,
    bytes: AtomicU64,
    warnings: Collector<archive::Warning>,
}

impl ArchiveTally {
    /// Adds one outer archive's expansion.
    pub(crate) fn add(&self, exp: archive::Expansion) {
        self.archives.fetch_add(exp.archives, Ordering::Relaxed);
        self.members.fetch_add(exp.members, Ordering::Relaxed);
        self.bytes.fetch_add(exp.bytes, Ordering::Relaxed);
        if !exp.warnings.is_empty() {
            self.warnings.extend(exp.warnings);
        }
    }

    /// Adds the counts to `stats` and the warnings, sorted, to `diags`.
    pub(crate) fn finish(self, stats: &mut Stats, diags: &Diagnostics) {
        stats.archives += self.archives.into_inner();
        stats.archive_members += self.members.into_inner();
        stats.bytes += self.bytes.into_inner();
        let mut w = self.warnings.into_inner();
        w.sort();
        for w in w {
            // A limit stopping the whole archive is one instance, whatever
            // its count says.
            let n = match w.skip {
                archive::Skip::Corrupt | archive::Skip::TotalSize | archive::Skip::MemberCount => 1,
                _ => w.count,
            };
            diags.push_counted(crate::diagnostic::Severity::Warning, w.skip.class(), n, w);
        }
    }
}

/// Scans one blob after another on one thread, reusing its scratch space.
pub struct BlobScanner<'e> {
    engine: &'e Engine,
    cache: Cache,
    raw: Vec<RawMatch>,
    hits: Vec<Hit>,
    strings: Strings,
    /// Look into binary content (archive members, and what
    /// [`BlobScanner::scan_content`] is given) for printable strings;
    /// otherwise it is skipped.
    pub binary_strings: bool,
}

impl<'e> BlobScanner<'e> {
    /// A scanner for one thread.
    pub fn new(engine: &'e Engine) -> BlobScanner<'e> {
        BlobScanner {
            engine,
            cache: engine.cache(),
            raw: Vec::new(),
            hits: Vec::new(),
            strings: Strings::default(),
            binary_strings: true,
        }
    }

    /// Expands the archive `bytes` (of `format`, at `path`) and scans every
    /// member, appending the hits (each naming its member) to `out`; its
    /// memory is charged to `held` when the bytes are held already (see
    /// [`archive::expand`]).
    pub fn scan_archive(
        &mut self,
        format: archive::Format,
        path: &str,
        bytes: &[u8],
        limits: &archive::Limits,
        held: Option<&archive::Holder<'_>>,
        out: &mut Vec<Hit>,
    ) -> archive::Expansion {
        archive::expand(path, format, bytes, limits, held, &mut |m| {
            let shown = format!("{path}!{}", m.path);
            let hits = if m.binary {
                self.scan_binary(m.bytes, Some(&shown))
            } else {
                self.scan(m.bytes, Some(&shown))
            };
            for mut h in hits.drain(..) {
                h.at.member = Some(m.path.to_string());
                out.push(h);
            }
        })
    }

    /// Scans content that was not read as text (binary, or an archive that
    /// failed to open): UTF-16 transcoded, other text as it is, binary
    /// content's strings when [`BlobScanner::binary_strings`] is set.
    pub fn scan_content(&mut self, bytes: &[u8], path: Option<&str>) -> &mut Vec<Hit> {
        match text::as_text(bytes) {
            Some(t) => self.scan(&t, path),
            None => self.scan_binary(bytes, path),
        }
    }

    /// Scans the printable strings of binary `bytes` (see
    /// [`strings::extract`]) as text, one string a line; every hit carries
    /// the byte offset of its secret in `bytes`. Nothing when
    /// [`BlobScanner::binary_strings`] is off.
    pub fn scan_binary(&mut self, bytes: &[u8], path: Option<&str>) -> &mut Vec<Hit> {
        // Keywords of UTF-16 text show once its NULs are gone: content
        // without any (media, compiled code without credentials' words) is
        // not taken apart.
        if !self.binary_strings || !self.engine.has_keyword(&without_nuls(bytes)) {
            self.hits.clear();
            return &mut self.hits;
        }
        let mut s = std::mem::take(&mut self.strings);
        strings::extract(bytes, &mut s);
        self.scan(&s.text, path);
        for h in &mut self.hits {
            h.at.binary = Some(s.offset(text_offset(&s.text, h.at.location)));
        }
        self.strings = s;
        &mut self.hits
    }

    /// Scans `bytes` (found at `path`, when it has one: path-restricted
    /// rules need it), and its encoded spans decoded to the engine's
    /// [`Engine::decode_depth`], and returns its located hits (drain them
    /// before the next call).
    pub fn scan(&mut self, bytes: &[u8], path: Option<&str>) -> &mut Vec<Hit> {
        self.raw.clear();
        self.hits.clear();
        self.engine
            .scan(&mut self.cache, path, bytes, &mut self.raw);
        let mut lines = None;
        if !self.raw.is_empty() {
            let index = LineIndex::new(bytes);
            let spans = Spans::new(secret_spans(self.engine, &self.raw));
            for m in &self.raw {
                self.hits
                    .push(to_hit(self.engine, m, bytes, &index, &spans));
            }
            lines = Some(index);
        }
        if self.engine.decode_depth() > 0 {
            let blob = decoded::Blob { bytes, path };
            decoded::scan(
                self.engine,
                &mut self.cache,
                &mut self.raw,
                &blob,
                &mut lines,
                &mut self.hits,
            );
        }
        if self.hits.len() > 1 {
            drop_claimed_generic(self.engine, &mut self.hits);
        }
        if !self.hits.is_empty() {
            let wanted = self.hits.iter().map(|h| h.at.location.line).collect();
            let hashes = finding::linehash::line_hashes(bytes, &wanted);
            for h in &mut self.hits {
                h.at.line_hash = hashes.get(&h.at.location.line).cloned();
            }
        }
        &mut self.hits
    }
}

/// Drops generic hits whose value a provider rule's hit in the same blob
/// holds as its secret, key or token: the precedence rule of the engine,
/// across decoded layers (a key paired in a layer where a concatenated id
/// reads whole is still that credential's key in the plain text).
fn drop_claimed_generic(engine: &Engine, hits: &mut Vec<Hit>) {
    let rules = engine.rules();
    let generic = |h: &Hit| rules.get(&h.rule).is_some_and(|r| r.generic);
    let claimed: std::collections::HashSet<&str> = hits
        .iter()
        .filter(|h| !generic(h))
        .flat_map(|h| std::iter::once(&h.secret).chain(&h.key).chain(&h.token))
        .map(|s| s.expose())
        .collect();
    if claimed.is_empty() {
        return;
    }
    let keep: Vec<bool> = hits
        .iter()
        .map(|h| !generic(h) || !claimed.contains(h.secret.expose()))
        .collect();
    let mut i = 0;
    hits.retain(|_| {
        i += 1;
        keep[i - 1]
    });
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

/// A blob's secret spans, sorted by start, with the running maximum of
/// their ends: the spans a snippet can hold are found by two binary
/// searches, not by a pass over every span of the blob.
struct Spans {
    list: Vec<(Range<usize>, SecretKind)>,
    max_ends: Vec<usize>,
}

impl Spans {
    fn new(list: Vec<(Range<usize>, SecretKind)>) -> Spans {
        let mut end = 0;
        let max_ends = list
            .iter()
            .map(|(r, _)| {
                end = end.max(r.end);
                end
            })
            .collect();
        Spans { list, max_ends }
    }

    /// The spans that may overlap a snippet cut around `offset`.
    fn around(&self, offset: usize) -> &[(Range<usize>, SecretKind)] {
        let from = offset.saturating_sub(SNIPPET_REACH);
        let lo = self.max_ends.partition_point(|&e| e <= from);
        let hi = self
            .list
            .partition_point(|(r, _)| r.start < offset + SNIPPET_REACH);
        &self.list[lo..hi.max(lo)]
    }
}

fn to_hit(engine: &Engine, m: &RawMatch, bytes: &[u8], lines: &LineIndex, spans: &Spans) -> Hit {
    let rule = &engine.rules().rules[m.rule];
    let at = visible(bytes, &m.secret).start;
    let (snippet, masks) = lines.snippet(bytes, at, spans.around(at));
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
        at: BlobMatch {
            member: None,
            location: lines.locate(bytes, visible(bytes, &m.secret)),
            key_location: m
                .key
                .as_ref()
                .map(|r| lines.locate(bytes, visible(bytes, r))),
            snippet: Snippet::new(snippet, masks),
            line_hash: None,
            binary: None,
            decoded: Vec::new(),
        },
    }
}

/// `r` without leading and trailing whitespace (a PEM body starts and ends
/// with a line break), so a location starts on its first visible character
/// and never points past the end of a line; the whole range if it is blank.
fn visible(bytes: &[u8], r: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let s = &bytes[r.clone()];
    match s.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(first) => {
            let last = s
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .unwrap_or(first);
            r.start + first..r.start + last + 1
        }
        None => r.clone(),
    }
}

/// `bytes` without their NUL bytes, for the keyword prefilter of binary
/// content.
fn without_nuls(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(z) = memchr::memchr(0, &bytes[at..]).map(|p| at + p) {
        out.extend_from_slice(&bytes[at..z]);
        at = z + crate::source::strings::zeros(&bytes[z..]);
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// The byte offset of the start of `loc` in `bytes` (columns count
/// characters).
fn text_offset(bytes: &[u8], loc: Location) -> usize {
    let line = (loc.line as usize).saturating_sub(1);
    let start = if line == 0 {
        0
    } else {
        memchr::memchr_iter(b'\n', bytes)
            .nth(line - 1)
            .map_or(bytes.len(), |i| i + 1)
    };
    let rest = &bytes[start..];
    let text = match std::str::from_utf8(rest) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
    };
    let col = (loc.column as usize).saturating_sub(1);
    start
        + text
            .char_indices()
            .nth(col)
            .map_or(col.min(rest.len()), |(i, _)| i)
}

/// Offsets of line starts, for turning byte offsets into lines and columns.
/// Columns count characters from the line start; the index remembers the
/// last point it computed and counts only the characters between that
/// point and the next one asked for, so locating the matches of a long
/// line, in order, costs one pass over it rather than one per match.
pub struct LineIndex {
    starts: Vec<usize>,
    /// The last point computed: (line, offset, 0-based column).
    last: std::cell::Cell<Option<(usize, usize, usize)>>,
}

/// Characters in `bytes` as lossy UTF-8 decoding counts them.
fn chars(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes).chars().count()
}

/// Whether a character (or an invalid sequence) starts at `offset`: lossy
/// decoding of two slices split there adds up to that of the whole.
fn char_boundary(bytes: &[u8], offset: usize) -> bool {
    bytes.get(offset).is_none_or(|&b| b & 0xC0 != 0x80)
}

impl LineIndex {
    /// Indexes `bytes`.
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex {
            starts,
            last: std::cell::Cell::new(None),
        }
    }

    /// 0-based line holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    fn point(&self, bytes: &[u8], offset: usize) -> (u32, u32) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        let col = match self.last.get() {
            Some((l, at, col))
                if l == line && char_boundary(bytes, at) && char_boundary(bytes, offset) =>
            {
                if offset >= at {
                    col + chars(&bytes[at..offset])
                } else {
                    col - chars(&bytes[offset..at])
                }
            }
            _ => chars(&bytes[start..offset]),
        };
        self.last.set(Some((line, offset, col)));
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
    /// at most 500 bytes around the offset.
    pub fn line_text(&self, bytes: &[u8], offset: usize) -> String {
        self.snippet(bytes, offset, &[]).0
    }

    /// [`LineIndex::line_text`], with where each of `spans` (sorted secret
    /// ranges of the same bytes) lands in it. A span the cut goes through is
    /// kept as a mask that is not whole, so no piece of a secret escapes
    /// redaction.
    pub fn snippet(
        &self,
        bytes: &[u8],
        offset: usize,
        spans: &[(Range<usize>, SecretKind)],
    ) -> (String, Vec<Mask>) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        let end = self.starts.get(line + 1).map_or(bytes.len(), |e| e - 1);
        cut_line_masked(bytes, start..end, offset, spans)
    }
}

/// [`LineIndex::snippet`] without an index, for a one-off lookup.
/// Only the bytes the cut can keep are searched for the line's ends.
fn line_around(
    bytes: &[u8],
    offset: usize,
    spans: &[(Range<usize>, SecretKind)],
) -> (String, Vec<Mask>) {
    let floor = offset.saturating_sub(SNIPPET_REACH);
    let ceil = bytes.len().min(offset + SNIPPET_REACH + 1);
    let start = memchr::memrchr(b'\n', &bytes[floor..offset]).map_or(floor, |i| floor + i + 1);
    let end = memchr::memchr(b'\n', &bytes[offset..ceil]).map_or(ceil, |i| offset + i);
    cut_line_masked(bytes, start..end, offset, spans)
}

/// How many bytes of a line a snippet keeps either side of its offset.
const SNIPPET_REACH: usize = 250;

/// Cuts `line` of `bytes` to 500 bytes around `offset`, locating `spans`
/// (clipped to the cut, overlaps merged) in the text.
fn cut_line_masked(
    bytes: &[u8],
    line: Range<usize>,
    offset: usize,
    spans: &[(Range<usize>, SecretKind)],
) -> (String, Vec<Mask>) {
    let mut end = line.end;
    while end > line.start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    let from = line.start.max(offset.saturating_sub(SNIPPET_REACH));
    let to = end.min(offset + SNIPPET_REACH).max(from);
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
        assert_eq!(idx.line_text(text, 8), "two AKID");
        assert_eq!(idx.line_text(text, 15), "three");
    }

    #[test]
    fn columns_counted_from_the_last_point_match_a_fresh_count() {
        let mut text = Vec::new();
        for i in 0..40 {
            text.extend_from_slice("é AKID ".as_bytes());
            text.extend_from_slice(if i % 7 == 0 { b"\xE2\x82 " } else { b"\xF0 x" });
            if i % 13 == 0 {
                text.push(b'\n');
            }
        }
        let offsets: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b'A').collect();
        let idx = LineIndex::new(&text);
        let mut order: Vec<usize> = offsets.clone();
        order.reverse();
        order.extend(offsets.iter().step_by(3));
        order.extend(&offsets);
        for &o in &order {
            let fresh = LineIndex::new(&text).locate(&text, o..o + 4);
            assert_eq!(idx.locate(&text, o..o + 4), fresh, "at {o}");
        }
    }

    #[test]
    fn snippets_mark_every_secret_and_every_cut_piece() {
        let line = format!("{}SECRET1 mid SECRET2{}", "x".repeat(10), "y".repeat(300));
        let b = line.as_bytes();
        let idx = LineIndex::new(b);
        let spans = [(10..17, SecretKind::Key), (22..29, SecretKind::Identifier)];
        let (text, masks) = idx.snippet(b, 22, &spans);
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
        assert_eq!(
            (masks[0].start, masks[0].end, masks[0].whole),
            (0, 30, false)
        );
        assert!(masks[1].whole);
    }

    #[test]
    fn locations_skip_the_line_breaks_around_a_block() {
        let text = b"-----BEGIN-----\nQUJD\nREVG\n-----END-----\n";
        let body = 15..26;
        assert_eq!(&text[visible(text, &body)], b"QUJD\nREVG");
        let idx = LineIndex::new(text);
        let loc = idx.locate(text, visible(text, &body));
        assert_eq!(
            (loc.line, loc.column, loc.end_line, loc.end_column),
            (2, 1, 3, 5)
        );
        assert_eq!(visible(b"  ", &(0..2)), 0..2);
    }
}
