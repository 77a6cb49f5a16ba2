//! The repository list of an organisation scan: reading `--repos` files,
//! naming each repository by its normalised URL, dropping repeats, and
//! keeping one shard of it by a stable hash of that name.

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// One repository to scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RepoEntry {
    /// The normalised name ([`normalise`]): what reports call it.
    pub name: String,
    /// The URL or path as listed.
    pub url: String,
}

impl RepoEntry {
    /// An entry for a URL or path as listed.
    pub fn new(url: &str) -> RepoEntry {
        let url = url.trim().to_string();
        RepoEntry {
            name: normalise(&url),
            url,
        }
    }

    /// The URL as listed, without credentials (`https://user:token@host/…`
    /// becomes `https://host/…`): what reports show.
    pub fn shown_url(&self) -> String {
        match self.url.split_once("://") {
            Some((scheme, rest)) if scheme.starts_with("http") => {
                let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
                let host = authority.rsplit('@').next().unwrap_or(authority);
                format!("{scheme}://{host}/{path}")
            }
            _ => self.url.clone(),
        }
    }

    /// Whether it is cloned (a URL or scp-like address) rather than read in place.
    pub fn is_remote(&self) -> bool {
        is_remote(&self.url)
    }
}

/// Whether `url` names a remote repository (cloned into the cache) rather
/// than a local path (read in place). `file://` URLs are remote: they are
/// cloned like any other, which is how tests exercise cloning.
pub fn is_remote(url: &str) -> bool {
    if url.contains("://") {
        return true;
    }
    // scp-like `user@host:path` (a Windows drive letter has no `@`).
    url.split_once(':')
        .is_some_and(|(head, _)| head.contains('@') && !head.contains('/'))
}

/// The name that identifies a repository whatever way it was written:
/// scheme, user and a trailing `.git` or `/` dropped, host lowercased, so
/// `https://GitHub.com/org/app.git`, `ssh://git@github.com/org/app` and
/// `git@github.com:org/app` are all `github.com/org/app`. `file://` URLs
/// and local paths keep their path (trailing `/` and `.git` dropped).
pub fn normalise(url: &str) -> String {
    let url = url.trim();
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if scheme.eq_ignore_ascii_case("file") {
            (String::new(), rest.to_string())
        } else {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            (host.to_ascii_lowercase(), path.to_string())
        }
    } else if is_remote(url) {
        let (head, path) = url.split_once(':').unwrap_or((url, ""));
        let host = head.rsplit('@').next().unwrap_or(head);
        (host.to_ascii_lowercase(), path.to_string())
    } else {
        (String::new(), url.to_string())
    };
    let mut path = path.trim_end_matches('/');
    path = path.strip_suffix(".git").unwrap_or(path);
    let path = path.trim_end_matches('/');
    if host.is_empty() {
        if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        }
    } else {
        format!("{host}/{}", path.trim_start_matches('/'))
    }
}

/// Whether `url` can be handed to `git` as one repository: a `scheme://`
/// URL of a scheme git clones (https, http, ssh, git, file) or an scp-like
/// `user@host:path`, on one line, without spaces, never starting with `-`
/// (which git would read as an option such as `--upload-pack=COMMAND`).
/// Forge listings and `--repos` files pass the same filter.
pub fn usable_url(url: &str) -> bool {
    if url.starts_with('-') || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    match url.split_once("://") {
        Some((scheme, rest)) => {
            ["https", "http", "ssh", "git", "file"].contains(&scheme) && !rest.is_empty()
        }
        None => url
            .split_once(':')
            .is_some_and(|(head, path)| is_remote(url) && !head.is_empty() && !path.is_empty()),
    }
}

/// A line of a repository list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number.
    pub line: usize,
    /// The entry as written.
    pub entry: String,
}

/// Reads a repository list: one URL or path per line; blank lines and
/// lines starting with `#` are skipped, as is anything after ` #`. Remote
/// entries that are not [`usable_url`]s, and local paths starting with
/// `-`, are left out and returned as rejected.
pub fn parse(text: &str) -> (Vec<RepoEntry>, Vec<Rejected>) {
    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.split_once(" #").map_or(l, |(head, _)| head).trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let remote = is_remote(l);
        if (remote && !usable_url(l)) || (!remote && l.starts_with('-')) {
            rejected.push(Rejected {
                line: i + 1,
                entry: l.to_string(),
            });
        } else {
            entries.push(RepoEntry::new(l));
        }
    }
    (entries, rejected)
}

/// One shard of a list: `INDEX/COUNT`, INDEX from 0 (as Kubernetes'
/// `JOB_COMPLETION_INDEX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u64,
    /// How many shards there are.
    pub count: u64,
}

