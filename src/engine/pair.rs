//! Pairing: each identifier match of a rule with a `pair` spec (Tencent
//! SecretId, AWS access key id…) gets the key that belongs to it, and for
//! temporary credentials the session token.
//!
//! Candidates are the pair regex's matches within `within_lines` lines of an
//! identifier, or within `labelled_within_lines` where the id is labelled
//! as one and the key by the same name (`CosId` … `CosKey`) or a `key_hints`
//! label (`secret_id` … `TENCENT_SECRET_KEY`). A candidate that
//! overlaps an identifier is not a key (ids are never keys of each other);
//! one failing the entropy, repeat or allowlist checks is dropped; one
//! matching a `needs_hint` regex (a hex hash, a word) or labelled as
//! something else (`not_hints`: `md5 = …`, `RequestId: …`) is kept only where
//! its label names a key (`hints`) or it directly follows the identifier as
//! the next argument (`Credential("AKID…", "…")`); one matching a
//! `needs_key_hint` regex (32 hex digits) only where a `key_hints` label
//! names it.
//!
//! Every (identifier, candidate) edge gets a cost: line distance first, then
//! "key after id" over "key before id", then labelled over unlabelled, then a
//! penalty when the labels qualify different credentials (`secret_id_1` vs
//! `secret_key_2`, `COS_SECRET_ID` vs `CVM_SECRET_KEY`). Edges are taken
//! cheapest first, each identifier and each key at most once, so several
//! pairs in one file each get their own key (nearest first, one-to-one).

use super::RawMatch;
use super::compile::{CompiledRule, Lazy, Mode, lazy_regex, secret_regex};
use super::label::{is_hint, label, normalize, qualifier, split_parts};
use super::lines::Lines;
use crate::rule::{PairSpec, Rule};
use regex::bytes::Regex;
use std::ops::Range;

use super::BuildError;

/// How far (bytes) a pairing window reaches at most on either side, so a
/// minified one-line file does not make every identifier scan all of it.
pub(super) const MAX_REACH: usize = 8192;

/// How many candidates on each side of an identifier (in order of position)
/// pairing weighs: a dense one-line file does not make every identifier
/// weigh every value within its reach.
const MAX_CANDIDATES: usize = 32;

/// A pair spec, compiled.
#[derive(Debug)]
pub(super) struct CompiledPair {
    re: Lazy,
    token: Option<Lazy>,
    /// Lower-cased, separators removed (`secret_key` → `secretkey`).
    hints: Vec<String>,
    /// Likewise, for labels of other things.
    not_hints: Vec<String>,
    /// Likewise, labels naming exactly this key.
    key_hints: Vec<String>,
    needs_hint: Vec<Lazy>,
    needs_key_hint: Vec<Lazy>,
    needs_token: Vec<Lazy>,
    token_words: Vec<String>,
    /// Lower-cased label parts that only name the provider.
    label_words: Vec<String>,
    min_entropy: Option<f64>,
    pub within_lines: usize,
    labelled_within_lines: usize,
    pub required: bool,
    /// Rule ids, resolved to indices by the engine.
    pub supersedes: Vec<String>,
}

impl CompiledPair {
    pub fn new(rule: &Rule, spec: &PairSpec, mode: Mode) -> Result<CompiledPair, BuildError> {
        let re = secret_regex(rule, "pair.pattern", &spec.pattern, mode)?;
        let token = spec
            .token
            .as_ref()
            .map(|p| secret_regex(rule, "pair.token", p, mode))
            .transpose()?;
        let regexes = |field: &str, pats: &[String]| {
            pats.iter()
                .map(|p| lazy_regex(rule, field, p, mode))
                .collect::<Result<Vec<_>, _>>()
        };
        let words = |list: &[String]| -> Vec<String> {
            list.iter().map(|h| normalize(h.as_bytes())).collect()
        };
        Ok(CompiledPair {
            re,
            token,
            hints: words(&spec.hints),
            not_hints: words(&spec.not_hints),
            key_hints: words(&spec.key_hints),
            needs_hint: regexes("pair.needs_hint", &spec.needs_hint)?,
            needs_key_hint: regexes("pair.needs_key_hint", &spec.needs_key_hint)?,
            needs_token: regexes("pair.needs_token", &spec.needs_token)?,
            token_words: words(&spec.token_words),
            label_words: words(&spec.label_words),
            min_entropy: spec.min_entropy,
            within_lines: spec.within_lines as usize,
            labelled_within_lines: spec.labelled_within_lines as usize,
            required: spec.required,
            supersedes: spec.supersedes.clone(),
        })
    }
}

