//! The clone cache: remote repositories cloned bare under one directory on
//! the first run and fetched, not cloned again, on the next. The network is
//! reached through the `git` program (credentials, proxies and SSH as the
//! user's git is set up), never prompting.

use super::list::RepoEntry;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a repository could not be brought into the cache.
#[derive(Debug, thiserror::Error)]
pub enum CloneError {
    /// `git` could not be started.
    #[error("cannot run git to fetch {url}: {source}")]
    Spawn {
        /// The repository.
        url: String,
        /// Why.
        source: std::io::Error,
    },
    /// `git clone` or `git fetch` failed.
    #[error("git {action} {url} failed: {detail}")]
    Git {
        /// `clone` or `fetch`.
        action: &'static str,
        /// The repository.
        url: String,
        /// The last line git wrote on stderr.
        detail: String,
    },
    /// The cache directory cannot be created.
    #[error("cannot create clone directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
}

/// Whether a repository was cloned or refreshed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// Cloned for the first time.
    Cloned,
    /// Already cached: fetched.
    Updated,
}

/// The default cache: `$XDG_CACHE_HOME/keyhound/repos`, else
/// `~/.cache/keyhound/repos` (`%LOCALAPPDATA%` on Windows).
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("keyhound").join("repos")
}

/// Where `entry` is cached under `dir`: its name with every character
/// outside `[A-Za-z0-9._-]` replaced, plus a short hash of the name so two
/// names that sanitise alike stay apart.
pub fn cache_path(dir: &Path, entry: &RepoEntry) -> PathBuf {
    use sha2::Digest;
    let safe: String = entry
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    let tail: String = safe
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let h = hex::encode(&sha2::Sha256::digest(entry.name.as_bytes())[..4]);
    dir.join(format!("{tail}-{h}.git"))
}

/// Brings `entry` into the cache under `dir`: `git clone --bare` the first
/// time, `git fetch` of every branch and tag (pruning deleted ones) after.
pub fn sync(dir: &Path, entry: &RepoEntry) -> Result<(PathBuf, Fetched), CloneError> {
    std::fs::create_dir_all(dir).map_err(|e| CloneError::Dir(dir.to_path_buf(), e))?;
    let path = cache_path(dir, entry);
    if path.join("HEAD").is_file() {
        let mut cmd = git();
        cmd.arg("--git-dir")
            .arg(&path)
            .args(["fetch", "--quiet", "--prune", "--force", "--tags", "--"])
            .arg(&entry.url)
            .args(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
        run(cmd, "fetch", entry)?;
        return Ok((path, Fetched::Updated));
    }
    // Clone beside the final name and rename, so an interrupted clone is
    // never mistaken for a cached one.
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    let mut cmd = git();
    cmd.args(["clone", "--bare", "--quiet", "--"])
        .arg(&entry.url)
        .arg(&partial);
    if let Err(e) = run(cmd, "clone", entry) {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &path).map_err(|e| CloneError::Dir(path.clone(), e))?;
    Ok((path, Fetched::Cloned))
}

/// `git`, never prompting for credentials or host keys.
fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSH_COMMAND", ssh_batch())
        .stdin(std::process::Stdio::null());
    cmd
}

fn ssh_batch() -> String {
    let ssh = std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| "ssh".to_string());
    format!("{ssh} -o BatchMode=yes")
}

fn run(mut cmd: Command, action: &'static str, entry: &RepoEntry) -> Result<(), CloneError> {
    let out = cmd.output().map_err(|source| CloneError::Spawn {
        url: entry.url.clone(),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detail = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .chars()
        .take(300)
        .collect();
    Err(CloneError::Git {
        action,
        url: entry.url.clone(),
        detail,
    })
}
