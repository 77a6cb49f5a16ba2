//! Pairing: each identifier match of a rule with a `pair` spec (Tencent
//! SecretId, AWS access key id…) gets the key that belongs to it, and for
//! temporary credentials the session token.
//!
//! Candidates are the pair regex's matches within `within_lines` lines of an
//! identifier. A candidate that overlaps an identifier is not a key (ids are
//! never keys of each other); one failing the entropy, repeat or allowlist
//! checks is dropped; one matching a `needs_hint` regex (a hex hash, a word)
//! or labelled as something else (`not_hints`: `md5 = …`, `RequestId: …`) is
//! kept only where its label names a key (`hints`) or it directly follows the
//! identifier as the next argument (`Credential("AKID…", "…")`).
//!
//! Every (identifier, candidate) edge gets a cost: line distance first, then
//! "key after id" over "key before id", then labelled over unlabelled, then a
//! penalty when the labels qualify different credentials (`secret_id_1` vs
//! `secret_key_2`, `COS_SECRET_ID` vs `CVM_SECRET_KEY`). Edges are taken
//! cheapest first, each identifier and each key at most once, so several
//! pairs in one file each get their own key (nearest first, one-to-one).

use super::RawMatch;
use super::compile::{CompiledRule, bytes_regex, secret_group};
use crate::rule::{PairSpec, Rule};
use memchr::{memchr, memchr_iter, memrchr};
use regex::bytes::Regex;
use std::ops::Range;

use super::BuildError;

/// How far (bytes) a pairing window reaches at most on either side, so a
/// minified one-line file does not make every identifier scan all of it.
const MAX_REACH: usize = 8192;

/// A pair spec, compiled.
#[derive(Debug)]
pub(super) struct CompiledPair {
    re: Regex,
    group: usize,
    token: Option<(Regex, usize)>,
    /// Lower-cased, separators removed (`secret_key` → `secretkey`).
    hints: Vec<String>,
    /// Likewise, for labels of other things.
    not_hints: Vec<String>,
    needs_hint: Vec<Regex>,
    min_entropy: Option<f64>,
    within_lines: usize,
    pub required: bool,
}

impl CompiledPair {
    pub fn new(rule: &Rule, spec: &PairSpec) -> Result<CompiledPair, BuildError> {
        let re = bytes_regex(rule, "pair.pattern", &spec.pattern)?;
        let group = secret_group(rule, "pair.pattern", &spec.pattern, &re)?;
        let token = match &spec.token {
            Some(p) => {
                let re = bytes_regex(rule, "pair.token", p)?;
                let g = secret_group(rule, "pair.token", p, &re)?;
                Some((re, g))
            }
            None => None,
        };
        Ok(CompiledPair {
            re,
            group,
            token,
            hints: spec.hints.iter().map(|h| normalize(h.as_bytes())).collect(),
            not_hints: spec
                .not_hints
                .iter()
                .map(|h| normalize(h.as_bytes()))
                .collect(),
            needs_hint: spec
                .needs_hint
                .iter()
                .map(|p| bytes_regex(rule, "pair.needs_hint", p))
                .collect::<Result<_, _>>()?,
            min_entropy: spec.min_entropy,
            within_lines: spec.within_lines as usize,
            required: spec.required,
        })
    }
}

/// Reusable buffers for pairing.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    windows: Vec<Range<usize>>,
    cands: Vec<Candidate>,
    edges: Vec<Edge>,
}

#[derive(Debug)]
struct Candidate {
    range: Range<usize>,
    /// What its label says beyond "secret key" (`prod`, `1`, `cos`).
    qualifier: Vec<String>,
    hinted: bool,
    /// Labelled as something other than a key.
    other: bool,
    weak: bool,
    taken: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    cost: usize,
    id: usize,
    cand: usize,
}

