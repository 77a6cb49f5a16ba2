//! Noise control: the `.keyhound.toml` config, inline `keyhound:allow`, the
//! `.keyhoundignore` file and baselines, and gitleaks' ignore file and reports
//! ([`gitleaks`]).
//!
//! [`Noise`] holds everything that decides whether a finding is reported and
//! [`Noise::filter`] applies it to a finished list of findings, in this
//! order: inline markers, config allowlists, ignore entries, baseline. It
//! works on findings from any source (files, git history, staged changes),
//! so it needs no hook in the scanners.

pub mod allow;
pub mod baseline;
pub mod file;
pub mod gitleaks;
pub mod ignore;

pub use allow::AllowSet;
pub use baseline::{Baseline, BaselineEntry};
pub use file::Config;
pub use ignore::IgnoreFile;

use crate::diagnostic::Diagnostics;
use crate::finding::{Finding, Match};
use crate::source::Provenance;
use std::path::{Path, PathBuf};

/// Name of the config file looked for at the repo root.
pub const CONFIG_FILE: &str = ".keyhound.toml";
/// Name of the ignore file looked for at the repo root.
pub const IGNORE_FILE: &str = ".keyhoundignore";
/// gitleaks' config, read at the repo root when there is no [`CONFIG_FILE`].
pub const GITLEAKS_CONFIG: &str = ".gitleaks.toml";

/// A config, ignore or baseline file that cannot be used; the message names
/// the file (and line, column and key where known).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// One line: `file:line:column: key k: what is wrong`.
    pub message: String,
}

/// The directory config and ignore files are looked up in, and path globs
/// are measured from, for a scan whose first path is `first`: that path
/// when it is a directory (as gitleaks looks in its target), else the root
/// of the git work tree holding the file, else the file's directory.
pub fn find_root(first: &Path) -> Option<PathBuf> {
    let abs = absolute(first);
    if abs.is_dir() {
        return Some(abs);
    }
    let dir = abs.parent()?;
    let git_root = dir.ancestors().find(|d| d.join(".git").exists());
    Some(git_root.unwrap_or(dir).to_path_buf())
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// Reads a config file.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    load_config_within(path, MAX_CONFIG_FILE)
}

/// Reads a config file of at most `max` bytes.
pub fn load_config_within(path: &Path, max: u64) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    let text = read_within(path, "config", max)?;
    file::parse(&text, &origin)
}

/// Reads a config found in the scanned tree (at most `max` bytes), its
/// allowlists bounded by `budget` ([`file::parse_within`]).
pub fn load_tree_config(
    path: &Path,
    max: u64,
    budget: &mut crate::rule::bound::Budget,
) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    let text = read_within(path, "config", max)?;
    file::parse_within(&text, &origin, Some(budget))
}

/// Reads an ignore file; bad lines are left out and added to `diags` as
/// errors (exit 2).
pub fn load_ignore(path: &Path, diags: &Diagnostics) -> Result<IgnoreFile, ConfigError> {
    let origin = path.display().to_string();
    let text = read_within(path, "ignore file", MAX_CONFIG_FILE)?;
    let (file, errors) = ignore::parse(&text, &origin);
    for e in errors {
        diags.error(e);
    }
    Ok(file)
}

/// Baselines, reports and ignore files larger than this are refused.
pub const MAX_NOISE_FILE: u64 = crate::input::Kind::Baseline.cap();

/// Config and keyhound ignore files larger than this are refused.
pub const MAX_CONFIG_FILE: u64 = crate::input::Kind::Config.cap();

/// Reads at most [`MAX_NOISE_FILE`] bytes of `path`, a `what` file.
fn read_bounded(path: &Path, what: &str) -> Result<String, ConfigError> {
    read_within(path, what, MAX_NOISE_FILE)
}

/// Reads at most `max` bytes of `path`, a `what` file, through the one
/// bounded reader ([`crate::input`]): regular files only.
fn read_within(path: &Path, what: &str, max: u64) -> Result<String, ConfigError> {
    crate::input::read_text_within(path, max).map_err(|e| ConfigError {
        message: format!("cannot read {what} {}: {e}", path.display()),
    })
}

/// A baseline: keyhound's own, an earlier keyhound report, or a gitleaks
/// JSON report (matched by place and secret, see [`gitleaks`]).
pub enum AnyBaseline {
    /// Compared by fingerprint.
    Keyhound(Baseline),
    /// A gitleaks report.
    Gitleaks(gitleaks::Places),
}

/// Reads a baseline or earlier report.
pub fn load_baseline(path: &Path) -> Result<AnyBaseline, ConfigError> {
    let origin = path.display().to_string();
    let text = read_bounded(path, "baseline")?;
    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
        && gitleaks::is_report(&doc)
    {
        return gitleaks::parse_report(&doc, &origin).map(AnyBaseline::Gitleaks);
    }
    baseline::parse(&text, &origin).map(AnyBaseline::Keyhound)
}

