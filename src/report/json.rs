//! The JSON and JSON Lines formats, and the owned document types that read
//! them back (`verify --from`, baselines).
//!
//! Wire format, version 1 (fields in this order, findings sorted, no
//! timestamps, same input ⇒ same bytes):
//!
//! ```text
//! {"version": 1, "tool": {"name", "version"}, "stats": {...}, "suppressed": N,
//!  "findings": [{"fingerprint", "rule", "name", "severity", "secret", "key",
//!                "token", "redacted", "in_head", "verification", "response"?,
//!                "locations": [{"kind", "path", "member"?, "line", "column",
//!                               "end_line", "end_column", "key_line",
//!                               "key_column", "commit", "snippet",
//!                               "decoded"?, "decrypted"?}]}]}
//! ```
//!
//! `decoded` (the decoding chain, outermost first) and `decrypted` appear
//! only for values found in encoded or encrypted text.
//!
//! Inside an archive, `path` is `outer.zip!inner/path` (nested archives
//! joined with `!`), `member` the part after the outer file's path, and
//! lines and columns count inside the member; `member` is absent otherwise.
//! `stats` adds `archives` and `archive_members` when archives were opened,
//! and `warnings` (instances per class: `{"archive-depth": 3}`) when the
//! scan skipped or could not read something.
//!
//! Scans of many repositories (and merged reports) add `"repositories"`
//! (one summary each, after `suppressed`) and a `"repo"` first in every
//! location.
//! `kind` is `file`, `git`, `commit_message`, `tag_message`, `staged` or `stdin`; `commit`
//! is `{"sha", "author", "email", "time", "date", "summary"}` or null.
//! Secrets are redacted unless `redacted` is false (`--show-secrets`).
//! Scanned text is valid UTF-8 here: invalid bytes were replaced by U+FFFD.
//! JSON Lines writes one finding object per line and nothing else.

use super::{Report, WriteOptions, redact_snippet};
use crate::finding::Finding;
use crate::finding::Verification;
use crate::rule::Severity;
use crate::scan::Stats;
use crate::source::{CommitMeta, Provenance};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The current version of the JSON report format.
pub const VERSION: u32 = 1;

/// A whole JSON report.
#[derive(Debug, Serialize, Deserialize)]
pub struct Document {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// Who wrote it.
    pub tool: Tool,
    /// What was scanned.
    #[serde(default)]
    pub stats: DocStats,
    /// Findings left out by allowlists, ignore entries or a baseline.
    #[serde(default)]
    pub suppressed: u64,
    /// One summary per repository, for scans of many and merged reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<super::RepoSummary>,
    /// The findings.
    pub findings: Vec<DocFinding>,
}

/// The writing tool.
#[derive(Debug, Serialize, Deserialize)]
pub struct Tool {
    /// `keyhound`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Scan counts, as in [`Stats`].
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DocStats {
    /// Files or blobs scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped as binary.
    pub skipped_binary: u64,
    /// Skipped as too large.
    pub skipped_too_large: u64,
    /// Could not be read.
    pub unreadable: u64,
    /// Archives opened, nested ones included.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub archives: u64,
    /// Archive members scanned.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub archive_members: u64,
    /// Warnings and errors of the scan, by class (`archive-depth`,
    /// `unreadable`, ...; see docs/limits.md), when there were any.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub warnings: std::collections::BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One finding.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocFinding {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Rule id.
    pub rule: String,
    /// Rule name.
    pub name: String,
    /// Rule severity.
    pub severity: Severity,
    /// The secret (identifier half of a pair), redacted unless `redacted` is false.
    pub secret: String,
    /// The paired key.
    pub key: Option<String>,
    /// The session token of a temporary credential.
    pub token: Option<String>,
    /// Whether the values above are redacted.
    pub redacted: bool,
    /// For git scans: still present at HEAD.
    pub in_head: Option<bool>,
    /// Live-check result.
    pub verification: Option<Verification>,
    /// What `keyhound respond` did about it (absent in other reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<crate::finding::response::Response>,
    /// Every place it was found.
    pub locations: Vec<DocLocation>,
}

/// One place a finding was found.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocLocation {
    /// The repository, in scans of many repositories and merged reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `file`, `git`, `commit_message`, `tag_message`, `staged` or `stdin`.
    pub kind: String,
    /// Path (relative as scanned), or a pseudo-path; `outer!member` inside
    /// an archive.
    pub path: String,
    /// The member path inside the archive at the start of `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// 1-based line of the secret.
    pub line: u32,
    /// 1-based column of the secret.
    pub column: u32,
    /// Line of the secret's last character.
    pub end_line: u32,
    /// Column just past the secret.
    pub end_column: u32,
    /// Line of the paired key.
    pub key_line: Option<u32>,
    /// Column of the paired key.
    pub key_column: Option<u32>,
    /// The commit, for git provenance.
    pub commit: Option<DocCommit>,
    /// The line holding the secret, redacted like the secret (for a decoded
    /// value, the decoded line).
    pub snippet: String,
    /// How the text holding the value was encoded, outermost first
    /// (`base64`, `json-escape`, `coscli-aes`…); absent for plain text. The
    /// location is then the encoded span's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoded: Vec<String>,
    /// Whether a step of `decoded` decrypted a tool's stored key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decrypted: bool,
    /// Whether the value was found among the printable strings of binary
    /// content; `line` and `column` then count those strings, one a line,
    /// and `offset` says where the value sits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    /// For a value in binary content: its byte offset there (inside the
    /// archive member, for one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A commit in a location.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocCommit {
    /// Full commit id.
    pub sha: String,
    /// Author name.
    pub author: String,
    /// Author e-mail.
    pub email: String,
    /// Author time, Unix seconds.
    pub time: i64,
    /// Author time, RFC 3339 UTC.
    pub date: String,
    /// First line of the message.
    pub summary: String,
}

