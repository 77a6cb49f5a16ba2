//! GitLab's `GET /api/v4/groups/{group}/projects?include_subgroups=true&per_page=100`:
//! `http_url_to_repo`, `forked_from_project` and `archived` of each project,
//! a `PRIVATE-TOKEN` when given.

use super::{ForgeError, ForgeRepo, ListRequest, http};
use crate::diagnostic::Diagnostics;
use serde::Deserialize;

#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    http_url_to_repo: String,
    #[serde(default)]
    archived: bool,
    /// Present (an object) on forks only.
    #[serde(default)]
    forked_from_project: Option<serde_json::Value>,
}

/// Every project of `req.owner` and its subgroups, forks and archived ones
/// included. `api` is the instance (`https://gitlab.example.com`), with or
/// without `/api/v4`.
pub(super) fn list(
    api: &str,
    req: &ListRequest,
    diags: &Diagnostics,
) -> Result<Vec<ForgeRepo>, ForgeError> {
    let group = req.owner.trim().trim_matches('/');
    if group.is_empty() {
        return Err(ForgeError::Owner {
            what: "gitlab group",
            name: req.owner.clone(),
            reason: "expected a group id or path",
        });
    }
    let base = api.trim_end_matches('/');
    let base = base.strip_suffix("/api/v4").unwrap_or(base);
    let client = http::Client::new(
        base,
        req.token.clone().map(|t| ("private-token", t)),
        &[("accept", "application/json")],
        req.max_wait,
    )?;
    let first = client.url(&format!(
        "/api/v4/groups/{}/projects?include_subgroups=true&per_page=100",
        super::path_segment(group)
    ))?;
    let mut out = Vec::new();
    super::pages(&client, first, diags, |url, body| {
        for (i, item) in super::items(url, body)?.into_iter().enumerate() {
            match serde_json::from_value::<Project>(item) {
                Ok(p) => super::push(
                    &mut out,
                    url,
                    ForgeRepo {
                        url: p.http_url_to_repo,
                        name: p.path_with_namespace,
                        fork: p.forked_from_project.is_some_and(|f| !f.is_null()),
                        archived: p.archived,
                    },
                    diags,
                ),
                Err(e) => diags.error(format!("{url}: project {i} of the page: {e}; left out")),
            }
        }
        Ok(())
    })?;
    Ok(out)
}