impl CompiledPair {
    /// Whether `label` names this pair's key (`SecretKey`, `AccessKeySecret`).
    pub fn is_key_label(&self, label: &[u8]) -> bool {
        is_hint(label, &self.hints)
    }
}

/// Reusable buffers for pairing.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    windows: Vec<Range<usize>>,
    cands: Vec<Candidate>,
    edges: Vec<Edge>,
    /// Key candidates the rule's allowlist or published list rejected (the
    /// caller takes them).
    pub claimed: Vec<Range<usize>>,
    /// Token matches per (grid-aligned) window, found once.
    tokens: std::collections::HashMap<Range<usize>, Vec<Range<usize>>>,
}

#[derive(Debug)]
struct Candidate {
    range: Range<usize>,
    /// What its label says beyond "secret key" (`prod`, `1`, `cos`).
    qualifier: Vec<String>,
    /// Its label's parts before a final `key`/`secret` (`cos` of `CosKey`),
    /// when the label ends so.
    stem: Option<Vec<String>>,
    hinted: bool,
    /// Labelled with a `key_hints` word.
    key_hinted: bool,
    /// Labelled as something other than a key.
    other: bool,
    weak: bool,
    /// Matches a `needs_key_hint` regex.
    hex: bool,
    /// Its label has a `token_words` part.
    temporary: bool,
    taken: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    cost: usize,
    id: usize,
    cand: usize,
}

/// The parts of `label` before its last one, when the last one is one of
/// `last` and something precedes it: `CosKey` → `cos`, `secret_id` → `secret`.
fn stem(label: &[u8], last: &[&str]) -> Option<Vec<String>> {
    let mut parts = split_parts(label);
    let end = parts.pop()?;
    (last.contains(&end.as_str()) && !parts.is_empty()).then_some(parts)
}

fn has_word(label: Option<&[u8]>, words: &[String]) -> bool {
    !words.is_empty() && label.is_some_and(|l| split_parts(l).iter().any(|p| words.contains(p)))
}

