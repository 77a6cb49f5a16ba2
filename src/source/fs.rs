//! Files on disk: `ignore`'s parallel walker, hidden files included, `.git`
//! never entered, archives recognised, other binary and oversized files
//! skipped with a count; content that cannot be read is an error, a symlink
//! loop or broken link a warning. Standard input
//! (`-`), pipes and devices named as paths are read as streams, under the
//! same size limit and binary test. Yields bytes; knows nothing about rules.

use super::Counts;
use crate::diagnostic::{Class, Diagnostics, Severity};
use crate::source::archive::{self, Format};
use crate::source::{strings, text};
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Honour `.gitignore`, `.ignore` and git's exclude files.
    pub respect_gitignore: bool,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    /// Files larger than this many bytes are skipped (and counted).
    pub max_file_size: u64,
    /// Worker threads; 0 picks the number of cores.
    pub threads: usize,
    /// Extra ignore file names honoured like `.gitignore` (`.keyhoundignore`
    /// is not one: it lists findings, not paths).
    pub ignore_files: Vec<String>,
    /// Open archives and compressed files within these limits; `None`
    /// skips them as binary.
    pub archives: Option<archive::Limits>,
    /// Read binary files whole for their printable strings; otherwise they
    /// are skipped (and counted) after their first 8 KiB.
    pub binary_strings: bool,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            respect_gitignore: true,
            follow_links: false,
            max_file_size: 100 * 1024 * 1024,
            threads: 0,
            ignore_files: Vec::new(),
            archives: Some(archive::Limits::default()),
            binary_strings: true,
        }
    }
}

/// A file's content as handed to a visitor.
pub struct FileBlob<'a> {
    /// The path, relative to what the user named.
    pub path: &'a Path,
    /// The content, UTF-16 transcoded to UTF-8.
    pub bytes: &'a [u8],
    /// The archive format, when the content is an archive to expand.
    pub archive: Option<Format>,
    /// Whether the content is binary (neither text nor an archive), for
    /// its printable strings.
    pub binary: bool,
    /// For an archive: its share of the archive memory pool, holding its
    /// bytes, for the expansion to charge its buffers to.
    pub holder: Option<&'a archive::Holder<'a>>,
}

/// Walks `roots` in parallel. `make_visitor` runs once per worker thread and
/// returns the closure that receives that thread's files; every entry that
/// cannot be read is counted in `stats` and added to `diags` as a warning.
pub fn walk<F, V>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    stats: &Counts,
    diags: &Diagnostics,
    make_visitor: F,
) where
    F: Fn() -> V + Sync,
    V: FnMut(FileBlob<'_>) + Send,
{
    let (streams, roots): (Vec<&PathBuf>, Vec<&PathBuf>) = roots.iter().partition(|r| is_stream(r));
    if !streams.is_empty() {
        let mut visit = make_visitor();
        for s in streams {
            read_stream(s, opts, stats, diags, &mut visit);
        }
    }
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut b = WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    b.hidden(false)
        .parents(opts.respect_gitignore)
        .ignore(opts.respect_gitignore)
        .git_ignore(opts.respect_gitignore)
        .git_global(opts.respect_gitignore)
        .git_exclude(opts.respect_gitignore)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads.min(crate::source::MAX_THREADS))
        .filter_entry(|e| e.file_name() != ".git");
    for name in &opts.ignore_files {
        b.add_custom_ignore_filename(name);
    }
    let make_visitor = &make_visitor;
    b.build_parallel().run(|| {
        let mut visit = make_visitor();
        let mut buf = Vec::with_capacity(64 * 1024);
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_some_and(|t| t.is_file());
                    if is_file {
                        read_one(e.path(), opts, stats, diags, &mut buf, &mut visit);
                    }
                }
                Err(err) => {
                    Counts::add(&stats.unreadable, 1);
                    let (severity, class, message) = walk_error(&err);
                    diags.push_counted(severity, class, 1, message);
                }
            }
            WalkState::Continue
        })
    });
}

