//! Writers over a finished [`Report`]: human text, JSON, JSON Lines, SARIF
//! 2.1.0. No scanning and no network here; secrets are redacted unless the
//! caller asked to show them.

mod gitleaks;
mod human;
pub mod json;
pub mod sanitize;
mod sarif;

pub use sarif::{MAX_RESULTS, warnings as sarif_warnings};

use crate::finding::{Finding, Match, Secret};
use crate::rule::{Rule, Severity};
use crate::scan::Stats;

/// Where keyhound lives (Cargo.toml's `repository`): SARIF `informationUri`.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

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
    /// gitleaks' JSON report: an array of `RuleID`/`File`/`StartLine`/
    /// `Secret`/`Fingerprint` objects.
    GitleaksJson,
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

/// What kind of scan produced a report: names SARIF's default category, so
/// uploads of different scans of one commit do not replace each other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScanKind {
    /// Files and directories on disk.
    #[default]
    Files,
    /// Standard input.
    Stdin,
    /// Git history (all refs, or a branch).
    History,
    /// The commits of a range (`--range BASE..HEAD`): a pull request's, a
    /// push's; a category of its own, so uploading it does not close the
    /// full history scan's alerts.
    Range,
    /// Staged changes (`--staged`).
    Staged,
    /// The commits a push sends (`--pre-push`).
    PrePush,
}

impl ScanKind {
    /// The lowercase name used in SARIF categories.
    pub fn name(self) -> &'static str {
        match self {
            ScanKind::Files => "files",
            ScanKind::Stdin => "stdin",
            ScanKind::History => "history",
            ScanKind::Range => "range",
            ScanKind::Staged => "staged",
            ScanKind::PrePush => "pre-push",
        }
    }
}

/// Where a scan ran, for writing locations relative to the repository root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanContext {
    /// Absolute root that paths are written relative to (the repository's
    /// work tree, else the scanned directory); empty when unknown.
    pub root: std::path::PathBuf,
    /// Absolute working directory that relative file paths were given from.
    pub cwd: std::path::PathBuf,
    /// What was scanned.
    pub kind: ScanKind,
    /// SARIF `automationDetails.id` category (default: `keyhound/<kind>`).
    pub category: Option<String>,
    /// Errors reported during the run (the scan exits 2 when there are any).
    pub errors: Vec<String>,
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
    /// For scans of many repositories (and merged reports): one summary per
    /// repository, sorted by name. Empty for a single source.
    pub repos: Vec<RepoSummary>,
    /// The secrets held are already their redacted forms (a report merged
    /// from redacted JSON): writers print them as they are, and say so.
    pub values_redacted: bool,
    /// Where and how the scan ran.
    pub context: ScanContext,
    /// How long the scan took, for the human summary (no other format
    /// carries it: the same input gives the same bytes).
    pub duration: Option<std::time::Duration>,
}

/// One repository of a scan of many: where it came from, what was scanned
/// and found there, or why it could not be scanned.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RepoSummary {
    /// Normalised name: what locations' `repo` says (`github.com/org/app`).
    pub name: String,
    /// The URL or path as listed.
    pub url: String,
    /// The commit HEAD pointed at.
    pub revision: Option<String>,
    /// The branch HEAD was on.
    pub branch: Option<String>,
    /// Blobs scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped as binary.
    pub skipped_binary: u64,
    /// Skipped as over the size limit.
    pub skipped_too_large: u64,
    /// Could not be read.
    pub unreadable: u64,
    /// Archives opened.
    pub archives: u64,
    /// Members read inside archives.
    pub archive_members: u64,
    /// Findings with a location in this repository.
    pub findings: u64,
    /// Why the repository could not be cloned or read; nothing was scanned.
    pub error: Option<String>,
    /// What this scan covered, for a later `--since-report` scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered: Option<Coverage>,
    /// Given an earlier report: true when only what changed since it was
    /// read (its findings here carried over), false when the repository
    /// was read whole (a note says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<bool>,
}

/// What a repository's history scan covered: the commits its walk started
/// from, and a digest of everything else that decides what it found (the
/// rules, the selection, the size and archive limits, keyhound's version).
/// A later scan with the same digest reads only the commits made since.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Coverage {
    /// Commit ids, sorted.
    pub tips: Vec<String>,
    /// Hex digest of the scan's settings.
    pub scope: String,
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

    /// How a secret of this report is shown redacted.
    pub fn redacted(&self, s: &Secret) -> String {
        if self.values_redacted {
            s.expose().to_string()
        } else {
            s.redacted()
        }
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
    /// gitleaks' `--redact=N` below 100: gitleaks' JSON shows the first
    /// (100 - N) % of each secret (other formats redact it whole).
    pub redact_percent: Option<u8>,
}

/// Writes `report` in `format`.
pub fn write(
    report: &Report,
    format: Format,
    opts: &WriteOptions,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Already redacted values print as they are.
    let opts = &WriteOptions {
        show_secrets: opts.show_secrets || report.values_redacted,
        ..*opts
    };
    match format {
        Format::Human => human::write(report, opts, w),
        Format::Json => json::write(report, opts, w),
        Format::Jsonl => json::write_lines(report, opts, w),
        Format::Sarif => sarif::write(report, w),
        Format::GitleaksJson => gitleaks::write(report, opts, w),
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
    if show_secrets {
        return m.snippet.expose().to_string();
    }
    let mut out = m.snippet.masked();
    let secrets = [
        Some(&finding.secret),
        finding.key.as_ref(),
        finding.token.as_ref(),
    ];
    for s in secrets.into_iter().flatten() {
        if !s.expose().is_empty() {
            out = out.replace(s.expose(), &s.redacted());
        }
        // A snippet is one line: a secret spanning lines (a PEM body) shows
        // up in it line by line.
        for piece in s.expose().lines().map(str::trim).filter(|p| p.len() >= 8) {
            out = out.replace(piece, &crate::finding::redact(piece, s.kind()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Fingerprint, SecretKind};

    #[test]
    fn snippets_hide_each_line_of_a_multi_line_secret() {
        let body = "\nQUJDREVGR0hJSktMTU5PUFFSU1RV\nVldYWVphYmNkZWZnaGlqa2xt\n";
        let secret = Secret::new(body, SecretKind::Key);
        let f = Finding {
            fingerprint: Fingerprint::of("r", &secret, None),
            rule: "r".into(),
            secret,
            key: None,
            token: None,
            matches: Vec::new(),
            in_head: None,
            verification: None,
            response: None,
        };
        let at = |snippet: &str| Match {
            provenance: crate::source::Provenance::Stdin,
            member: None,
            repo: None,
            location: crate::finding::Location::default(),
            key_location: None,
            snippet: crate::finding::Snippet::new(snippet, Vec::new()),
            decoded: Vec::new(),
            line_hash: None,
            binary: None,
        };
        let shown = redact_snippet(&at("  VldYWVphYmNkZWZnaGlqa2xt"), &f, false);
        assert_eq!(shown, "  ****(24 chars)");
        assert_eq!(redact_snippet(&at("plain"), &f, false), "plain");
    }
}
