//! What to scan: files on disk, blobs in git history, staged changes. Sources
//! yield bytes with their [`Provenance`]; they know nothing about rules.

pub mod archive;
pub mod fs;
pub mod git;
pub mod strings;
pub mod text;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a source read and skipped, counted from many threads: files of a
/// walk or blobs of a git scan alike.
#[derive(Debug, Default)]
pub struct Counts {
    /// Files or blobs read and handed to the scanner.
    pub scanned: AtomicU64,
    /// Bytes handed to the scanner.
    pub bytes: AtomicU64,
    /// Skipped because they look binary.
    pub binary: AtomicU64,
    /// Skipped because they are over the size limit.
    pub too_large: AtomicU64,
    /// Could not be read (each one also a diagnostic).
    pub unreadable: AtomicU64,
    /// Git LFS pointers, whose content is elsewhere.
    pub lfs: AtomicU64,
}

impl Counts {
    /// Adds `n` to the counter `c`.
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value of the counter `c`.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// The most worker threads a walk or history scan starts, whatever it is
/// asked for: more only cost memory and thread-creation failures.
pub const MAX_THREADS: usize = 256;

/// The commit a blob or message was seen in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CommitMeta {
    /// Author time, Unix seconds (first so that sorting is chronological).
    pub time: i64,
    /// Full hex commit id.
    pub sha: String,
    /// Author name.
    pub author: String,
    /// Author e-mail.
    pub email: String,
    /// First line of the message.
    pub summary: String,
}

/// Where scanned content came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provenance {
    /// A file on disk, as given or found by the walker.
    File {
        /// The path as the user would type it (relative to where they pointed us).
        path: PathBuf,
    },
    /// A blob at `path` in a commit of a git repository: the commit that
    /// introduced that content at that path.
    Git {
        /// The commit.
        commit: CommitMeta,
        /// Path inside the commit's tree.
        path: String,
    },
    /// The message of a commit.
    CommitMessage {
        /// The commit.
        commit: CommitMeta,
    },
    /// The message of an annotated tag.
    TagMessage {
        /// The tag's name (`v1.0`).
        tag: String,
        /// The tag object as a commit is shown: its id, tagger, time and
        /// first message line.
        commit: CommitMeta,
    },
    /// The staged (index) version of a file, for pre-commit scans.
    Staged {
        /// Path inside the repository.
        path: String,
    },
    /// Standard input.
    Stdin,
}

impl Provenance {
    /// The path to show for this provenance (a pseudo-path for messages and stdin).
    pub fn path(&self) -> String {
        match self {
            Provenance::File { path } => path.display().to_string(),
            Provenance::Git { path, .. } | Provenance::Staged { path } => path.clone(),
            Provenance::CommitMessage { commit } => {
                format!("<commit {} message>", short(&commit.sha))
            }
            Provenance::TagMessage { tag, .. } => format!("<tag {tag} message>"),
            Provenance::Stdin => "<stdin>".to_string(),
        }
    }

    /// The commit, for git provenances.
    pub fn commit(&self) -> Option<&CommitMeta> {
        match self {
            Provenance::Git { commit, .. }
            | Provenance::CommitMessage { commit }
            | Provenance::TagMessage { commit, .. } => Some(commit),
            _ => None,
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.commit() {
            Some(c) => write!(f, "{}@{}", self.path(), short(&c.sha)),
            None => f.write_str(&self.path()),
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
