//! Reading a keyhound JSON report back for `verify --from` and `disable
//! --from`, and recovering the secrets of a redacted report by rescanning
//! the files, git blobs and commit messages it lists (opening archives to
//! reach the member a location names) and matching fingerprints.

use crate::engine::Engine;
use crate::finding::{Fingerprint, Secret, SecretKind};
use crate::report::json::{self, DocFinding, DocLocation, Document};
use crate::scan::BlobScanner;
use crate::source::archive;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a report's locations are read from: the repository each location
/// of a merged organisation report names (the path it was listed as, or
/// its clone in keyhound's clone cache), else the one `--repo`.
pub struct Sources<'a> {
    single: Option<&'a git2::Repository>,
    by_name: HashMap<String, Result<git2::Repository, String>>,
}

impl<'a> Sources<'a> {
    /// Only `--repo` (or the repository around the current directory).
    pub fn single(repo: Option<&'a git2::Repository>) -> Sources<'a> {
        Sources {
            single: repo,
            by_name: HashMap::new(),
        }
    }

    /// The repositories of report `doc` (opened from `cache`, keyhound's
    /// clone cache, for remote ones), with `repo` for locations naming
    /// none.
    pub fn of(doc: &Document, repo: Option<&'a git2::Repository>, cache: &Path) -> Sources<'a> {
        let mut by_name = HashMap::new();
        for r in &doc.repositories {
            let entry = crate::org::list::RepoEntry {
                name: r.name.clone(),
                url: r.url.clone(),
            };
            let dir = if entry.is_remote() {
                crate::org::clone::cache_path(cache, &entry)
            } else {
                PathBuf::from(&r.url)
            };
            let opened = git2::Repository::open(&dir).map_err(|e| {
                format!(
                    "repository {} is not at {} ({}): scan it again, or verify with --repo DIR",
                    r.name,
                    dir.display(),
                    e.message()
                )
            });
            by_name.insert(r.name.clone(), opened);
        }
        Sources {
            single: repo,
            by_name,
        }
    }

    /// The repository of `loc`.
    fn repo(&self, loc: &DocLocation) -> Result<Option<&git2::Repository>, String> {
        match loc.repo.as_ref().and_then(|n| self.by_name.get(n)) {
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(why)) => Err(why.clone()),
            None => Ok(self.single),
        }
    }
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

/// Reads a JSON report: its findings, and the document to write back
/// with verifications.
pub fn read_report(path: &Path) -> Result<Document, ReportError> {
    let text = crate::input::read_text(path, crate::input::Kind::Report)
        .map_err(|e| ReportError::Io(path.to_path_buf(), e))?;
    json::read(&text).map_err(|e| ReportError::Format(path.to_path_buf(), e.to_string()))
}

/// When the leak of a report's finding began: the earliest commit among
/// its locations.
pub fn leaked_since(f: &DocFinding) -> crate::verify::tencent::LeakedSince {
    use crate::verify::tencent::LeakedSince;
    f.locations
        .iter()
        .filter_map(|l| l.commit.as_ref().map(|c| c.time))
        .min()
        .map_or(LeakedSince::Unknown, LeakedSince::Commit)
}

/// A location's file and, inside an archive, the member: `path` is
/// `outer!member` then.
fn split_member(l: &DocLocation) -> (&str, Option<&str>) {
    let outer = l.member.as_ref().and_then(|m| {
        l.path
            .strip_suffix(m.as_str())
            .and_then(|p| p.strip_suffix('!'))
    });
    match outer {
        Some(o) => (o, l.member.as_deref()),
        None => (&l.path, None),
    }
}

/// The values of a report's finding: taken from the report when it shows
/// secrets, else found again by rescanning its locations (files relative to
/// the current directory, git blobs and messages in `repo`) and matching
/// the fingerprint.
/// The error is one line saying why not.
pub fn recover(
    f: &DocFinding,
    engine: &Engine,
    sources: &Sources<'_>,
) -> Result<Recovered, String> {
    if !f.redacted {
        let r = Recovered {
            secret: Secret::new(f.secret.as_str(), SecretKind::Identifier),
            key: f.key.as_deref().map(|k| Secret::new(k, SecretKind::Key)),
            token: f.token.as_deref().map(|t| Secret::new(t, SecretKind::Key)),
        };
        let fp = Fingerprint::of(&f.rule, &r.secret, r.key.as_ref());
        return if fp.as_str() == f.fingerprint {
            Ok(r)
        } else {
            Err("the values in the report do not match its fingerprint".to_string())
        };
    }
    let mut tried = Vec::new();
    let mut scanner = BlobScanner::new(engine);
    for loc in &f.locations {
        let bytes = match content(loc, sources) {
            Some(Ok(found)) => found,
            Some(Err(why)) => {
                tried.push(why);
                continue;
            }
            None => continue,
        };
        let (path, member) = split_member(loc);
        let mut hits = Vec::new();
        match (member, archive::detect(path.as_bytes(), &bytes)) {
            (Some(member), Some(format)) => {
                let limits = archive::Limits::default();
                scanner.scan_archive(format, path, &bytes, &limits, None, &mut hits);
                hits.retain(|h| h.at.member.as_deref() == Some(member));
            }
            (Some(_), None) => {}
            (None, _) => hits.append(scanner.scan(&bytes, Some(path))),
        }
        for h in hits {
            if h.rule == f.rule
                && Fingerprint::of(&h.rule, &h.secret, h.key.as_ref()).as_str() == f.fingerprint
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

fn where_(loc: &DocLocation) -> String {
    match &loc.commit {
        Some(c) if loc.kind == "commit_message" => format!("the message of commit {}", c.sha),
        Some(c) => format!("{} at commit {}", loc.path, c.sha),
        None => loc.path.clone(),
    }
}

/// The bytes at a location: a file on disk (the archive holding the
/// member), a blob or a commit message of `repo`. `None` for kinds that
/// cannot be read again (stdin, staged).
fn content(loc: &DocLocation, sources: &Sources<'_>) -> Option<Result<Vec<u8>, String>> {
    let (path, _) = split_member(loc);
    let repo = match sources.repo(loc) {
        Ok(r) => r,
        Err(why) => return Some(Err(why)),
    };
    match (loc.kind.as_str(), &loc.commit) {
        // A file of a repository scanned among many: under its work tree.
        ("file", _) => {
            let full = match (loc.repo.as_ref(), repo.and_then(|r| r.workdir())) {
                (Some(_), Some(w)) => w.join(path),
                _ => PathBuf::from(path),
            };
            Some(
                crate::input::read(&full, crate::input::Kind::Located)
                    .map_err(|e| format!("{}: {e}", full.display())),
            )
        }
        ("git" | "commit_message" | "tag_message", Some(c)) => {
            let Some(repo) = repo else {
                return Some(Err(format!(
                    "{}: not inside a git repository (use --repo DIR)",
                    where_(loc)
                )));
            };
            Some(
                git_content(repo, &c.sha, &loc.kind, path)
                    .map_err(|e| format!("{}: {e}", where_(loc))),
            )
        }
        _ => None,
    }
}

fn git_content(
    repo: &git2::Repository,
    sha: &str,
    kind: &str,
    path: &str,
) -> Result<Vec<u8>, String> {
    let oid = git2::Oid::from_str(sha).map_err(|e| e.message().to_string())?;
    if kind == "tag_message" {
        // The location's commit is the annotated tag itself.
        let tag = repo.find_tag(oid).map_err(|e| e.message().to_string())?;
        return Ok(tag.message_bytes().unwrap_or_default().to_vec());
    }
    let commit = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    if kind == "commit_message" {
        return Ok(commit.message_bytes().to_vec());
    }
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    let entry = tree
        .get_path(std::path::Path::new(path))
        .map_err(|e| e.message().to_string())?;
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| e.message().to_string())?;
    Ok(blob.content().to_vec())
}
