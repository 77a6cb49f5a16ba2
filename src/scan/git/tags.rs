//! Annotated tag messages: a tag object carries a message of its own,
//! which no commit walk reads. Each annotated tag whose target commit the
//! history scan selected is scanned like a commit message.

use crate::engine::Engine;
use crate::finding::BlobHits;
use crate::scan::BlobScanner;
use crate::source::{CommitMeta, Provenance};
use git2::{Oid, Repository};
use std::collections::HashSet;

/// The hits in the messages of the annotated tags pointing (through any
/// chain of tags) at one of `commits`.
pub(super) fn tag_messages(repo: &Repository, engine: &Engine, commits: &[Oid]) -> Vec<BlobHits> {
    let Ok(refs) = repo.references_glob("refs/tags/*") else {
        return Vec::new();
    };
    let selected: HashSet<&Oid> = commits.iter().collect();
    let mut scanner = BlobScanner::new(engine);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for r in refs.flatten() {
        let Some(mut id) = r.target() else { continue };
        // A tag of a tag: every message on the way is the tag's.
        while let Ok(tag) = repo.find_tag(id) {
            if !seen.insert(tag.id()) {
                break;
            }
            id = tag.target_id();
            if !peels_to(&tag, &selected) {
                break;
            }
            let hits = scanner.scan(tag.message_bytes().unwrap_or_default(), None);
            if hits.is_empty() {
                continue;
            }
            let tagger = tag.tagger();
            let meta = CommitMeta {
                time: tagger.as_ref().map_or(0, |t| t.when().seconds()),
                sha: tag.id().to_string(),
                author: tagger
                    .as_ref()
                    .map(|t| String::from_utf8_lossy(t.name_bytes()).into_owned())
                    .unwrap_or_default(),
                email: tagger
                    .as_ref()
                    .map(|t| String::from_utf8_lossy(t.email_bytes()).into_owned())
                    .unwrap_or_default(),
                summary: String::from_utf8_lossy(
                    tag.message_bytes()
                        .unwrap_or_default()
                        .split(|&b| b == b'\n')
                        .next()
                        .unwrap_or_default(),
                )
                .into_owned(),
            };
            let mut meta = meta;
            // The summary is shown as is: never with a secret in it.
            for h in hits.iter() {
                for v in std::iter::once(&h.secret).chain(&h.key).chain(&h.token) {
                    if !v.expose().is_empty() {
                        meta.summary = meta.summary.replace(v.expose(), &v.redacted());
                    }
                }
            }
            let prov = Provenance::TagMessage {
                tag: String::from_utf8_lossy(tag.name_bytes()).into_owned(),
                commit: meta,
            };
            out.push(BlobHits::one(prov, std::mem::take(hits)));
        }
    }
    out
}

/// Whether `tag` peels to one of the `selected` commits.
fn peels_to(tag: &git2::Tag<'_>, selected: &HashSet<&Oid>) -> bool {
    tag.as_object()
        .peel(git2::ObjectType::Commit)
        .is_ok_and(|c| selected.contains(&c.id()))
}