/// Reads a `.gitleaksignore`; lines that are no entry are left out and
/// added to `diags` as warnings, as gitleaks skips them and scans on.
pub fn load_gitleaks_ignore(
    path: &Path,
    diags: &Diagnostics,
) -> Result<gitleaks::Places, ConfigError> {
    let text = read_bounded(path, "ignore file")?;
    let (places, skipped) = gitleaks::parse_ignore(&text, &path.display().to_string());
    for w in skipped {
        diags.warn(w);
    }
    Ok(places)
}

/// Everything that can keep a finding out of a report.
#[derive(Debug)]
pub struct Noise {
    /// Where paths are measured from (the repo root), absolute.
    pub root: Option<PathBuf>,
    /// Config allowlists.
    pub allow: AllowSet,
    /// Ignore entries.
    pub ignore: Option<IgnoreFile>,
    /// Earlier findings not to report again.
    pub baseline: Option<Baseline>,
    /// `.gitleaksignore` entries, and a gitleaks report given as baseline.
    pub gitleaks: Vec<gitleaks::Places>,
    /// A gitleaks config's allowlists (and those of gitleaks `--rules`
    /// files), over every rule in force.
    pub gitleaks_allow: gitleaks::Allowlists,
    /// The day expiry dates are compared with.
    pub today: time::Date,
}

impl Default for Noise {
    fn default() -> Noise {
        Noise {
            root: None,
            allow: AllowSet::default(),
            ignore: None,
            baseline: None,
            gitleaks: Vec::new(),
            gitleaks_allow: gitleaks::Allowlists::default(),
            today: time::OffsetDateTime::now_utc().date(),
        }
    }
}

impl Noise {
    /// The path of a match as config globs see it: `/`-separated, from the
    /// repo root when the file is under it.
    pub fn path_of(&self, prov: &Provenance) -> String {
        let p = match prov {
            Provenance::File { path } => match &self.root {
                Some(root) => {
                    let abs = absolute(path);
                    abs.strip_prefix(root)
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|_| path.clone())
                }
                None => path.clone(),
            },
            other => PathBuf::from(other.path()),
        };
        let s = p.to_string_lossy().replace('\\', "/");
        s.trim_start_matches("./").to_string()
    }

    /// Drops suppressed findings (and suppressed locations of kept ones),
    /// warns in `diags` about expired ignore entries, notes stale ones, and
    /// returns how many findings were dropped.
    pub fn filter(&self, findings: &mut Vec<Finding>, diags: &Diagnostics) -> u64 {
        let entries = self.ignore.as_ref().map_or(&[][..], |f| &f.entries[..]);
        let mut used = vec![false; entries.len()];
        let before = findings.len();
        findings.retain_mut(|f| {
            let secret = f.secret.expose();
            f.matches.retain(|m| {
                let path = self.path_of(&m.provenance);
                if inline_allowed(m) || self.allow.allows(&f.rule, secret, &path) {
                    return false;
                }
                let commit = m.provenance.commit().map(|c| c.sha.as_str());
                let candidate = gitleaks::Candidate {
                    rule: &f.rule,
                    secret,
                    path: &path,
                    commit,
                    line: m.snippet.expose(),
                };
                if self.gitleaks_allow.allows(&candidate) {
                    return false;
                }
                let line = m.location.line;
                if self.gitleaks.iter().any(|g| g.covers(commit, &path, line)) {
                    return false;
                }
                let mut keep = true;
                for (i, e) in entries.iter().enumerate() {
                    if e.fingerprint == f.fingerprint && e.covers_path(&path) {
                        used[i] = true;
                        keep &= e.expired(self.today);
                    }
                }
                keep
            });
            !f.matches.is_empty()
                && !self.gitleaks.iter().any(|g| g.covers_finding(f))
                && !self
                    .baseline
                    .as_ref()
                    .is_some_and(|b| b.fingerprints.contains(&f.fingerprint))
        });
        if let Some(file) = &self.ignore {
            self.report_entries(file, &used, diags);
        }
        // A finding may have lost its first location: back to the one order.
        crate::finding::sort(findings);
        (before - findings.len()) as u64
    }

    fn report_entries(&self, file: &IgnoreFile, used: &[bool], diags: &Diagnostics) {
        for (e, &used) in file.entries.iter().zip(used) {
            let owner = e
                .owner
                .as_ref()
                .map(|o| format!(" (owner {o})"))
                .unwrap_or_default();
            if let Some(day) = e.expires.filter(|_| e.expired(self.today)) {
                let now = if used {
                    "its finding is reported again"
                } else {
                    "it matches nothing in this scan either"
                };
                diags.warn(format_args!(
                    "{}:{}: ignore entry {} expired on {day}{owner}; {now}",
                    file.origin, e.line, e.fingerprint
                ));
            } else if !used {
                diags.note(format_args!(
                    "{}:{}: ignore entry {} matches no finding in this scan{owner}; remove it once the secret is gone",
                    file.origin, e.line, e.fingerprint
                ));
            }
        }
    }

    /// Baseline entries for `findings`: fingerprint, rule, first location.
    pub fn baseline_entries(&self, findings: &[Finding]) -> Vec<BaselineEntry> {
        findings
            .iter()
            .map(|f| {
                let m = &f.matches[0];
                BaselineEntry {
                    fingerprint: f.fingerprint.to_string(),
                    rule: f.rule.clone(),
                    path: self.path_of(&m.provenance),
                    line: m.location.line,
                    commit: m.provenance.commit().map(|c| c.sha.clone()),
                }
            })
            .collect()
    }
}

