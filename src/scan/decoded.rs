//! Scanning the decoded layers of one blob: each layer's matches that touch
//! a decoded span are mapped back to the blob's bytes (exact where the value
//! was copied, the encoded span where it was decoded), named by their
//! decoding chain, and merged with the plain matches, one hit per credential
//! and place.

use super::{LineIndex, line_around};
use crate::decode::{self, Encoding, Layer};
use crate::engine::{Cache, Engine, RawMatch};
use crate::finding::{BlobMatch, Hit, Location, Secret, SecretKind, Snippet};
use std::collections::HashMap;
use std::ops::Range;

/// What scanning one layer needs from the blob scanner.
pub(super) struct Blob<'a> {
    pub bytes: &'a [u8],
    pub path: Option<&'a str>,
}

/// Decodes `blob` up to the engine's depth, scans every layer and appends
/// the new hits to `hits` (which holds the plain ones).
pub(super) fn scan(
    engine: &Engine,
    cache: &mut Cache,
    raw: &mut Vec<RawMatch>,
    blob: &Blob<'_>,
    lines: &mut Option<LineIndex>,
    hits: &mut Vec<Hit>,
) {
    let keyworded = engine.saw_identifier(cache);
    let layers = decode::layers(blob.bytes, engine.decode_depth(), keyworded, |t| {
        engine.has_keyword(t)
    });
    if layers.is_empty() {
        return;
    }
    let lines = lines.get_or_insert_with(|| LineIndex::new(blob.bytes));
    let plain = hits.len();
    for (d, layer) in layers.iter().enumerate() {
        raw.clear();
        engine.scan(cache, blob.path, layer.text(), raw);
        for m in raw.iter() {
            let parts = [Some(&m.secret), m.key.as_ref(), m.token.as_ref()];
            if parts.iter().flatten().any(|r| layer.touches_fresh(r)) {
                hits.push(to_hit(engine, m, &layers[..=d], blob, lines));
            }
        }
    }
    if hits.len() > plain {
        dedupe(hits);
    }
}

/// A range of the deepest of `layers` mapped to the blob, with the chain of
/// encodings it went through, outermost first.
fn down(layers: &[Layer], r: &Range<usize>) -> (Range<usize>, Vec<Encoding>) {
    let mut range = r.clone();
    let mut chain = Vec::new();
    for l in layers.iter().rev() {
        let m = l.map(range);
        range = m.range;
        chain.splice(0..0, m.chain);
    }
    (range, chain)
}

fn to_hit(
    engine: &Engine,
    m: &RawMatch,
    layers: &[Layer],
    blob: &Blob<'_>,
    lines: &LineIndex,
) -> Hit {
    let rule = &engine.rules().rules[m.rule];
    let text = layers[layers.len() - 1].text();
    let value = |r: &Range<usize>| String::from_utf8_lossy(&text[r.clone()]).into_owned();
    let secret_kind = if rule.pair.is_some() {
        SecretKind::Identifier
    } else {
        SecretKind::Key
    };
    let (secret_at, secret_chain) = down(layers, &m.secret);
    let key = m.key.as_ref().map(|r| down(layers, r));
    let token_chain = m.token.as_ref().map(|r| down(layers, r).1);
    let decoded = [
        Some(secret_chain),
        key.as_ref().map(|k| k.1.clone()),
        token_chain,
    ]
    .into_iter()
    .flatten()
    .find(|c| !c.is_empty())
    .unwrap_or_default();
    let mut spans = vec![(m.secret.clone(), secret_kind)];
    spans.extend(
        m.key
            .iter()
            .chain(&m.token)
            .map(|r| (r.clone(), SecretKind::Key)),
    );
    spans.sort_by_key(|(r, _)| (r.start, r.end));
    let (snippet, masks) = line_around(text, m.secret.start, &spans);
    Hit {
        rule: rule.id.clone(),
        secret: Secret::new(value(&m.secret), secret_kind),
        key: m
            .key
            .as_ref()
            .map(|r| Secret::new(value(r), SecretKind::Key)),
        token: m
            .token
            .as_ref()
            .map(|r| Secret::new(value(r), SecretKind::Key)),
        at: BlobMatch {
            member: None,
            location: lines.locate(blob.bytes, secret_at),
            key_location: key.map(|(r, _)| lines.locate(blob.bytes, r)),
            snippet: Snippet::new(snippet, masks),
            line_hash: None,
            binary: None,
            decoded,
        },
    }
}

/// One hit per (rule, secret, place): a paired hit replaces an unpaired one
/// at the same place; otherwise the first (plain before decoded, shallow
/// before deep) stays, also when the two read their keys from the same place.
fn dedupe(hits: &mut Vec<Hit>) {
    let mut best: HashMap<(&str, &Secret, Location), usize> = HashMap::new();
    let mut drop = vec![false; hits.len()];
    for (i, h) in hits.iter().enumerate() {
        let k = (h.rule.as_str(), &h.secret, h.at.location);
        match best.get(&k).copied() {
            None => {
                best.insert(k, i);
            }
            Some(j) if hits[j].key.is_none() && h.key.is_some() => {
                drop[j] = true;
                best.insert(k, i);
            }
            Some(j) if h.key.is_none() || hits[j].key == h.key => drop[i] = true,
            // The same bytes read as the key twice, plain and decoded (a
            // base64 SecretAccessKey that decodes to text): the first
            // reading stays.
            Some(j)
                if h.at.key_location.is_some() && hits[j].at.key_location == h.at.key_location =>
            {
                drop[i] = true
            }
            Some(_) => {}
        }
    }
    let mut i = 0;
    hits.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}
