//! After a history walk: one hit per (commit, path) that introduced a blob
//! with hits, commit metadata for the commits cited, and which secrets are
//! still in HEAD's tree.

use super::WorkerOut;
use crate::finding::{Hit, Secret};
use crate::source::git as src;
use crate::source::{CommitMeta, Provenance};
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};

/// Turns per-blob hits into one hit per (commit, path) that introduced the
/// blob, and message hits into hits on their commit.
pub(super) fn attach_provenance(
    repo: &Repository,
    commits: &[Oid],
    outs: &[WorkerOut],
    by_blob: &HashMap<Oid, Vec<Hit>>,
) -> Vec<Hit> {
    // A summary that holds any secret this scan found (its message's own,
    // or a key whose pair sits in the diff) is shown with it redacted, on
    // every finding that cites the commit.
    let mut found: Vec<&Secret> = by_blob
        .values()
        .flatten()
        .chain(
            outs.iter()
                .flat_map(|o| o.message_hits.iter().flat_map(|(_, h)| h)),
        )
        .flat_map(|h| std::iter::once(&h.secret).chain(&h.key).chain(&h.token))
        .filter(|s| !s.expose().is_empty())
        .collect();
    found.sort_by(|a, b| b.expose().len().cmp(&a.expose().len()).then(a.cmp(b)));
    found.dedup();
    let mut metas: HashMap<u32, CommitMeta> = HashMap::new();
    let mut meta = |ci: u32| -> CommitMeta {
        metas
            .entry(ci)
            .or_insert_with(|| {
                let id = commits[ci as usize];
                let mut m = repo
                    .find_commit(id)
                    .map(|c| src::commit_meta(&c))
                    .unwrap_or_else(|_| CommitMeta {
                        sha: id.to_string(),
                        ..CommitMeta::default()
                    });
                for s in &found {
                    if m.summary.contains(s.expose()) {
                        m.summary = m.summary.replace(s.expose(), &s.redacted());
                    }
                }
                m
            })
            .clone()
    };
    let mut hits = Vec::new();
    for o in outs {
        if !by_blob.is_empty() {
            for &(blob, ci, pid) in &o.intros {
                let Some(found) = by_blob.get(&blob) else {
                    continue;
                };
                let prov = Provenance::Git {
                    commit: meta(ci),
                    path: String::from_utf8_lossy(&o.paths[pid as usize]).into_owned(),
                };
                hits.extend(found.iter().map(|h| with_provenance(h, &prov)));
            }
        }
        for (ci, found) in &o.message_hits {
            let prov = Provenance::CommitMessage { commit: meta(*ci) };
            hits.extend(found.iter().map(|h| with_provenance(h, &prov)));
        }
    }
    hits
}

fn with_provenance(h: &Hit, prov: &Provenance) -> Hit {
    let mut h = h.clone();
    h.at.provenance = prov.clone();
    h
}

/// (rule, secret, key) of every hit in a blob that is in HEAD's tree.
pub(super) fn secrets_in_head(
    repo: &Repository,
    guard: &src::Guard,
    blob_hits: &HashMap<Oid, Vec<Hit>>,
) -> HashSet<(String, Secret, Option<Secret>)> {
    let mut set = HashSet::new();
    if blob_hits.is_empty() {
        return set;
    }
    let head = src::head_blobs(repo, guard);
    for (id, found) in blob_hits {
        if head.contains(id) {
            set.extend(
                found
                    .iter()
                    .map(|h| (h.rule.clone(), h.secret.clone(), h.key.clone())),
            );
        }
    }
    set
}
