//! Writers over a finished [`Report`]: human text, JSON, JSON Lines, SARIF
//! 2.1.0. No scanning and no network here; secrets are redacted unless the
//! caller asked to show them.

mod human;
pub mod json;
pub mod sanitize;
mod sarif;

use crate::finding::{Finding, Match, Secret, SecretKind, redact};
use crate::rule::{Rule, Severity};
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
    /// The rules in force, for names, severities and SARIF rule entries.
    pub rules: Vec<Rule>,
}

impl Report {
    /// The rule with this id, if it was in force.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rule's display name, or its id.
    pub fn rule_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.rule(id).map_or(id, |r| r.name.as_str())
    }

    /// The rule's severity (medium when unknown).
    pub fn severity(&self, id: &str) -> Severity {
        self.rule(id).map(|r| r.severity).unwrap_or_default()
    }
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
    match format {
        Format::Human => human::write(report, opts, w),
        Format::Json => json::write(report, opts, w),
        Format::Jsonl => json::write_lines(report, opts, w),
        Format::Sarif => sarif::write(report, w),
    }
}

impl WriteOptions {
    /// A secret as this output shows it: redacted unless asked otherwise.
    pub fn secret(&self, s: &Secret) -> String {
        if self.show_secrets {
            s.expose().to_string()
        } else {
            s.redacted()
        }
    }
}

/// The snippet of `m` with every secret detected in it masked (whole ones
/// redacted as their kind is, pieces cut by the snippet's edges fully), and
/// any further copy of `finding`'s own secrets too; unless secrets are shown.
pub fn redact_snippet(m: &Match, finding: &Finding, show_secrets: bool) -> String {
    let snippet = &m.snippet;
    if show_secrets {
        return snippet.clone();
    }
    let mut out = String::with_capacity(snippet.len());
    let mut pos = 0usize;
    for mask in &m.masks {
        let (s, e) = (mask.start as usize, mask.end as usize);
        let (Some(before), Some(piece)) = (snippet.get(pos..s), snippet.get(s..e)) else {
            // Offsets that do not fit the text: show none of it.
            return redact(snippet, SecretKind::Key);
        };
        out.push_str(before);
        if mask.whole {
            out.push_str(&redact(piece, mask.kind));
        } else {
            out.push_str(&redact(piece, SecretKind::Key));
        }
        pos = e;
    }
    out.push_str(snippet.get(pos..).unwrap_or_default());
    let secrets = [
        Some(&finding.secret),
        finding.key.as_ref(),
        finding.token.as_ref(),
    ];
    for s in secrets.into_iter().flatten() {
        if !s.expose().is_empty() {
            out = out.replace(s.expose(), &s.redacted());
        }
    }
    out
}
