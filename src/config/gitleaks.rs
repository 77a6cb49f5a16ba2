//! gitleaks' noise files as keyhound reads them: `.gitleaksignore` entries
//! and gitleaks JSON reports given as `--baseline`.
//!
//! gitleaks names a finding by where it is: `commit:file:rule:line` in a git
//! scan, `file:rule:line` in a directory scan. keyhound's rule ids are not
//! gitleaks', so the rule part is not compared: a place covers every match
//! on that line of that file (in that commit, when one is named). A
//! report's `Secret`, unless redacted, also covers that secret wherever it
//! is; a 32-hex-digit keyhound fingerprint in `.gitleaksignore` covers its
//! finding, as in `.keyhoundignore`.

use super::ConfigError;
use crate::finding::{Finding, Fingerprint};
use std::collections::BTreeSet;

/// Name of gitleaks' ignore file, read at the repo root.
pub const IGNORE_FILE: &str = ".gitleaksignore";

/// What a gitleaks file keeps out of a report.
#[derive(Debug, Default)]
pub struct Places {
    /// The file, as named in messages.
    pub origin: String,
    places: BTreeSet<(Option<String>, String, u32)>,
    secrets: BTreeSet<String>,
    fingerprints: BTreeSet<Fingerprint>,
}

impl Places {
    /// Whether the match at `line` of `path` (in `commit`) is covered.
    pub fn covers(&self, commit: Option<&str>, path: &str, line: u32) -> bool {
        let key = |c: Option<&str>| (c.map(str::to_string), path.to_string(), line);
        self.places.contains(&key(None)) || (commit.is_some() && self.places.contains(&key(commit)))
    }

    /// Whether the whole finding is covered (by fingerprint or secret value).
    pub fn covers_finding(&self, f: &Finding) -> bool {
        self.fingerprints.contains(&f.fingerprint)
            || [Some(&f.secret), f.key.as_ref()]
                .into_iter()
                .flatten()
                .any(|s| self.secrets.contains(s.expose()))
    }

    /// How many entries were read.
    pub fn len(&self) -> usize {
        self.places.len() + self.secrets.len() + self.fingerprints.len()
    }

    /// Whether no entry was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn is_commit(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `[commit:]file:rule:line` split into its commit, file and line.
fn place(s: &str) -> Option<(Option<String>, String, u32)> {
    let (rest, line) = s.rsplit_once(':')?;
    let line: u32 = line.trim().parse().ok()?;
    let (rest, _rule) = rest.rsplit_once(':')?;
    match rest.split_once(':') {
        Some((c, file)) if is_commit(c) && !file.is_empty() => {
            Some((Some(c.to_ascii_lowercase()), file.to_string(), line))
        }
        _ if !rest.is_empty() => Some((None, rest.to_string(), line)),
        _ => None,
    }
}

/// Parses a `.gitleaksignore`: one entry per line, `#` comments. Bad lines
/// are left out and returned as one-line errors naming the file and line.
pub fn parse_ignore(text: &str, origin: &str) -> (Places, Vec<String>) {
    let mut out = Places {
        origin: origin.to_string(),
        ..Places::default()
    };
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(fp) = Fingerprint::from_hex(line) {
            out.fingerprints.insert(fp);
        } else if let Some(p) = place(line) {
            out.places.insert(p);
        } else {
            errors.push(format!(
                "{origin}:{}: not a gitleaks fingerprint (commit:file:rule:line or \
                 file:rule:line) nor a keyhound one: {:.80}",
                i + 1,
                line
            ));
        }
    }
    (out, errors)
}

/// Whether `doc` is a gitleaks JSON report (an array of findings with a
/// `RuleID`).
pub fn is_report(doc: &serde_json::Value) -> bool {
    doc.as_array()
        .is_some_and(|a| a.first().is_none_or(|f| f.get("RuleID").is_some()))
}

/// Reads a gitleaks JSON report: each finding's place (`Commit`, `File`,
/// `StartLine`) and, unless redacted, its `Secret`.
pub fn parse_report(doc: &serde_json::Value, origin: &str) -> Result<Places, ConfigError> {
    let mut out = Places {
        origin: origin.to_string(),
        ..Places::default()
    };
    for (i, f) in doc.as_array().into_iter().flatten().enumerate() {
        let text = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        let (file, line) = (text("File"), f.get("StartLine").and_then(|v| v.as_u64()));
        let Some(line) = line
            .and_then(|l| u32::try_from(l).ok())
            .filter(|_| !file.is_empty())
        else {
            return Err(ConfigError {
                message: format!(
                    "{origin}: gitleaks finding {} has no \"File\" and \"StartLine\"",
                    i + 1
                ),
            });
        };
        let commit = Some(text("Commit"))
            .filter(|c| is_commit(c))
            .map(str::to_ascii_lowercase);
        out.places
            .insert((commit, file.trim_start_matches("./").to_string(), line));
        let secret = text("Secret");
        if !secret.is_empty() && !secret.contains("REDACTED") {
            out.secrets.insert(secret.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_lines_name_places_and_fingerprints() {
        let c = "a".repeat(40);
        let text = format!(
            "# comment\n{c}:src/a:b.env:generic-api-key:3\nconf/x.env:aws:7\n\
             0123456789abcdef0123456789abcdef\nnonsense\n"
        );
        let (p, errors) = parse_ignore(&text, ".gitleaksignore");
        assert_eq!(p.len(), 3);
        assert!(p.covers(Some(&c), "src/a:b.env", 3));
        assert!(!p.covers(Some(&"b".repeat(40)), "src/a:b.env", 3));
        assert!(!p.covers(None, "src/a:b.env", 3));
        assert!(p.covers(Some(&c), "conf/x.env", 7));
        assert!(p.covers(None, "conf/x.env", 7));
        assert!(!p.covers(None, "conf/x.env", 8));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with(".gitleaksignore:5: "), "{errors:?}");
    }
}
