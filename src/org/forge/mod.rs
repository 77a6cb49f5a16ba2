//! The repositories of a GitHub organisation or a GitLab group, listed
//! through the forge's REST API: every page, rate limits waited out, forks
//! and archived repositories left out unless asked for. The one place of
//! `org` besides `clone` that reaches the network; answers are read under a
//! bound and the token goes only to the API's own origin.

mod github;
mod gitlab;
mod http;

use crate::diagnostic::Diagnostics;
use crate::finding::Secret;
use serde::Serialize;
use std::time::Duration;

/// The most pages read for one listing (100 repositories each).
pub const MAX_PAGES: usize = 10_000;

/// Which forge's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Forge {
    /// GitHub or GitHub Enterprise Server: `GET /orgs/{org}/repos`.
    GitHub,
    /// GitLab: `GET /api/v4/groups/{group}/projects`, subgroups included.
    GitLab,
}

impl Forge {
    /// The API base used without `--api-url`.
    pub fn default_api(self) -> &'static str {
        match self {
            Forge::GitHub => "https://api.github.com",
            Forge::GitLab => "https://gitlab.com",
        }
    }

    /// The environment variable its token is read from.
    pub fn token_env(self) -> &'static str {
        match self {
            Forge::GitHub => "GITHUB_TOKEN",
            Forge::GitLab => "GITLAB_TOKEN",
        }
    }
}

/// What to list.
#[derive(Debug)]
pub struct ListRequest {
    /// The forge.
    pub forge: Forge,
    /// The organisation (GitHub) or group path (GitLab, `parent/child`).
    pub owner: String,
    /// The API base; [`Forge::default_api`] when `None`.
    pub api_url: Option<String>,
    /// The token, if any (without one, public repositories only).
    pub token: Option<Secret>,
    /// Keep forks.
    pub include_forks: bool,
    /// Keep archived repositories.
    pub include_archived: bool,
    /// The longest wait for a rate limit to reset.
    pub max_wait: Duration,
}

/// One listed repository.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForgeRepo {
    /// The clone URL (what `scan --repos` reads).
    pub url: String,
    /// `owner/name` (GitHub `full_name`, GitLab `path_with_namespace`).
    pub name: String,
    /// A fork of another repository.
    pub fork: bool,
    /// Archived (read-only).
    pub archived: bool,
}

/// A finished listing.
#[derive(Debug, Default)]
pub struct Listing {
    /// The repositories kept, sorted by URL, each once.
    pub repos: Vec<ForgeRepo>,
    /// Forks left out.
    pub skipped_forks: usize,
    /// Archived repositories left out (forks that are archived count as forks).
    pub skipped_archived: usize,
}

/// Why a listing failed. Messages name the URL asked, never the token.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// `--api-url` is unusable.
    #[error("invalid api url {0}: {1}")]
    ApiUrl(String, &'static str),
    /// The token cannot be sent as a header.
    #[error("the token for the {0} header holds characters a header cannot carry")]
    Token(&'static str),
    /// The owner name cannot be part of the URL.
    #[error("invalid {what} {name:?}: {reason}")]
    Owner {
        /// "github organisation" or "gitlab group".
        what: &'static str,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No answer.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The URL asked.
        url: String,
        /// The transport's error.
        reason: String,
    },
    /// An answer other than success.
    #[error("{url} answered HTTP {status}{}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Status {
        /// The URL asked.
        url: String,
        /// The status code.
        status: u16,
        /// The forge's message, shortened.
        detail: String,
    },
    /// An answer that is not the documented list.
    #[error("malformed answer from {url}: {reason}")]
    Malformed {
        /// The URL asked.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// An answer over the bound.
    #[error("answer from {url} is larger than {max} bytes")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The bound.
        max: u64,
    },
    /// The rate limit resets later than `--max-wait`.
    #[error("rate limited by {url}: the limit resets in {wait}s, later than --max-wait {max}s")]
    RateLimited {
        /// The URL asked.
        url: String,
        /// Seconds until the reset.
        wait: u64,
        /// The allowed wait.
        max: u64,
    },
    /// Still limited after several waits.
    #[error("rate limited by {url} again after {waits} waits; giving up")]
    StillLimited {
        /// The URL asked.
        url: String,
        /// Waits made.
        waits: u32,
    },
    /// A next page on another origin (the token is not sent there).
    #[error("next page {0} is not on the api's host; not followed")]
    ForeignPage(String),
    /// A next page seen before, or more than [`MAX_PAGES`] pages.
    #[error("paging of {url} does not end: {reason}")]
    Paging {
        /// The URL asked.
        url: String,
        /// A repeated page, or too many.
        reason: String,
    },
}

