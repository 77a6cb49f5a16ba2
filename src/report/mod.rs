//! Writers over a finished [`Report`]: human text, JSON, JSON Lines, SARIF
//! 2.1.0. No scanning and no network here; secrets are redacted unless the
//! caller asked to show them.

mod human;
pub mod json;
pub mod sanitize;
mod sarif;

use crate::finding::{Finding, Secret};
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

/// `snippet` with every secret of `finding` in it replaced by its redacted
/// form (unless secrets are shown).
pub fn redact_snippet(snippet: &str, finding: &Finding, show_secrets: bool) -> String {
    let mut out = snippet.to_string();
    if show_secrets {
        return out;
    }
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
