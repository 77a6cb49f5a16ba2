//! gitleaks' noise files as keyhound reads them: `.gitleaksignore` entries,
//! gitleaks JSON reports given as `--baseline`, and a gitleaks config's
//! allowlists ([`Allowlists`]), applied over every rule in force.
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
use crate::rule::gitleaks::{GitleaksAllow, RegexTarget};
use regex::Regex;
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

/// A gitleaks config's allowlists, compiled.
#[derive(Debug, Default)]
pub struct Allowlists {
    lists: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    description: String,
    targets: Vec<String>,
    and: bool,
    commits: Vec<String>,
    paths: Vec<Regex>,
    regex_target: RegexTarget,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
}

/// One match as a gitleaks allowlist sees it.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The keyhound rule id.
    pub rule: &'a str,
    /// The secret.
    pub secret: &'a str,
    /// The path from the scanned root, `/`-separated.
    pub path: &'a str,
    /// The commit, for history scans.
    pub commit: Option<&'a str>,
    /// The line holding the secret.
    pub line: &'a str,
}

impl Allowlists {
    /// Compiles `lists` (their regexes were checked when the config loaded).
    pub fn new(lists: &[GitleaksAllow]) -> Result<Allowlists, ConfigError> {
        let all = |res: &[String], what: &str, whose: &str| {
            res.iter()
                .map(|r| {
                    Regex::new(r).map_err(|e| ConfigError {
                        message: format!("{whose}: {what} {r:?}: {e}"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let lists = lists
            .iter()
            .map(|a| {
                Ok(Compiled {
                    description: a.description.clone(),
                    targets: a.targets.clone(),
                    and: a.and,
                    commits: a.commits.clone(),
                    paths: all(&a.paths, "path regex", &a.description)?,
                    regex_target: a.regex_target,
                    regexes: all(&a.regexes, "regex", &a.description)?,
                    stopwords: a.stopwords.clone(),
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Allowlists { lists })
    }

    /// Whether an allowlist that applies to `c.rule` allows `c`, as gitleaks
    /// decides: any check under OR, every check the allowlist has under AND.
    pub fn allows(&self, c: &Candidate) -> bool {
        let hit = self.lists.iter().find(|l| l.applies(c.rule) && l.allows(c));
        if let Some(l) = hit {
            tracing::debug!("{}: {} allowed by {}", c.path, c.rule, l.description);
        }
        hit.is_some()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

impl Compiled {
    fn applies(&self, rule: &str) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| t == rule)
    }

    fn allows(&self, c: &Candidate) -> bool {
        let commit = || {
            c.commit
                .is_some_and(|sha| self.commits.iter().any(|x| x.eq_ignore_ascii_case(sha)))
        };
        let path = || self.paths.iter().any(|r| r.is_match(c.path));
        let target = match self.regex_target {
            RegexTarget::Secret | RegexTarget::Match => c.secret,
            RegexTarget::Line => c.line,
        };
        let regex = || self.regexes.iter().any(|r| r.is_match(target));
        let stopword = || {
            let lower = c.secret.to_lowercase();
            self.stopwords.iter().any(|w| lower.contains(w.as_str()))
        };
        if self.and {
            (self.commits.is_empty() || commit())
                && (self.paths.is_empty() || path())
                && (self.regexes.is_empty() || regex())
                && (self.stopwords.is_empty() || stopword())
        } else {
            commit() || path() || regex() || stopword()
        }
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

/// Parses a `.gitleaksignore`: one entry per line, `#` comments. Lines
/// that are no entry are left out (gitleaks skips them too) and returned as
/// one-line warnings naming the file and line.
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

    #[test]
    fn allowlists_follow_gitleaks_conditions_and_targets() {
        let or = GitleaksAllow {
            description: "or".into(),
            targets: vec!["gitleaks.tok".into()],
            paths: vec!["^fixtures/".into()],
            regex_target: RegexTarget::Line,
            regexes: vec!["# fake".into()],
            ..GitleaksAllow::default()
        };
        let and = GitleaksAllow {
            description: "and".into(),
            and: true,
            commits: vec!["c0ffee".into()],
            stopwords: vec!["dummy".into()],
            ..GitleaksAllow::default()
        };
        let set = Allowlists::new(&[or, and]).unwrap();
        let c = Candidate {
            rule: "gitleaks.tok",
            secret: "s3cr3t",
            path: "src/a.env",
            commit: None,
            line: "TOK=s3cr3t",
        };
        assert!(!set.allows(&c));
        assert!(set.allows(&Candidate {
            path: "fixtures/a",
            ..c
        }));
        assert!(set.allows(&Candidate {
            line: "TOK=s3cr3t # fake",
            ..c
        }));
        assert!(!set.allows(&Candidate {
            rule: "tencent.secret-id",
            path: "fixtures/a",
            ..c
        }));
        let dummy = Candidate {
            rule: "tencent.secret-id",
            secret: "DUMMYkey",
            ..c
        };
        assert!(!set.allows(&dummy), "AND: the commit must match too");
        assert!(set.allows(&Candidate {
            commit: Some("C0FFEE"),
            ..dummy
        }));
        assert!(!set.allows(&Candidate {
            commit: Some("c0ffee"),
            ..c
        }));
    }
}
