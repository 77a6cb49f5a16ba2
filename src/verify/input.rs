//! Reading a keyhound JSON report back for `verify --from` and `disable
//! --from`, and recovering the secrets of a redacted report by rescanning
//! the files, git blobs and commit messages it lists (opening archives to
//! reach the member a location names) and matching fingerprints.

use crate::engine::Engine;
use crate::finding::{Fingerprint, Secret, SecretKind};
use crate::report::json::{self, Document};
use crate::scan::BlobScanner;
use crate::source::archive;
use std::path::{Path, PathBuf};

/// One finding of a report, as written.
#[derive(Clone, Debug)]
pub struct ReportFinding {
    /// Its position in the report's `findings` array.
    pub index: usize,
    /// The fingerprint.
    pub fingerprint: String,
    /// The rule id.
    pub rule: String,
    /// The secret as written (redacted or raw).
    pub secret: String,
    /// The key as written (redacted or raw).
    pub key: Option<String>,
    /// The token as written (redacted or raw).
    pub token: Option<String>,
    /// Whether the report redacted the values.
    pub redacted: bool,
    /// Every location.
    pub locations: Vec<ReportLocation>,
}

/// Where a finding was, as much as recovery needs.
#[derive(Clone, Debug)]
pub struct ReportLocation {
    /// `file`, `git`, `commit_message`, `staged` or `stdin`.
    pub kind: String,
    /// The path (for git: inside the commit's tree); for an archive member,
    /// the archive's.
    pub path: String,
    /// The member inside the archive at `path`, when there is one.
    pub member: Option<String>,
    /// The commit, for git locations.
    pub commit: Option<String>,
    /// The commit's author time (Unix seconds), for git locations.
    pub commit_time: Option<i64>,
}

/// The credential values of a finding, recovered.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The identifier (SecretId).
    pub secret: Secret,
    /// Its key.
    pub key: Option<Secret>,
    /// Its session token.
    pub token: Option<Secret>,
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file cannot be read.
    #[error("cannot read report {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Not a keyhound JSON report.
    #[error("{0} is not a keyhound JSON report: {1}")]
    Format(PathBuf, String),
}

/// Reads a JSON report: the document (to write back with verifications) and
/// its findings.
pub fn read_report(path: &Path) -> Result<(Document, Vec<ReportFinding>), ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::Io(path.to_path_buf(), e))?;
    let doc =
        json::read(&text).map_err(|e| ReportError::Format(path.to_path_buf(), e.to_string()))?;
    let findings = doc
        .findings
        .iter()
        .enumerate()
        .map(|(index, f)| ReportFinding {
            index,
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            secret: f.secret.clone(),
            key: f.key.clone(),
            token: f.token.clone(),
            redacted: f.redacted,
            locations: f
                .locations
                .iter()
                .map(|l| {
                    // `path` is `outer!member` inside an archive.
                    let outer = l.member.as_ref().and_then(|m| {
                        l.path
                            .strip_suffix(m.as_str())
                            .and_then(|p| p.strip_suffix('!'))
                    });
                    ReportLocation {
                        kind: l.kind.clone(),
                        path: outer.unwrap_or(&l.path).to_string(),
                        member: outer.and(l.member.clone()),
                        commit: l.commit.as_ref().map(|c| c.sha.clone()),
                        commit_time: l.commit.as_ref().map(|c| c.time),
                    }
                })
                .collect(),
        })
        .collect();
    Ok((doc, findings))
}

impl ReportFinding {
    /// When the leak began: the earliest commit among its locations.
    pub fn leaked_since(&self) -> crate::verify::tencent::LeakedSince {
        use crate::verify::tencent::LeakedSince;
        self.locations
            .iter()
            .filter_map(|l| l.commit_time)
            .min()
            .map_or(LeakedSince::Unknown, LeakedSince::Commit)
    }