/// Lists `req`'s repositories. A repository with an unusable entry (no
/// clone URL, or one with spaces or control characters) is an error in
/// `diags` and the listing goes on.
pub fn list(req: &ListRequest, diags: &Diagnostics) -> Result<Listing, ForgeError> {
    let api = req.api_url.as_deref().unwrap_or(req.forge.default_api());
    let found = match req.forge {
        Forge::GitHub => github::list(api, req, diags)?,
        Forge::GitLab => gitlab::list(api, req, diags)?,
    };
    let mut listing = Listing::default();
    for repo in found {
        if repo.fork && !req.include_forks {
            listing.skipped_forks += 1;
        } else if repo.archived && !req.include_archived {
            listing.skipped_archived += 1;
        } else {
            listing.repos.push(repo);
        }
    }
    listing.repos.sort();
    listing.repos.dedup_by(|a, b| a.url == b.url);
    Ok(listing)
}

/// Every page from `first` on, each handed to `page` as (URL, body).
fn pages(
    client: &http::Client,
    first: reqwest::Url,
    diags: &Diagnostics,
    mut page: impl FnMut(&str, &[u8]) -> Result<(), ForgeError>,
) -> Result<(), ForgeError> {
    let mut seen = std::collections::HashSet::new();
    let mut next = Some(first.clone());
    while let Some(url) = next.take() {
        if !seen.insert(url.to_string()) {
            return Err(ForgeError::Paging {
                url: first.to_string(),
                reason: format!("{url} was already read"),
            });
        }
        if seen.len() > MAX_PAGES {
            return Err(ForgeError::Paging {
                url: first.to_string(),
                reason: format!("more than {MAX_PAGES} pages"),
            });
        }
        let answer = client.get(&url, diags)?;
        page(url.as_str(), &answer.body)?;
        next = answer.next;
    }
    Ok(())
}

/// The items of one page: a JSON array.
fn items(url: &str, body: &[u8]) -> Result<Vec<serde_json::Value>, ForgeError> {
    let malformed = |reason: String| ForgeError::Malformed {
        url: url.to_string(),
        reason,
    };
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Array(items)) => Ok(items),
        Ok(_) => Err(malformed("expected a JSON array of repositories".into())),
        Err(e) => Err(malformed(format!("not JSON: {e}"))),
    }
}

/// Whether `url` can go into a repository list as one clone URL: a
/// `scheme://` URL that passes the repository list's own filter.
fn usable_clone_url(url: &str) -> bool {
    url.contains("://") && crate::org::list::usable_url(url)
}

/// Adds a listed repository, or an error naming it when its clone URL is
/// unusable.
fn push(out: &mut Vec<ForgeRepo>, page_url: &str, repo: ForgeRepo, diags: &Diagnostics) {
    if usable_clone_url(&repo.url) {
        out.push(repo);
    } else {
        diags.error(format!(
            "{page_url}: repository {:?} has an unusable clone url {:?}; left out",
            repo.name, repo.url
        ));
    }
}

/// An owner name as one percent-encoded path segment (GitLab's
/// `parent%2Fchild`).
fn path_segment(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, SEGMENT).to_string()
}

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_must_be_one_url_of_a_git_scheme() {
        for ok in [
            "https://github.com/acme/app.git",
            "ssh://git@gitlab.com/acme/app.git",
            "file:///srv/git/app",
        ] {
            assert!(usable_clone_url(ok), "{ok}");
        }
        for bad in [
            "",
            "https://",
            "ext::sh -c touch% /tmp/x",
            "https://github.com/a/b\n/tmp/other",
            "--upload-pack=touch",
            "https://github.com/a b",
        ] {
            assert!(!usable_clone_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn group_paths_are_one_encoded_segment() {
        assert_eq!(path_segment("acme/platform"), "acme%2Fplatform");
        assert_eq!(path_segment("acme-1.x"), "acme-1.x");
        assert_eq!(path_segment("a b?"), "a%20b%3F");
    }
}