/// What a walk error means: a symlink loop or a broken link holds no
/// content of its own (a warning); anything else is content not read (an
/// error, so the exit code says the scan is incomplete).
fn walk_error(err: &ignore::Error) -> (Severity, Class, String) {
    if is_loop(err) {
        (
            Severity::Warning,
            Class::SYMLINK_LOOP,
            format!("skipped a symlink loop: {err}"),
        )
    } else if err
        .io_error()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        (
            Severity::Warning,
            Class::BROKEN_LINK,
            format!("skipped a broken link: {err}"),
        )
    } else {
        (
            Severity::Error,
            Class::UNREADABLE,
            format!("cannot read {err}"),
        )
    }
}

/// Whether `err` is (or wraps) a symbolic link loop.
fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().any(is_loop),
        _ => false,
    }
}

fn read_one<V: FnMut(FileBlob<'_>)>(
    path: &Path,
    opts: &WalkOptions,
    stats: &Counts,
    diags: &Diagnostics,
    buf: &mut Vec<u8>,
    visit: &mut V,
) {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return unreadable(path, &e, stats, diags),
    };
    let read = Reading {
        path,
        opts,
        stats,
        diags,
        file: Some(&f),
    };
    read_from(&f, &read, buf, visit);
}

fn unreadable(path: &Path, e: &std::io::Error, stats: &Counts, diags: &Diagnostics) {
    Counts::add(&stats.unreadable, 1);
    diags.push_counted(
        Severity::Error,
        Class::UNREADABLE,
        1,
        format_args!("cannot read {}: {e}", shown(path)),
    );
}

/// `path` as messages name it.
fn shown(path: &Path) -> std::borrow::Cow<'_, str> {
    if path.as_os_str() == STDIN {
        "standard input".into()
    } else {
        path.to_string_lossy()
    }
}

/// One file or stream to read, and where to count and report.
struct Reading<'a> {
    path: &'a Path,
    opts: &'a WalkOptions,
    stats: &'a Counts,
    diags: &'a Diagnostics,
    /// The file, whose length is asked only when its first 8 KiB do not
    /// hold all of it (`None` for a stream, which has no length).
    file: Option<&'a std::fs::File>,
}

/// A reusable read buffer: its bytes past `filled` are initialised
/// leftovers, so a file read into it costs no zeroing once the buffer has
/// grown to that size.
struct Filling<'b> {
    buf: &'b mut Vec<u8>,
    filled: usize,
}