/// Why a shard spec is not `INDEX/COUNT`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    /// Not two numbers around a slash.
    #[error("invalid shard {0:?}: expected INDEX/COUNT, INDEX from 0 (`--shard 0/4`)")]
    Syntax(String),
    /// INDEX out of range.
    #[error("invalid shard {0:?}: INDEX must be below COUNT, and COUNT at least 1")]
    Range(String),
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| ShardError::Syntax(s.to_string()))?;
        let num = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| ShardError::Syntax(s.to_string()))
        };
        let (index, count) = (num(i)?, num(n)?);
        if count == 0 || index >= count {
            return Err(ShardError::Range(s.to_string()));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard a repository of this normalised name belongs to: the first
    /// 8 bytes of SHA-256 of the name, big-endian, modulo COUNT. The same
    /// name lands in the same shard on every machine and in every list.
    pub fn of(name: &str, count: u64) -> u64 {
        let h = Sha256::digest(name.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        u64::from_be_bytes(b) % count.max(1)
    }

    /// Whether the repository named `name` is in this shard.
    pub fn contains(&self, name: &str) -> bool {
        Shard::of(name, self.count) == self.index
    }
}

/// The list to scan: repeats (same normalised name) dropped, the first
/// spelling kept, then only the entries of `shard`, sorted by name.
pub fn select(entries: Vec<RepoEntry>, shard: Option<Shard>) -> Vec<RepoEntry> {
    let mut seen = std::collections::BTreeMap::new();
    for e in entries {
        seen.entry(e.name.clone()).or_insert(e);
    }
    seen.into_values()
        .filter(|e| shard.is_none_or(|s| s.contains(&e.name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_repository_normalise_alike() {
        for u in [
            "https://GitHub.com/org/app.git",
            "https://github.com/org/app/",
            "ssh://git@github.com/org/app",
            "git@github.com:org/app.git",
            "https://token@github.com/org/app",
        ] {
            assert_eq!(normalise(u), "github.com/org/app", "{u}");
        }
        assert_eq!(normalise("file:///srv/git/app.git"), "/srv/git/app");
        let e = RepoEntry::new("https://x:ghp_tok@github.com/org/app");
        assert_eq!(e.shown_url(), "https://github.com/org/app");
        assert_eq!(normalise("./repos/app/"), "./repos/app");
        assert!(is_remote("git@host:o/r") && is_remote("file:///x"));
        assert!(!is_remote("/srv/app") && !is_remote("C:\\src\\app"));
    }

    #[test]
    fn lists_skip_comments_and_repeats() {
        let (l, rejected) =
            parse("# org\nhttps://h/o/a\n\n  /srv/b  # local\nhttps://h/o/a.git\n#x\n");
        assert!(rejected.is_empty());
        assert_eq!(l.len(), 3);
        let s = select(l, None);
        let names: Vec<_> = s.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["/srv/b", "h/o/a"]);
        assert_eq!(s[1].url, "https://h/o/a");
    }

    #[test]
    fn list_entries_that_git_would_read_as_options_are_rejected() {
        let text = "--upload-pack=touch /tmp/x;https://h/o/a\n\
                    https://h/o/ok\n\
                    -oProxyCommand=x@h:p\n\
                    git@h:o/b\n\
                    x@h:a b\n\
                    -local\n";
        let (ok, rejected) = parse(text);
        let urls: Vec<_> = ok.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(urls, ["https://h/o/ok", "git@h:o/b"]);
        let lines: Vec<_> = rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3, 5, 6]);
        for bad in ["", "https://", "https://h/a b", "ftp://h/x", "-x://h/y"] {
            assert!(!usable_url(bad), "{bad:?}");
        }
        assert!(usable_url("ssh://git@h/o/r") && usable_url("file:///srv/r"));
    }

    #[test]
    fn shards_partition_the_list() {
        let all: Vec<_> = (0..200)
            .map(|i| RepoEntry::new(&format!("https://h/o/r{i}")))
            .collect();
        let mut union = Vec::new();
        for index in 0..4 {
            let part = select(all.clone(), Some(Shard { index, count: 4 }));
            assert!(part.len() > 20, "shard {index} has {}", part.len());
            union.extend(part);
        }
        union.sort();
        assert_eq!(union, select(all, None));
        // Pinned (computed with Python's hashlib) so that a change of hash,
        // which would reshuffle every organisation's shards, is deliberate.
        assert_eq!(Shard::of("github.com/org/app", 1_000_003), 417_963);
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert!(matches!("3/3".parse::<Shard>(), Err(ShardError::Range(_))));
        assert!(matches!("a/3".parse::<Shard>(), Err(ShardError::Syntax(_))));
    }
}