    /// The values: taken from the report when it shows secrets, else found
    /// again by rescanning its locations (files relative to the current
    /// directory, git blobs and messages in `repo`) and matching the
    /// fingerprint.
    /// The error is one line saying why not.
    pub fn recover(
        &self,
        engine: &Engine,
        repo: Option<&git2::Repository>,
    ) -> Result<Recovered, String> {
        if !self.redacted {
            let r = Recovered {
                secret: Secret::new(self.secret.as_str(), SecretKind::Identifier),
                key: self.key.as_deref().map(|k| Secret::new(k, SecretKind::Key)),
                token: self
                    .token
                    .as_deref()
                    .map(|t| Secret::new(t, SecretKind::Key)),
            };
            let fp = Fingerprint::of(&self.rule, &r.secret, r.key.as_ref());
            return if fp.as_str() == self.fingerprint {
                Ok(r)
            } else {
                Err("the values in the report do not match its fingerprint".to_string())
            };
        }
        let mut tried = Vec::new();
        let mut scanner = BlobScanner::new(engine);
        for loc in &self.locations {
            let bytes = match content(loc, repo) {
                Some(Ok(found)) => found,
                Some(Err(why)) => {
                    tried.push(why);
                    continue;
                }
                None => continue,
            };
            let mut hits = Vec::new();
            match (&loc.member, archive::detect(loc.path.as_bytes(), &bytes)) {
                (Some(member), Some(format)) => {
                    let limits = archive::Limits::default();
                    scanner.scan_archive(format, &loc.path, &bytes, &limits, &mut hits);
                    hits.retain(|h| h.at.member.as_ref() == Some(member));
                }
                (Some(_), None) => {}
                (None, _) => hits.append(scanner.scan(&bytes, Some(&loc.path))),
            }
            for h in hits {
                if h.rule == self.rule
                    && Fingerprint::of(&h.rule, &h.secret, h.key.as_ref()).as_str()
                        == self.fingerprint
                {
                    return Ok(Recovered {
                        secret: h.secret,
                        key: h.key,
                        token: h.token,
                    });
                }
            }
            tried.push(format!("{} no longer holds it", where_(loc)));
        }
        if tried.is_empty() {
            Err(
                "redacted report and no location to rescan (stdin or staged only): \
                 write the report with --show-secrets"
                    .to_string(),
            )
        } else {
            Err(format!(
                "redacted report and the secret was not found again: {}",
                tried.join("; ")
            ))
        }
    }
}

fn where_(loc: &ReportLocation) -> String {
    let path = match &loc.member {
        Some(m) => format!("{}!{m}", loc.path),
        None => loc.path.clone(),
    };
    match &loc.commit {
        Some(c) if loc.kind == "commit_message" => format!("the message of commit {c}"),
        Some(c) => format!("{path} at commit {c}"),
        None => path,
    }
}

/// The bytes at a location: a file on disk, a blob or a commit message of
/// `repo`. `None` for kinds that cannot be read again (stdin, staged).
fn content(
    loc: &ReportLocation,
    repo: Option<&git2::Repository>,
) -> Option<Result<Vec<u8>, String>> {
    match (loc.kind.as_str(), &loc.commit) {
        ("file", _) => Some(std::fs::read(&loc.path).map_err(|e| format!("{}: {e}", loc.path))),
        ("git" | "commit_message", Some(sha)) => {
            let Some(repo) = repo else {
                return Some(Err(format!(
                    "{}: not inside a git repository (use --repo DIR)",
                    where_(loc)
                )));
            };
            Some(git_content(repo, sha, loc).map_err(|e| format!("{}: {e}", where_(loc))))
        }
        _ => None,
    }
}

fn git_content(
    repo: &git2::Repository,
    sha: &str,
    loc: &ReportLocation,
) -> Result<Vec<u8>, String> {
    let oid = git2::Oid::from_str(sha).map_err(|e| e.message().to_string())?;
    let commit = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    if loc.kind == "commit_message" {
        return Ok(commit.message_bytes().to_vec());
    }
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    let entry = tree
        .get_path(std::path::Path::new(&loc.path))
        .map_err(|e| e.message().to_string())?;
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| e.message().to_string())?;
    Ok(blob.content().to_vec())
}