/// Fills `key` (and `token`) of every match in `ids`. `occupied` holds the
/// ranges of all rules' matches in the haystack, sorted by start. Returns,
/// in `rejected`, the indices of ids this rule does not claim (a
/// `needs_token` id without a token), and in `s.claimed` the key
/// candidates its allowlist or published list rejected.
pub(super) fn pair(
    rule: &CompiledRule,
    spec: &CompiledPair,
    lines: &Lines,
    ids: &mut [RawMatch],
    occupied: &[Range<usize>],
    s: &mut Scratch,
    rejected: &mut Vec<usize>,
) {
    s.windows.clear();
    s.cands.clear();
    s.edges.clear();
    let reach = spec.within_lines.max(spec.labelled_within_lines);
    let hay = lines.hay;
    let windows: Vec<Range<usize>> = ids
        .iter()
        .map(|m| window(lines, &m.secret, reach))
        .collect();
    s.windows.extend(windows.iter().cloned());
    merge(&mut s.windows);
    for w in &s.windows {
        for range in find_all(&spec.re, hay, w.clone()) {
            let value = &hay[range.clone()];
            if overlaps(occupied, &range) {
                continue;
            }
            if !rule.accepts(value, spec.min_entropy) {
                // A documentation key or placeholder is the rule's to drop.
                if rule.allow.allows(value) {
                    s.claimed.push(range);
                }
                continue;
            }
            let label = label(lines, range.start);
            s.cands.push(Candidate {
                qualifier: label
                    .map(|l| qualifier(l, &spec.label_words))
                    .unwrap_or_default(),
                stem: label.and_then(|l| stem(l, &["key", "secret"])),
                hinted: label.is_some_and(|w| is_hint(w, &spec.hints)),
                key_hinted: label.is_some_and(|w| is_hint(w, &spec.key_hints)),
                other: label.is_some_and(|w| is_hint(w, &spec.not_hints)),
                weak: spec.needs_hint.iter().any(|r| r.is_match(value)),
                hex: spec.needs_key_hint.iter().any(|r| r.is_match(value)),
                temporary: has_word(label, &spec.token_words),
                range,
                taken: false,
            });
        }
    }
    // Candidates come out of sorted, disjoint windows: sorted by start.
    for (i, (m, w)) in ids.iter().zip(&windows).enumerate() {
        let id_label = label(lines, m.secret.start);
        let id_qualifier = id_label
            .map(|l| qualifier(l, &spec.label_words))
            .unwrap_or_default();
        let id_stem = id_label.and_then(|l| stem(l, &["id"]));
        let first = s.cands.partition_point(|c| c.range.start < w.start);
        let last = s.cands.partition_point(|c| c.range.start < w.end);
        let at = s.cands.partition_point(|c| c.range.start < m.secret.start);
        let first = first.max(at.saturating_sub(MAX_CANDIDATES));
        let last = last.min(at + MAX_CANDIDATES).max(first);
        for (j, c) in s.cands.iter().enumerate().take(last).skip(first) {
            if c.range.end > w.end {
                continue;
            }
            let after = c.range.start >= m.secret.end;
            let positional = after && is_next_argument(&hay[m.secret.end..c.range.start]);
            if c.hex && !c.key_hinted {
                continue;
            }
            if (c.weak || c.other) && !c.hinted && !positional {
                continue;
            }
            let (lo, hi) = if after {
                (m.secret.end, c.range.start)
            } else {
                (c.range.end, m.secret.start)
            };
            let lines = lines.breaks(lo, hi);
            // Far away, the id must be labelled as one and the key named
            // by the same name or a SecretKey label.
            if lines > spec.within_lines
                && (id_stem.is_none() || !(c.key_hinted || c.stem == id_stem))
            {
                continue;
            }
            let mut cost = match (lines, after) {
                (0, true) => 0,
                (0, false) => 3,
                (d, true) => 4 * d,
                (d, false) => 4 * d + 2,
            };
            if !c.hinted && !positional {
                cost += 3;
            }
            // `secret_id_2` goes with `secret_key_2`, `PROD_SECRET_ID` with
            // `PROD_SECRET_KEY`, even when another key sits nearer.
            if c.hinted && !positional && c.qualifier != id_qualifier {
                cost += 6;
            }
            s.edges.push(Edge {
                cost,
                id: i,
                cand: j,
            });
        }
    }
    s.edges.sort_unstable();
    let mut temporary_key = vec![false; ids.len()];
    for e in &s.edges {
        let c = &mut s.cands[e.cand];
        if c.taken || ids[e.id].key.is_some() {
            continue;
        }
        c.taken = true;
        ids[e.id].key = Some(c.range.clone());
        temporary_key[e.id] = c.temporary;
    }
    if let Some(re) = &spec.token {
        s.tokens.clear();
        for m in ids.iter_mut() {
            let near = lines.grid(&m.secret, spec.within_lines, MAX_REACH);
            m.token = nearest_token(re, hay, m, near, occupied, &mut s.tokens)
                .or_else(|| positional_token(hay, m, occupied));
            // A key paired from further away brings its own neighbourhood.
            if m.token.is_none()
                && let Some(k) = m.key.clone()
            {
                let near = lines.grid(&k, spec.within_lines, MAX_REACH);
                m.token = nearest_token(re, hay, m, near, occupied, &mut s.tokens);
            }
        }
    }
    for (i, m) in ids.iter().enumerate() {
        let value = &hay[m.secret.clone()];
        if m.token.is_none()
            && !temporary_key[i]
            && spec.needs_token.iter().any(|r| r.is_match(value))
            && !has_word(label(lines, m.secret.start), &spec.token_words)
        {
            rejected.push(i);
        }
    }
}

/// Shortest session token taken by position (`Credential(id, key, token)`):
/// STS tokens run to hundreds of characters.
const MIN_POSITIONAL_TOKEN: usize = 40;

/// The token passed as the argument after a key that was itself the
/// argument after the id: `new Credential("AKID…", "key", "token")`,
/// `common.NewTokenCredential(…)`, `BasicSessionCredentials(…)`, in every
/// SDK's positional form.
fn positional_token(hay: &[u8], m: &RawMatch, occupied: &[Range<usize>]) -> Option<Range<usize>> {
    let k = m.key.as_ref()?;
    if k.start < m.secret.end || !is_next_argument(&hay[m.secret.end..k.start]) {
        return None;
    }
    let rest = &hay[k.end..hay.len().min(k.end + 64)];
    let gap = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b','))?;
    if !is_next_argument(&rest[..gap]) || !rest[..gap].contains(&b',') {
        return None;
    }
    let start = k.end + gap;
    let len = hay[start..]
        .iter()
        .take(4096)
        .position(|&b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'='))
        })
        .unwrap_or(hay.len() - start);
    let t = start..start + len;
    let closed = matches!(hay.get(t.end), Some(b'"' | b'\'' | b'`'));
    (len >= MIN_POSITIONAL_TOKEN && closed && !overlaps(occupied, &t)).then_some(t)
}

