//! What to scan: files on disk, blobs in git history, staged changes. Sources
//! yield bytes with their [`Provenance`]; they know nothing about rules.

pub mod archive;
pub mod fs;
pub mod git;

use std::fmt;
use std::path::PathBuf;

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
            Provenance::Stdin => "<stdin>".to_string(),
        }
    }

    /// The commit, for git provenances.
    pub fn commit(&self) -> Option<&CommitMeta> {
        match self {
            Provenance::Git { commit, .. } | Provenance::CommitMessage { commit } => Some(commit),
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