/// Fills `key` (and `token`) of every match in `ids`. `occupied` holds the
/// ranges of all rules' matches in the haystack, sorted by start.
pub(super) fn pair(
    rule: &CompiledRule,
    spec: &CompiledPair,
    hay: &[u8],
    ids: &mut [RawMatch],
    occupied: &[Range<usize>],
    s: &mut Scratch,
) {
    s.windows.clear();
    s.cands.clear();
    s.edges.clear();
    let windows: Vec<Range<usize>> = ids
        .iter()
        .map(|m| window(hay, &m.secret, spec.within_lines))
        .collect();
    s.windows.extend(windows.iter().cloned());
    merge(&mut s.windows);
    for w in &s.windows {
        for range in find_all(&spec.re, spec.group, hay, w.clone()) {
            let value = &hay[range.clone()];
            if overlaps(occupied, &range) || !rule.accepts(value, spec.min_entropy) {
                continue;
            }
            let label = label(hay, range.start);
            s.cands.push(Candidate {
                qualifier: label.map(qualifier).unwrap_or_default(),
                hinted: label.is_some_and(|w| is_hint(w, &spec.hints)),
                other: label.is_some_and(|w| is_hint(w, &spec.not_hints)),
                weak: spec.needs_hint.iter().any(|r| r.is_match(value)),
                range,
                taken: false,
            });
        }
    }
    // Candidates come out of sorted, disjoint windows: sorted by start.
    for (i, (m, w)) in ids.iter().zip(&windows).enumerate() {
        let id_qualifier = label(hay, m.secret.start)
            .map(qualifier)
            .unwrap_or_default();
        let first = s.cands.partition_point(|c| c.range.start < w.start);
        for (j, c) in s.cands.iter().enumerate().skip(first) {
            if c.range.start >= w.end {
                break;
            }
            if c.range.end > w.end {
                continue;
            }
            let after = c.range.start >= m.secret.end;
            let positional = after && is_next_argument(&hay[m.secret.end..c.range.start]);
            if (c.weak || c.other) && !c.hinted && !positional {
                continue;
            }
            let (lo, hi) = if after {
                (m.secret.end, c.range.start)
            } else {
                (c.range.end, m.secret.start)
            };
            let lines = memchr_iter(b'\n', &hay[lo..hi]).count();
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
    for e in &s.edges {
        let c = &mut s.cands[e.cand];
        if c.taken || ids[e.id].key.is_some() {
            continue;
        }
        c.taken = true;
        ids[e.id].key = Some(c.range.clone());
    }
    if let Some((re, group)) = &spec.token {
        for (m, w) in ids.iter_mut().zip(&windows) {
            m.token = nearest_token(re, *group, hay, m, w.clone(), occupied);
        }
    }
}

/// The nearest token match to `m` inside `w` that is neither its key nor
/// another match.
fn nearest_token(
    re: &Regex,
    group: usize,
    hay: &[u8],
    m: &RawMatch,
    w: Range<usize>,
    occupied: &[Range<usize>],
) -> Option<Range<usize>> {
    find_all(re, group, hay, w)
        .filter(|t| !overlaps(occupied, t))
        .filter(|t| {
            m.key
                .as_ref()
                .is_none_or(|k| k.end <= t.start || t.end <= k.start)
        })
        .min_by_key(|t| t.start.abs_diff(m.secret.start))
}

/// Every match of `re`'s `group` that starts inside `w`. Starts one byte
/// early so a left guard like `(?:^|[^A-Za-z0-9])` can see the byte before.
pub(super) fn find_all<'h>(
    re: &'h Regex,
    group: usize,
    hay: &'h [u8],
    w: Range<usize>,
) -> impl Iterator<Item = Range<usize>> + 'h {
    let hay = &hay[..w.end];
    let mut at = w.start.saturating_sub(1);
    let mut locs = re.capture_locations();
    std::iter::from_fn(move || {
        while at <= hay.len() {
            let whole = re.captures_read_at(&mut locs, hay, at)?;
            at = whole.end().max(whole.start() + 1);
            if let Some((s, e)) = locs.get(group) {
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
/// bytes either side.
fn window(hay: &[u8], r: &Range<usize>, n: usize) -> Range<usize> {
    let mut start = line_start(hay, r.start);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = line_start(hay, start - 1);
    }
    let mut end = line_end(hay, r.end);
    for _ in 0..n {
        if end >= hay.len() {
            break;
        }
        end = line_end(hay, end + 1);
    }
    start.max(r.start.saturating_sub(MAX_REACH))..end.min(r.end + MAX_REACH)
}

pub(super) fn line_start(hay: &[u8], pos: usize) -> usize {
    memrchr(b'\n', &hay[..pos]).map_or(0, |i| i + 1)
}

pub(super) fn line_end(hay: &[u8], pos: usize) -> usize {
    memchr(b'\n', &hay[pos..]).map_or(hay.len(), |i| pos + i)
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

/// The label of the value at `at`: the last word before it on its line, or,
/// when nothing precedes it there, the last word of the line before
/// (`SecretKey:` then the value on the next line).
fn label(hay: &[u8], at: usize) -> Option<&[u8]> {
    let ls = line_start(hay, at);
    match last_word(&hay[ls..at]) {
        Some(w) => Some(w),
        None if ls > 0 => last_word(&hay[line_start(hay, ls - 1)..ls - 1]),
        None => None,
    }
}

/// Words of a label that only say "this is a credential".
const CREDENTIAL_WORDS: &[&str] = &[
    "secret",
    "key",
    "id",
    "sk",
    "ak",
    "skey",
    "access",
    "accesskey",
    "tmp",
    "api",
    "cloud",
    "tencent",
    "tencentcloud",
    "qcloud",
    "tc",
    "aws",
    "aliyun",
    "alibaba",
    "cdnetworks",
    "cnc",
];

/// The parts of a label that qualify which credential it is: `PROD_SECRET_KEY`
/// → `prod`, `secret_id_2` → `2`, `SecretKey` → nothing.
fn qualifier(label: &[u8]) -> Vec<String> {
    let mut q = split_parts(label);
    q.retain(|p| !CREDENTIAL_WORDS.contains(&p.as_str()));
    q
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn last_word(s: &[u8]) -> Option<&[u8]> {
    let end = s.iter().rposition(|&b| is_word_byte(b))? + 1;
    let start = s[..end]
        .iter()
        .rposition(|&b| !is_word_byte(b))
        .map_or(0, |i| i + 1);
    Some(&s[start..end])
}

/// Whether some trailing run of `word`'s parts, joined, is a hint:
/// `TENCENTCLOUD_SECRET_KEY` → parts `tencentcloud secret key` → `secretkey`.
/// Trailing numbers are ignored: `secret_key_2` is a key label.
fn is_hint(word: &[u8], hints: &[String]) -> bool {
    let mut parts = split_parts(word);
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        parts.pop();
    }
    // Is some hint exactly the concatenation of a run of trailing parts?
    hints.iter().any(|h| {
        let mut rest = h.as_str();
        for p in parts.iter().rev() {
            match rest.strip_suffix(p.as_str()) {
                Some("") => return true,
                Some(r) => rest = r,
                None => return false,
            }
        }
        false
    })
}

/// Splits an identifier on `_ - .` and lower-to-upper case changes, lower-cased.
fn split_parts(word: &[u8]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &b in word {
        if !b.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        cur.push(b.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

fn normalize(h: &[u8]) -> String {
    h.iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints() -> Vec<String> {
        ["secretkey", "sk", "secret_access_key"]
            .iter()
            .map(|h| normalize(h.as_bytes()))
            .collect()
    }

    #[test]
    fn labels_name_keys_by_trailing_parts() {
        let h = hints();
        for yes in [
            "TENCENTCLOUD_SECRET_KEY",
            "secretKey",
            "SecretKey",
            "cos-secret-key",
            "tencent.cloud.secret-key",
            "Sk",
            "aws_secret_access_key",
        ] {
            assert!(is_hint(yes.as_bytes(), &h), "{yes}");
        }
        for no in [
            "task",
            "secret_id",
            "SecretId",
            "secret_key_id",
            "desk",
            "mask",
        ] {
            assert!(!is_hint(no.as_bytes(), &h), "{no}");
        }
    }

    #[test]
    fn label_is_last_word_or_previous_line() {
        let h = hints();
        let text = b"secretKey=VALUE\nSecretKey:\n  VALUE\nname: VALUE";
        let at = |n: usize| memchr::memmem::find_iter(text, b"VALUE").nth(n).unwrap();
        let hinted = |n| label(text, at(n)).is_some_and(|w| is_hint(w, &h));
        assert!(hinted(0));
        assert!(hinted(1));
        assert!(!hinted(2));
    }

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
        assert_eq!(window(text, &c, 0), 5..8);
        assert_eq!(window(text, &c, 1), 2..11);
        assert_eq!(window(text, &c, 9), 0..text.len());
    }
}