impl Filling<'_> {
    /// Reads from `r` until `upto` bytes are held or `r` ends; whether it
    /// ended.
    fn fill(&mut self, r: &mut dyn Read, upto: usize) -> std::io::Result<bool> {
        if self.buf.len() < upto {
            self.buf.resize(upto, 0);
        }
        while self.filled < upto {
            match r.read(&mut self.buf[self.filled..upto]) {
                Ok(0) => return Ok(true),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Reads the rest of `r`, up to `limit` bytes in all (`size`, when
    /// known, sizes the first step; a file may have grown since).
    fn fill_to_end(
        &mut self,
        r: &mut dyn Read,
        size: Option<u64>,
        limit: u64,
    ) -> std::io::Result<()> {
        const STEP: u64 = 64 * 1024;
        let mut upto = size.map_or(STEP, |s| s.saturating_add(1)).clamp(1, limit);
        loop {
            let upto_bytes = usize::try_from(upto).unwrap_or(usize::MAX);
            if self.fill(r, upto_bytes)? || upto >= limit {
                return Ok(());
            }
            upto = upto.saturating_mul(2).min(limit);
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.filled]
    }
}

/// Reads a file or stream from `r` into `buf` and hands it to `visit`,
/// within the size limit: the first 8 KiB decide whether it is binary
/// (then nothing more is read unless binary files are read for their
/// strings), the rest is read up to one byte past the limit (a file may
/// have grown, a stream has no length). A file's length is asked only when
/// it is longer than its first 8 KiB, so a small file costs one read to
/// its end and one that finds nothing more. An archive to open is read
/// into a buffer of the archive memory pool instead.
fn read_from<R: Read, V: FnMut(FileBlob<'_>)>(
    mut r: R,
    reading: &Reading<'_>,
    buf: &mut Vec<u8>,
    visit: &mut V,
) {
    let Reading {
        path,
        opts,
        stats,
        diags,
        file,
    } = *reading;
    let mut buf = Filling { buf, filled: 0 };
    let limit = opts.max_file_size.saturating_add(1);
    let head = limit.min(text::HEAD as u64) as usize;
    let ended = match buf.fill(&mut r, head) {
        Ok(ended) => ended,
        Err(e) => return unreadable(path, &e, stats, diags),
    };
    // A file's length, when its head does not hold it all: one over the
    // limit is skipped unread.
    let size = if ended {
        Some(buf.filled as u64)
    } else {
        file.and_then(|f| f.metadata().ok()).map(|m| m.len())
    };
    if size.is_some_and(|s| s > opts.max_file_size) {
        return too_large(reading);
    }
    // Archives first: they are binary, but not to be skipped.
    let archive = archive::detect(path.as_os_str().as_encoded_bytes(), buf.bytes());
    // Archives not to be opened are skipped whole, not searched for strings.
    let closed = archive.is_some() && opts.archives.is_none();
    let archive = archive.filter(|_| !closed);
    // Decided once, from the head: the rest of the file cannot change it.
    let sniff = match archive {
        Some(_) => text::Sniff::Text,
        None => text::sniff(buf.bytes()),
    };
    let binary = sniff == text::Sniff::Binary;
    if closed || (binary && !opts.binary_strings) {
        Counts::add(&stats.binary, 1);
        return;
    }
    if let (Some(format), Some(limits)) = (archive, &opts.archives) {
        let mut rest = std::io::Cursor::new(buf.bytes()).chain(r.take(limit - buf.filled as u64));
        return read_archive(&mut rest, reading, size, format, limits, visit);
    }
    // Binary content is read for its strings only up to its own bound.
    let bound = if binary {
        limit.min(strings::MAX_BINARY.saturating_add(1))
    } else {
        limit
    };
    if !ended && let Err(e) = buf.fill_to_end(&mut r, size, bound) {
        return unreadable(path, &e, stats, diags);
    }
    let len = buf.filled as u64;
    if binary && len > strings::MAX_BINARY && opts.max_file_size > strings::MAX_BINARY {
        Counts::add(&stats.binary, 1);
        return;
    }
    if len > opts.max_file_size {
        return too_large(reading);
    }
    let transcoded = match sniff {
        text::Sniff::Utf16 { le, skip } if archive.is_none() => {
            Some(text::transcode(buf.bytes(), le, skip))
        }
        _ => None,
    };
    let bytes: &[u8] = transcoded.as_ref().map_or(buf.bytes(), |s| s.as_bytes());
    Counts::add(&stats.scanned, 1);
    Counts::add(&stats.bytes, bytes.len() as u64);
    visit(FileBlob {
        path,
        bytes,
        archive,
        binary,
        holder: None,
    });
}

/// Counts a file over the size limit; a stream (no size to count it by in
/// advance) is named in a warning.
fn too_large(reading: &Reading<'_>) {
    Counts::add(&reading.stats.too_large, 1);
    if is_stream(reading.path) {
        reading.diags.push_counted(
            Severity::Warning,
            Class::TOO_LARGE,
            1,
            format_args!(
                "{} is over the size limit of {} bytes (--max-file-size); not scanned",
                shown(reading.path),
                reading.opts.max_file_size
            ),
        );
    }
}

/// Reads the archive `r` into a buffer reserved from the archive memory
/// pool (waiting while other archives hold it) and hands it to `visit`.
fn read_archive<V: FnMut(FileBlob<'_>)>(
    r: &mut dyn Read,
    reading: &Reading<'_>,
    size: Option<u64>,
    format: Format,
    limits: &archive::Limits,
    visit: &mut V,
) {
    let (path, stats, diags) = (reading.path, reading.stats, reading.diags);
    let holder = limits.pool().holder();
    let mut content = archive::Leased::new(&holder);
    match content.fill(r, reading.opts.max_file_size, size.unwrap_or(0)) {
        Ok(archive::Fill::Whole) => {}
        Ok(archive::Fill::TooLarge | archive::Fill::OverClaim) => return too_large(reading),
        Err(e) => return unreadable(path, &e, stats, diags),
    }
    let bytes = content.bytes();
    Counts::add(&stats.scanned, 1);
    Counts::add(&stats.bytes, bytes.len() as u64);
    visit(FileBlob {
        path,
        bytes,
        archive: Some(format),
        binary: false,
        holder: Some(&holder),
    });
}

/// Whether `path` names standard input (`-`) or, after symbolic links, a
/// pipe, socket or device: read as a stream, never walked (`scan <(cmd)`,
/// `scan /dev/stdin`).
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == STDIN || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The path that names standard input.
pub const STDIN: &str = "-";

/// Reads the stream `path` names (standard input for `-`) whole, within
/// the size limit, and hands it to `visit`.
fn read_stream<V: FnMut(FileBlob<'_>)>(
    path: &Path,
    opts: &WalkOptions,
    stats: &Counts,
    diags: &Diagnostics,
    visit: &mut V,
) {
    let mut buf = Vec::new();
    let read = Reading {
        path,
        opts,
        stats,
        diags,
        file: None,
    };
    if path.as_os_str() == STDIN {
        let stdin = std::io::stdin();
        return read_from(stdin.lock(), &read, &mut buf, visit);
    }
    match std::fs::File::open(path) {
        Ok(f) => read_from(f, &read, &mut buf, visit),
        Err(e) => unreadable(path, &e, stats, diags),
    }
}

/// Collects per-thread results into one vector at the end of a walk.
#[derive(Debug)]
pub struct Collector<T>(Mutex<Vec<T>>);

impl<T> Default for Collector<T> {
    fn default() -> Self {
        Collector(Mutex::new(Vec::new()))
    }
}

impl<T> Collector<T> {
    /// Adds a thread's batch.
    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(items);
    }

    /// Everything collected.
    pub fn into_inner(self) -> Vec<T> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a file of `len` bytes read under `max` yields: the bytes
    /// handed on, or the count it went to.
    fn read_back(len: usize, max: u64, as_file: bool) -> Result<Vec<u8>, &'static str> {
        let content: Vec<u8> = (0..len).map(|i| b"akid= \n"[i % 7]).collect();
        let opts = WalkOptions {
            max_file_size: max,
            ..WalkOptions::default()
        };
        let (stats, diags) = (Counts::default(), Diagnostics::new());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let reading = Reading {
            path: &path,
            opts: &opts,
            stats: &stats,
            diags: &diags,
            file: as_file.then_some(&file),
        };
        // A buffer left holding a longer earlier file.
        let mut buf = vec![b'#'; 100_000];
        let mut got = None;
        let visit = &mut |b: FileBlob<'_>| got = Some(b.bytes.to_vec());
        if as_file {
            read_from(&file, &reading, &mut buf, visit);
        } else {
            read_from(std::io::Cursor::new(&content), &reading, &mut buf, visit);
        }
        match got {
            Some(bytes) => {
                assert_eq!(bytes, content, "{len} bytes read whole");
                Ok(bytes)
            }
            None if Counts::get(&stats.too_large) == 1 => Err("too large"),
            None => Err("not read"),
        }
    }

    #[test]
    fn files_around_the_head_and_the_limit_are_read_whole_or_counted() {
        let head = text::HEAD;
        for as_file in [true, false] {
            for len in [0, 1, head - 1, head, head + 1, 3 * head, 70_000] {
                assert!(read_back(len, 1 << 20, as_file).is_ok(), "{len} {as_file}");
                assert!(
                    read_back(len, len as u64, as_file).is_ok(),
                    "{len} at the limit"
                );
                if len > 0 {
                    let over = read_back(len, len as u64 - 1, as_file);
                    assert_eq!(over, Err("too large"), "{len} {as_file}");
                }
            }
        }
    }

    #[test]
    fn loops_are_told_apart_by_type() {
        let looped = ignore::Error::Loop {
            ancestor: PathBuf::from("a"),
            child: PathBuf::from("a/b"),
        };
        let wrapped = ignore::Error::WithPath {
            path: PathBuf::from("a/b"),
            err: Box::new(looped),
        };
        let (severity, class, text) = walk_error(&wrapped);
        assert_eq!((severity, class), (Severity::Warning, Class::SYMLINK_LOOP));
        assert!(text.starts_with("skipped a symlink loop: "), "{text}");
        let io = ignore::Error::Io(std::io::Error::other("denied"));
        let (severity, class, text) = walk_error(&io);
        assert_eq!((severity, class), (Severity::Error, Class::UNREADABLE));
        assert!(text.starts_with("cannot read "), "{text}");
    }
}