impl DocCommit {
    fn new(c: &CommitMeta) -> DocCommit {
        DocCommit {
            sha: c.sha.clone(),
            author: c.author.clone(),
            email: c.email.clone(),
            time: c.time,
            date: rfc3339(c.time),
            summary: c.summary.clone(),
        }
    }
}

/// Formats Unix seconds as RFC 3339 UTC (`2024-01-02T03:04:05Z`).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

impl From<&Stats> for DocStats {
    fn from(s: &Stats) -> DocStats {
        DocStats {
            scanned: s.scanned,
            bytes: s.bytes,
            skipped_binary: s.skipped_binary,
            skipped_too_large: s.skipped_too_large,
            unreadable: s.unreadable,
            archives: s.archives,
            archive_members: s.archive_members,
            warnings: s.warnings.clone(),
        }
    }
}

fn kind(p: &Provenance) -> &'static str {
    match p {
        Provenance::File { .. } => "file",
        Provenance::Git { .. } => "git",
        Provenance::CommitMessage { .. } => "commit_message",
        Provenance::TagMessage { .. } => "tag_message",
        Provenance::Staged { .. } => "staged",
        Provenance::Stdin => "stdin",
    }
}

/// Builds the document form of one finding.
pub fn finding(report: &Report, f: &Finding, opts: &WriteOptions) -> DocFinding {
    DocFinding {
        fingerprint: f.fingerprint.to_string(),
        rule: f.rule.clone(),
        name: report.rule_name(&f.rule).to_string(),
        severity: report.severity(&f.rule),
        secret: opts.secret(&f.secret),
        key: f.key.as_ref().map(|k| opts.secret(k)),
        token: f.token.as_ref().map(|t| opts.secret(t)),
        redacted: !opts.show_secrets || report.values_redacted,
        in_head: f.in_head,
        verification: f.verification.clone(),
        response: f.response.clone(),
        locations: f
            .matches
            .iter()
            .map(|m| DocLocation {
                repo: m.repo.clone(),
                kind: kind(&m.provenance).to_string(),
                path: m.path(),
                member: m.member.clone(),
                line: m.location.line,
                column: m.location.column,
                end_line: m.location.end_line,
                end_column: m.location.end_column,
                key_line: m.key_location.map(|l| l.line),
                key_column: m.key_location.map(|l| l.column),
                commit: m.provenance.commit().map(DocCommit::new),
                snippet: redact_snippet(m, f, opts.show_secrets),
                decoded: m.decoded.iter().map(|e| e.name().to_string()).collect(),
                decrypted: m.decoded.iter().any(|e| e.is_decryption()),
                binary: m.binary.is_some(),
                offset: m.binary,
            })
            .collect(),
    }
}

/// Builds the document form of a report.
pub fn document(report: &Report, opts: &WriteOptions) -> Document {
    Document {
        version: VERSION,
        tool: Tool {
            name: "keyhound".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        stats: DocStats::from(&report.stats),
        suppressed: report.suppressed,
        repositories: report.repos.clone(),
        findings: report
            .findings
            .iter()
            .map(|f| finding(report, f, opts))
            .collect(),
    }
}

/// Writes the JSON document, pretty-printed, with a final newline.
pub fn write(report: &Report, opts: &WriteOptions, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &document(report, opts))?;
    writeln!(w)
}

/// Writes one compact JSON finding per line.
pub fn write_lines(report: &Report, opts: &WriteOptions, w: &mut dyn Write) -> std::io::Result<()> {
    for f in &report.findings {
        serde_json::to_writer(&mut *w, &finding(report, f, opts))?;
        writeln!(w)?;
    }
    Ok(())
}

/// Why a JSON report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not a keyhound report.
    #[error("not a keyhound JSON report: {0}")]
    Parse(#[from] serde_json::Error),
    /// A newer format.
    #[error("report format version {0} is newer than this keyhound understands ({VERSION})")]
    Version(u32),
}

/// Reads a JSON report back.
pub fn read(text: &str) -> Result<Document, ReadError> {
    let doc: Document = serde_json::from_str(text)?;
    if doc.version > VERSION {
        return Err(ReadError::Version(doc.version));
    }
    Ok(doc)
}