/// Whether an inline marker sits on the line of the match's secret, or on
/// the line of its paired key (read back from disk for plain files; other
/// sources and archive members only keep the secret's line).
fn inline_allowed(m: &Match) -> bool {
    if allow::inline_allowed(m.snippet.expose()) {
        return true;
    }
    match (&m.provenance, m.key_location) {
        (Provenance::File { path }, Some(k)) if k.line != m.location.line && m.member.is_none() => {
            crate::input::read(path, crate::input::Kind::Located).is_ok_and(|bytes| {
                bytes
                    .split(|&b| b == b'\n')
                    .nth((k.line as usize).saturating_sub(1))
                    .is_some_and(|l| allow::inline_allowed(&String::from_utf8_lossy(l)))
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{BlobHits, BlobMatch, Hit, Location, Secret, SecretKind, Snippet, group};
    use crate::source::CommitMeta;

    fn git_hit(secret: &str, sha: &str, path: &str, line: u32, snippet: &str) -> BlobHits {
        let commit = CommitMeta {
            sha: sha.to_string(),
            ..CommitMeta::default()
        };
        let provenance = Provenance::Git {
            commit,
            path: path.into(),
        };
        let hit = Hit {
            rule: "r".into(),
            secret: Secret::new(secret, SecretKind::Key),
            key: None,
            token: None,
            at: BlobMatch {
                member: None,
                location: Location {
                    line,
                    column: 1,
                    end_line: line,
                    end_column: 9,
                },
                key_location: None,
                snippet: Snippet::new(snippet, Vec::new()),
                line_hash: None,
                binary: None,
                decoded: Vec::new(),
            },
        };
        BlobHits::one(provenance, vec![hit])
    }

    #[test]
    fn marker_on_the_key_line_of_a_file_allows_the_pair() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.ini");
        std::fs::write(&path, "id = ID1\n\nkey = K1  # keyhound:allow\nkey = K2\n").unwrap();
        let at = |line| Location {
            line,
            column: 7,
            end_line: line,
            end_column: 10,
        };
        let m = |key_line| Match {
            provenance: Provenance::File { path: path.clone() },
            member: None,
            location: at(1),
            key_location: Some(at(key_line)),
            snippet: Snippet::new("id = ID1", Vec::new()),
            line_hash: None,
            binary: None,
            decoded: Vec::new(),
            repo: None,
        };
        assert!(inline_allowed(&m(3)));
        assert!(!inline_allowed(&m(4)));
        assert!(!inline_allowed(&m(1)));
    }

    #[test]
    fn filter_works_on_history_findings() {
        let findings = || {
            group(vec![
                git_hit("secret-a", "c1", "conf/a.env", 1, "A=secret-a"),
                git_hit("secret-a", "c2", "src/a.env", 4, "A=secret-a"),
                git_hit(
                    "secret-b",
                    "c1",
                    "conf/b.env",
                    2,
                    "B=secret-b # keyhound:allow",
                ),
                git_hit("secret-b", "c2", "conf/b.env", 3, "B=secret-b"),
            ])
        };
        let mut all = findings();
        let fp_a = all
            .iter()
            .find(|f| f.secret.expose() == "secret-a")
            .unwrap();
        let text = format!("{} path=conf/**\n", fp_a.fingerprint);
        let noise = Noise {
            ignore: Some(ignore::parse(&text, "ig").0),
            ..Noise::default()
        };
        assert_eq!(noise.filter(&mut all, &Diagnostics::new()), 0);
        let left: Vec<(String, String)> = all
            .iter()
            .flat_map(|f| f.matches.iter())
            .map(|m| {
                (
                    m.provenance.path(),
                    m.provenance.commit().unwrap().sha.clone(),
                )
            })
            .collect();
        assert_eq!(
            left,
            vec![
                ("conf/b.env".to_string(), "c2".to_string()),
                ("src/a.env".to_string(), "c2".to_string()),
            ],
            "re-sorted by the locations left"
        );
        let mut all = findings();
        let text = format!("{}\n", all[0].fingerprint);
        let noise = Noise {
            ignore: Some(ignore::parse(&text, "ig").0),
            ..Noise::default()
        };
        assert_eq!(noise.filter(&mut all, &Diagnostics::new()), 1);
        assert_eq!(all.len(), 1);
    }
}
