//! gitleaks' JSON report shape (`--report-format json` under gitleaks'
//! commands, or `--format gitleaks-json`): an array of one object per
//! occurrence with gitleaks' field names, so `jq` recipes written for
//! gitleaks keep working.
//!
//! `RuleID` is the keyhound rule id (`tencent.secret-id`), or a converted
//! gitleaks rule's own id (`acme-token` for `gitleaks.acme-token`).
//! Columns count characters (gitleaks counts bytes), `EndColumn` is the last
//! character's. `Match` is the secret's own span: keyhound keeps no wider
//! match. `Fingerprint` is gitleaks' `[commit:]file:rule:line`, which
//! `.gitleaksignore` takes back. `Secret` and `Match` read `REDACTED` unless
//! secrets are shown (`--show-secrets`) or `--redact=N` asks for gitleaks'
//! partial masking (the first 100-N % of the secret, then `...`).

use super::{Report, WriteOptions};
use crate::finding::{Finding, Match};
use serde::Serialize;
use std::io::Write;

/// One gitleaks finding, fields in gitleaks' order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Leak {
    #[serde(rename = "RuleID")]
    rule_id: String,
    description: String,
    start_line: u32,
    end_line: u32,
    start_column: u32,
    end_column: u32,
    #[serde(rename = "Match")]
    matched: String,
    secret: String,
    file: String,
    symlink_file: String,
    commit: String,
    entropy: f32,
    author: String,
    email: String,
    date: String,
    message: String,
    tags: Vec<String>,
    fingerprint: String,
}

/// Writes `report` as gitleaks' JSON report.
pub fn write(report: &Report, opts: &WriteOptions, w: &mut dyn Write) -> std::io::Result<()> {
    let leaks: Vec<Leak> = report
        .findings
        .iter()
        .flat_map(|f| f.matches.iter().map(move |m| leak(report, opts, f, m)))
        .collect();
    serde_json::to_writer_pretty(&mut *w, &leaks)?;
    writeln!(w)
}

fn leak(report: &Report, opts: &WriteOptions, f: &Finding, m: &Match) -> Leak {
    let rule = report.rule(&f.rule);
    let rule_id = f
        .rule
        .strip_prefix(crate::rule::gitleaks::ID_PREFIX)
        .unwrap_or(&f.rule)
        .to_string();
    // A converted gitleaks rule keeps its one-line description; keyhound's
    // own rules' descriptions are paragraphs, their names are the line.
    let imported = rule_id != f.rule;
    let description = rule
        .map(|r| {
            if imported && !r.description.is_empty() {
                r.description.clone()
            } else {
                r.name.clone()
            }
        })
        .unwrap_or_else(|| f.rule.clone());
    let secret = shown(report, opts, f);
    let commit = m.provenance.commit();
    let file = m.path().trim_start_matches("./").to_string();
    let sha = commit.map(|c| c.sha.clone()).unwrap_or_default();
    let line = m.location.line;
    let fingerprint = if sha.is_empty() {
        format!("{file}:{rule_id}:{line}")
    } else {
        format!("{sha}:{file}:{rule_id}:{line}")
    };
    Leak {
        description,
        start_line: line,
        end_line: m.location.end_line,
        start_column: m.location.column,
        end_column: m
            .location
            .end_column
            .saturating_sub(1)
            .max(m.location.column),
        matched: secret.clone(),
        secret,
        file,
        symlink_file: String::new(),
        commit: sha,
        entropy: crate::engine::entropy::shannon(f.secret.expose().as_bytes()) as f32,
        author: commit.map(|c| c.author.clone()).unwrap_or_default(),
        email: commit.map(|c| c.email.clone()).unwrap_or_default(),
        date: commit
            .map(|c| super::json::rfc3339(c.time))
            .unwrap_or_default(),
        message: commit.map(|c| c.summary.clone()).unwrap_or_default(),
        tags: Vec::new(),
        fingerprint,
        rule_id,
    }
}

/// The secret as gitleaks' `--redact` would show it: `REDACTED`, or the
/// first (100 - N) % of its characters and `...` under `--redact=N`; in
/// full only when secrets are shown.
fn shown(report: &Report, opts: &WriteOptions, f: &Finding) -> String {
    let value = f.secret.expose();
    if opts.show_secrets || report.values_redacted {
        return value.to_string();
    }
    match opts.redact_percent {
        Some(p) if p < 100 => mask(value, p),
        _ => "REDACTED".to_string(),
    }
}

/// gitleaks' `MaskSecret`: the first (100 - percent) % of the characters
/// (rounded half to even), then `...`.
fn mask(value: &str, percent: u8) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = (chars.len() as f64 * f64::from(100 - percent.min(100)) / 100.0).round_ties_even();
    let mut out: String = chars[..(keep as usize).min(chars.len())].iter().collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masking_keeps_what_gitleaks_keeps() {
        assert_eq!(mask("abcdefghij", 50), "abcde...");
        assert_eq!(mask("abcdefghij", 75), "ab...");
        assert_eq!(mask("abcde", 50), "ab...");
        assert_eq!(mask("abcdefghij", 0), "abcdefghij...");
    }
}