/// The nearest token match to `m` inside `w` that is neither its key nor
/// another match. The matches of a window are found once and kept in
/// `memo`, so identifiers sharing a window share the search.
fn nearest_token(
    re: &Lazy,
    hay: &[u8],
    m: &RawMatch,
    w: Range<usize>,
    occupied: &[Range<usize>],
    memo: &mut std::collections::HashMap<Range<usize>, Vec<Range<usize>>>,
) -> Option<Range<usize>> {
    let found = memo.entry(w.clone()).or_insert_with(|| {
        find_all(re, hay, w)
            .filter(|t| !overlaps(occupied, t))
            .collect()
    });
    let clear_of_key = |t: &&Range<usize>| {
        m.key
            .as_ref()
            .is_none_or(|k| k.end <= t.start || t.end <= k.start)
    };
    // Sorted by start: the nearest on each side of the id, past its key.
    let at = found.partition_point(|t| t.start < m.secret.start);
    let before = found[..at].iter().rev().find(clear_of_key);
    let after = found[at..].iter().find(clear_of_key);
    [before, after]
        .into_iter()
        .flatten()
        .min_by_key(|t| (t.start.abs_diff(m.secret.start), t.start))
        .cloned()
}

/// Every match of `re`'s secret group that starts inside `w`. Starts one
/// byte early so a left guard like `(?:^|[^A-Za-z0-9])` can see the byte
/// before.
pub(super) fn find_all<'h>(
    re: &'h Lazy,
    hay: &'h [u8],
    w: Range<usize>,
) -> impl Iterator<Item = Range<usize>> + 'h {
    let (lazy, group) = (re, re.group());
    let re: &Regex = re;
    let hay = &hay[..w.end];
    let mut at = w.start.saturating_sub(1);
    let mut locs = re.capture_locations();
    std::iter::from_fn(move || {
        while at <= hay.len() {
            let whole = re.captures_read_at(&mut locs, hay, at)?;
            at = whole.end().max(whole.start() + 1);
            if let Some((s, e)) = locs.get(group) {
                let e = lazy.secret_end(hay, e);
                // Resume at the secret's end: the right guard of one match
                // may be the left guard of the next.
                at = e.max(whole.start() + 1);
                // An empty group is never a secret (rules that allow one
                // are refused when compiled; this keeps the loop honest).
                if s >= w.start && e > s {
                    return Some(s..e);
                }
            }
        }
        None
    })
}

/// Sorts and merges overlapping or touching ranges.
pub(super) fn merge(v: &mut Vec<Range<usize>>) {
    v.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v.drain(..) {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    *v = out;
}

fn overlaps(sorted: &[Range<usize>], r: &Range<usize>) -> bool {
    let i = sorted.partition_point(|o| o.end <= r.start);
    sorted.get(i).is_some_and(|o| o.start < r.end)
}

/// The lines from `n` before `r` to `n` after it, at most [`MAX_REACH`]
/// bytes either side; no byte past that reach is looked at.
pub(super) fn window(lines: &Lines, r: &Range<usize>, n: usize) -> Range<usize> {
    lines.around(r, n, n, MAX_REACH, MAX_REACH)
}

/// Whether the bytes between an identifier and a candidate make the
/// candidate the next argument: `", "`, `",\n    "`, a space.
fn is_next_argument(between: &[u8]) -> bool {
    between.len() <= 64
        && between.iter().filter(|&&b| b == b',').count() <= 1
        && between
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_argument_is_quotes_commas_and_spaces() {
        assert!(is_next_argument(b"\", \""));
        assert!(is_next_argument(b"\",\n\t\t\""));
        assert!(is_next_argument(b" "));
        assert!(!is_next_argument(b"\", region, \""));
        assert!(!is_next_argument(b"\"\nsecret_key = \""));
    }

    #[test]
    fn merge_joins_overlaps() {
        let mut v = vec![5..9, 0..3, 2..4, 9..12];
        merge(&mut v);
        assert_eq!(v, vec![0..4, 5..12]);
    }

    #[test]
    fn windows_reach_whole_lines() {
        let text = b"a\nbb\nccc\ndd\ne";
        let c = 5..8;
        let lines = Lines::scan(text);
        assert_eq!(window(&lines, &c, 0), 5..8);
        assert_eq!(window(&lines, &c, 1), 2..11);
        assert_eq!(window(&lines, &c, 9), 0..text.len());
    }
}
