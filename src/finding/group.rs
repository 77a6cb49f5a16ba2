//! Grouping matches into findings: each blob's hits joined with the blob's
//! provenances, one finding per (rule, secret, key), an identifier found
//! alone joining its paired finding, every location kept,
//! everything sorted so output does not depend on threads.

use super::{BlobMatch, Finding, Fingerprint, Match, Secret};
use crate::source::Provenance;
use std::collections::BTreeMap;

/// One match inside one blob, with the credential values it carries; where
/// the blob came from is not its business (see [`BlobHits`]).
#[derive(Clone, Debug)]
pub struct Hit {
    /// Rule id.
    pub rule: String,
    /// The secret (identifier half for pairs).
    pub secret: Secret,
    /// The paired key, if any.
    pub key: Option<Secret>,
    /// A session token of the same temporary credential, if any.
    pub token: Option<Secret>,
    /// Where it was in the blob.
    pub at: BlobMatch,
}

/// The hits of one blob and every place the blob was found: one file, or
/// each commit and path that introduced a git blob.
#[derive(Clone, Debug)]
pub struct BlobHits {
    /// Where the blob came from; each hit becomes one match per entry.
    pub provenance: Vec<Provenance>,
    /// What the scan found in it.
    pub hits: Vec<Hit>,
}

impl BlobHits {
    /// The hits of a blob found at one place.
    pub fn one(provenance: Provenance, hits: Vec<Hit>) -> BlobHits {
        BlobHits {
            provenance: vec![provenance],
            hits,
        }
    }
}

/// Groups the hits of blobs into findings, joining each hit with its blob's
/// provenances.
///
/// Findings are sorted by their first location (provenance, archive member,
/// line, column), then rule id; matches inside a finding by (provenance,
/// member, line, column).
/// Duplicate locations (the same blob reached twice) collapse into one.
pub fn group(blobs: impl IntoIterator<Item = BlobHits>) -> Vec<Finding> {
    type Key = (String, Secret, Option<Secret>);
    let mut by: BTreeMap<Key, (Option<Secret>, Vec<Match>)> = BTreeMap::new();
    for blob in blobs {
        for h in blob.hits {
            let e = by
                .entry((h.rule, h.secret, h.key))
                .or_insert_with(|| (None, Vec::new()));
            if e.0.is_none() {
                e.0 = h.token;
            }
            e.1.extend(blob.provenance.iter().map(|p| h.at.at(p.clone())));
        }
    }
    // One credential, one finding: an identifier seen alone in one place and
    // with its key in another joins the paired finding (the first key, when
    // it was found with several).
    let lone: Vec<Key> = by.keys().filter(|k| k.2.is_none()).cloned().collect();
    for k in lone {
        let paired = by
            .range(&k..)
            .nth(1)
            .map(|(p, _)| p.clone())
            .filter(|p| p.0 == k.0 && p.1 == k.1);
        if let Some(p) = paired
            && let Some((token, matches)) = by.remove(&k)
        {
            let e = by.get_mut(&p).expect("the paired finding is in the map");
            e.1.extend(matches);
            if e.0.is_none() {
                e.0 = token;
            }
        }
    }
    let mut out: Vec<Finding> = by
        .into_iter()
        .map(|((rule, secret, key), (token, mut matches))| {
            matches.sort_by(|a, b| {
                (&a.provenance, &a.member, a.location, a.key_location).cmp(&(
                    &b.provenance,
                    &b.member,
                    b.location,
                    b.key_location,
                ))
            });
            matches.dedup_by(|a, b| {
                a.provenance == b.provenance
                    && a.member == b.member
                    && a.location == b.location
                    && a.key_location == b.key_location
            });
            Finding {
                fingerprint: Fingerprint::of(&rule, &secret, key.as_ref()),
                rule,
                secret,
                key,
                token,
                matches,
                in_head: None,
                verification: None,
                response: None,
            }
        })
        .collect();
    super::sort(&mut out);
    out
}
