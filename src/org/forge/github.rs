//! GitHub's `GET /orgs/{org}/repos?per_page=100&type=all`: `clone_url`,
//! `fork` and `archived` of each repository, a bearer token when given.

use super::{ForgeError, ForgeRepo, ListRequest, http};
use crate::diagnostic::Diagnostics;
use crate::finding::{Secret, SecretKind};
use serde::Deserialize;

#[derive(Deserialize)]
struct Repo {
    full_name: String,
    clone_url: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
}

/// Every repository of `req.owner`, forks and archived ones included.
pub(super) fn list(
    api: &str,
    req: &ListRequest,
    diags: &Diagnostics,
) -> Result<Vec<ForgeRepo>, ForgeError> {
    let org = req.owner.trim();
    if org.is_empty() || org.contains('/') {
        return Err(ForgeError::Owner {
            what: "github organisation",
            name: req.owner.clone(),
            reason: "expected one organisation name, without slashes",
        });
    }
    let client = http::Client::new(
        api,
        req.token.as_ref().map(|t| {
            let bearer = format!("Bearer {}", t.expose());
            ("authorization", Secret::new(bearer, SecretKind::Key))
        }),
        &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ],
        req.max_wait,
    )?;
    let first = client.url(&format!(
        "/orgs/{}/repos?per_page=100&type=all",
        super::path_segment(org)
    ))?;
    let mut out = Vec::new();
    super::pages(&client, first, diags, |url, body| {
        for (i, item) in super::items(url, body)?.into_iter().enumerate() {
            match serde_json::from_value::<Repo>(item) {
                Ok(r) => super::push(
                    &mut out,
                    url,
                    ForgeRepo {
                        url: r.clone_url,
                        name: r.full_name,
                        fork: r.fork,
                        archived: r.archived,
                    },
                    diags,
                ),
                Err(e) => diags.error(format!("{url}: repository {i} of the page: {e}; left out")),
            }
        }
        Ok(())
    })?;
    Ok(out)
}
