//! Files on disk: `ignore`'s parallel walker, hidden files included, `.git`
//! never entered, archives recognised, other binary and oversized files
//! skipped with a count, every unreadable entry a warning. Yields bytes;
//! knows nothing about rules.

use crate::diagnostic::Diagnostics;
use crate::source::archive::{self, Format};
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
        }
    }
}

/// Counts of what the walk did, for the summary line.
#[derive(Debug, Default)]
pub struct WalkStats {
    /// Files read and handed to the visitor.
    pub files: AtomicU64,
    /// Bytes handed to the visitor.
    pub bytes: AtomicU64,
    /// Files skipped because they look binary.
    pub binary: AtomicU64,
    /// Files skipped because they are over the size limit.
    pub too_large: AtomicU64,
    /// Entries that could not be read (each one also warned about).
    pub unreadable: AtomicU64,
}

/// A file's content as handed to a visitor.
pub struct FileBlob<'a> {
    /// The path, relative to what the user named.
    pub path: &'a Path,
    /// The content, UTF-16 transcoded to UTF-8 when it had a BOM.
    pub bytes: &'a [u8],
    /// The archive format, when the content is an archive to expand.
    pub archive: Option<Format>,
}

/// Walks `roots` in parallel. `make_visitor` runs once per worker thread and
/// returns the closure that receives that thread's files; every entry that
/// cannot be read is counted in `stats` and added to `diags` as a warning.
pub fn walk<F, V>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    stats: &WalkStats,
    diags: &Diagnostics,
    make_visitor: F,
) where
    F: Fn() -> V + Sync,
    V: FnMut(FileBlob<'_>) + Send,
{
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
                    stats.unreadable.fetch_add(1, Ordering::Relaxed);
                    diags.warn(walk_error(&err));
                }
            }
            WalkState::Continue
        })
    });
}

fn walk_error(err: &ignore::Error) -> String {
    if is_loop(err) {
        format!("skipped a symlink loop: {err}")
    } else {
        format!("cannot read {err}")
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
    stats: &WalkStats,
    diags: &Diagnostics,
    buf: &mut Vec<u8>,
    visit: &mut V,
) {
    let unreadable = |e: std::io::Error| {
        stats.unreadable.fetch_add(1, Ordering::Relaxed);
        diags.warn(format_args!("cannot read {}: {e}", path.display()));
    };
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return unreadable(e),
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > opts.max_file_size {
        stats.too_large.fetch_add(1, Ordering::Relaxed);
        return;
    }
    buf.clear();
    // Read at most one byte past the limit: the file may have grown.
    if let Err(e) = f.by_ref().take(opts.max_file_size + 1).read_to_end(buf) {
        return unreadable(e);
    }
    if buf.len() as u64 > opts.max_file_size {
        stats.too_large.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // Archives first: they are binary, but not to be skipped.
    let archive = match opts.archives {
        Some(_) => archive::detect(path.as_os_str().as_encoded_bytes(), buf),
        None => None,
    };
    let transcoded;
    let bytes: &[u8] = match utf16(buf) {
        _ if archive.is_some() => buf,
        Some(s) => {
            transcoded = s;
            transcoded.as_bytes()
        }
        None if is_binary(buf) => {
            stats.binary.fetch_add(1, Ordering::Relaxed);
            return;
        }
        None => buf,
    };
    stats.files.fetch_add(1, Ordering::Relaxed);
    stats.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    visit(FileBlob {
        path,
        bytes,
        archive,
    });
}

/// A NUL byte in the first 8 KiB marks a file as binary (git's own test).
pub fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    memchr::memchr(0, head).is_some()
}

/// Decodes UTF-16 text that starts with a byte-order mark.
pub fn utf16(bytes: &[u8]) -> Option<String> {
    let le = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect(),
    )
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

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let mut b = vec![0xFF, 0xFE];
        for u in "id=AKID".encode_utf16() {
            b.extend(u.to_le_bytes());
        }
        assert_eq!(utf16(&b).as_deref(), Some("id=AKID"));
        assert!(
            is_binary(&b),
            "raw UTF-16 has NULs, so it must be transcoded before the binary test"
        );
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
        assert!(walk_error(&wrapped).starts_with("skipped a symlink loop: "));
        let io = ignore::Error::Io(std::io::Error::other("denied"));
        assert!(walk_error(&io).starts_with("cannot read "));
    }
}
