//! Grouping matches into findings: one finding per (rule, secret, key), an
//! identifier found alone joining its paired finding, every location kept,
//! everything sorted so output does not depend on threads.

use super::{Finding, Fingerprint, Match, Secret};
use std::collections::BTreeMap;

/// One match before grouping, with the credential values it carries.
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
    /// Where it was.
    pub at: Match,
}

/// Groups hits into findings.
///
/// Findings are sorted by their first location (provenance, archive member,
/// line, column), then rule id; matches inside a finding by (provenance,
/// member, line, column).
/// Duplicate locations (the same blob reached twice) collapse into one.
pub fn group(hits: Vec<Hit>) -> Vec<Finding> {
    type Key = (String, Secret, Option<Secret>);
    let mut by: BTreeMap<Key, (Option<Secret>, Vec<Match>)> = BTreeMap::new();
    for h in hits {
        let e = by
            .entry((h.rule, h.secret, h.key))
            .or_insert_with(|| (None, Vec::new()));
        if e.0.is_none() {
            e.0 = h.token;
        }
        e.1.push(h.at);
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
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let fa = &a.matches[0];
        let fb = &b.matches[0];
        (
            &fa.provenance,
            &fa.member,
            fa.location,
            &a.rule,
            &a.fingerprint,
        )
            .cmp(&(
                &fb.provenance,
                &fb.member,
                fb.location,
                &b.rule,
                &b.fingerprint,
            ))
    });
    out
}
