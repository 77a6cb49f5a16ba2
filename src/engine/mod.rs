//! Compiled matching: an aho-corasick keyword prefilter over all rules, each
//! rule's regex only where one of its keywords hit, key pairing, entropy and
//! allowlist checks. Bytes in, [`RawMatch`]es out; no I/O, no threads.
//!
//! # Strategy
//!
//! 1. Aho-corasick automata hold every rule's keywords, lower-cased (keywords
//!    of 4 bytes or more through one 4-byte fingerprint each, chosen so the
//!    SIMD search flags few places; shorter ones as they are: see
//!    `keywords.rs` and `fingerprint.rs`). The haystack is ASCII-lower-cased [`CHUNK`] bytes at a time into the
//!    cache (the chunk stays in L2) and searched leftmost-first, which lets
//!    aho-corasick use its SIMD (Teddy) prefilter; an automaton built with
//!    `ascii_case_insensitive` gets no such prefilter past a handful of
//!    keywords and runs 3-4 times slower. A keyword hit marks a *window* for
//!    the rules that own the keyword or any keyword inside it (leftmost-first
//!    reports one keyword per position, and the search resumes one byte after
//!    each hit's start, so overlapping keywords are not lost): the hit's
//!    line plus the rule's `window_lines` after it (and
//!    `window_lines_before` before it, where the keyword is context), clamped to
//!    [`MAX_LINE_REACH`] bytes around the hit on very long lines. A blob
//!    without any hit costs one fold and one pass of the prefilter.
//! 2. Each rule's windows are merged and its regex runs only inside them, so
//!    a dense file costs regex time per hit line, not per file.
//! 3. Secrets failing the rule's entropy bound, repeat bound or allowlist are
//!    dropped; then rules with a `pair` spec pair each identifier with its
//!    key (see `engine/pair.rs`); matches without a key are dropped where the rule
//!    says a key is required or the line is a signed request.
//! 4. Matches are sorted by (start, rule) and deduplicated.
//!
//! Rules without keywords run their regex over the whole blob.
//!
//! Contract: [`Engine`] is `Send + Sync` and built once; [`Cache`] is
//! per-thread scratch.

mod compile;
mod encoded;
pub mod entropy;
mod fingerprint;
mod keywords;
mod label;
mod lines;
mod pair;
mod tail;

use crate::rule::RuleSet;
use aho_corasick::AhoCorasick;
use compile::CompiledRule;
use std::ops::Range;
use tracing::debug;

/// On lines longer than this, a keyword's window is cut to this many bytes
/// either side of the hit (minified files put everything on one line).
pub const MAX_LINE_REACH: usize = 4096;

/// How many bytes are lower-cased and searched for keywords at a time.
pub const CHUNK: usize = 64 * 1024;

/// A match of one rule in one haystack, as byte ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// The secret (identifier half for pairs).
    pub secret: Range<usize>,
    /// The paired key, when one was found.
    pub key: Option<Range<usize>>,
    /// The session token of a temporary credential, when found.
    pub token: Option<Range<usize>>,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    compiled: Vec<CompiledRule>,
    /// Keyword automata; `None` when no rule has keywords.
    keywords: Option<keywords::Keywords>,
    /// For each keyword pattern, the rules owning it or a keyword inside it.
    owners: Vec<Vec<usize>>,
    /// Length of the longest keyword.
    longest: usize,
    /// Rules without keywords: their regex runs over whole blobs.
    unfiltered: Vec<usize>,
    /// Per rule: the rules whose match over the same bytes it replaces.
    supersedes: Vec<Vec<usize>>,
    /// What provider rules claim for themselves, so generic rules never
    /// report it (see [`Claims`]).
    claims: Claims,
    /// How many nested decodings scans with this engine apply.
    decode_depth: u8,
}

/// Per-thread scratch space for [`Engine::scan`].
#[derive(Debug, Default)]
pub struct Cache {
    /// Per rule: the windows its regex runs in.
    windows: Vec<Vec<Range<usize>>>,
    /// Rules that got a window in this blob.
    touched: Vec<usize>,
    /// Which rules apply to the current path.
    active: Vec<bool>,
    matches: Vec<RawMatch>,
    occupied: Vec<Range<usize>>,
    /// Running maximum of `occupied` ends.
    max_ends: Vec<usize>,
    pair: pair::Scratch,
    /// (rule, secret start) of ids their rule does not claim.
    rejected: Vec<(usize, usize)>,
    /// Spans provider rules matched and rejected (by value checks,
    /// allowlist or published list): no generic rule reports them.
    claimed: Vec<Range<usize>>,
    /// (identifier rule, start) of ids that rule rejected or that only a
    /// generic rule matched: the keys labelled around them are theirs.
    spots: Vec<(usize, usize)>,
    rejected_ids: Vec<usize>,
    /// The lower-cased chunk being searched for keywords.
    folded: Vec<u8>,
    /// The chunk's keyword hits.
    hits: Vec<keywords::Hit>,
    /// Every line break of the haystack, once it has matches to pair.
    breaks: Vec<usize>,
    /// The haystack's encoded-block markers, once a rule asks.
    marks: Option<encoded::Marks>,
}

/// Why a rule set could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A rule's regex does not compile.
    #[error("rule {rule}: invalid pattern: {reason}")]
    InvalidPattern {
        /// The rule id.
        rule: String,
        /// The regex error.
        reason: String,
    },
    /// A rule is malformed in some other way (no secret group, empty keyword).
    #[error("rule {rule}: {reason}")]
    Invalid {
        /// The rule id.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// The keyword automaton could not be built.
    #[error("cannot build the keyword automaton: {0}")]
    Keywords(String),
}

impl BuildError {
    /// The reason without the rule id (for callers that name the rule
    /// themselves).
    pub fn reason(&self) -> String {
        match self {
            BuildError::InvalidPattern { reason, .. } => format!("invalid pattern: {reason}"),
            BuildError::Invalid { reason, .. } => reason.clone(),
            BuildError::Keywords(e) => format!("cannot build the keyword automaton: {e}"),
        }
    }
}

/// Checks that one rule compiles (patterns, secret groups, keywords), as
/// [`Engine::new`] would, without building an engine.
pub fn validate(rule: &crate::rule::Rule) -> Result<(), BuildError> {
    compile::compile(rule, compile::Mode::Eager).map(|_| ())
}

impl Engine {
    /// Compiles every rule; an error names the rule at fault.
    pub fn new(rules: &RuleSet) -> Result<Engine, BuildError> {
        let compiled = compile::sharing(|| {
            rules
                .rules
                .iter()
                .map(|r| {
                    let mode = if crate::rule::is_builtin(r) {
                        compile::Mode::Checked
                    } else {
                        compile::Mode::Lazy
                    };
                    compile::compile(r, mode)
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (i, r) in rules.rules.iter().enumerate() {
            if r.keywords.is_empty() {
                debug!(rule = %r.id, "rule has no keywords; its regex runs over whole blobs");
                unfiltered.push(i);
            }
            for k in &r.keywords {
                let k = k.to_ascii_lowercase();
                match index.get(&k) {
                    Some(&p) => owners[p].push(i),
                    None => {
                        index.insert(k.clone(), patterns.len());
                        patterns.push(k);
                        owners.push(vec![i]);
                    }
                }
            }
        }
        // A hit of a keyword also stands for every keyword inside it.
        // Found with one automaton over the keywords themselves (linear in
        // their total length and the containments), not by comparing every
        // pair (quadratic in the number of rules).
        let direct = owners.clone();
        // An NFA: built in a fraction of a DFA's time, and only ever run
        // over the keywords themselves.
        let inner = (!patterns.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
                    .build(&patterns)
                    .ok()
            })
            .flatten();
        for (p, owned) in owners.iter_mut().enumerate() {
            match &inner {
                Some(ac) => {
                    for m in ac.find_overlapping_iter(patterns[p].as_bytes()) {
                        let q = m.pattern().as_usize();
                        if p != q {
                            owned.extend(&direct[q]);
                        }
                    }
                }
                None => {
                    for (q, other) in patterns.iter().enumerate() {
                        if p != q
                            && memchr::memmem::find(patterns[p].as_bytes(), other.as_bytes())
                                .is_some()
                        {
                            owned.extend(&direct[q]);
                        }
                    }
                }
            }
            owned.sort_unstable();
            owned.dedup();
        }
        let by_id: std::collections::HashMap<&str, Vec<usize>> = rules
            .rules
            .iter()
            .enumerate()
            .fold(Default::default(), |mut m, (i, r)| {
                m.entry(r.id.as_str()).or_default().push(i);
                m
            });
        let supersedes = compiled
            .iter()
            .map(|c| {
                let ids = c.pair.as_ref().map_or(&[][..], |p| &p.supersedes[..]);
                let mut v: Vec<usize> = ids
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()))
                    .flatten()
                    .copied()
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        let claims = Claims::new(rules);
        let keywords = if patterns.is_empty() {
            None
        } else {
            let k = keywords::Keywords::new(&patterns)?;
            debug!(
                rules = rules.rules.len(),
                keywords = patterns.len(),
                kind = ?k.kind,
                unfiltered = unfiltered.len(),
                "engine: aho-corasick automata over all lower-cased keywords, \
                 searched leftmost-first over {CHUNK}-byte lower-cased chunks; \
                 rule regexes run only on the lines around keyword hits"
            );
            Some(k)
        };
        Ok(Engine {
            rules: rules.clone(),
            compiled,
            keywords,
            owners,
            longest,
            unfiltered,
            supersedes,
            claims,
            decode_depth: crate::decode::DEFAULT_DEPTH,
        })
    }

    /// How many nested decodings (base64 of escaped JSON…) scans with this
    /// engine apply to each blob; 0 scans plain bytes only.
    pub fn decode_depth(&self) -> u8 {
        self.decode_depth
    }

    /// Sets [`Engine::decode_depth`].
    pub fn set_decode_depth(&mut self, depth: u8) {
        self.decode_depth = depth;
    }

    /// Whether `text` holds a keyword of some rule (case-insensitive), so
    /// that scanning it could find something. True when a rule has no
    /// keywords.
    pub fn has_keyword(&self, text: &[u8]) -> bool {
        let Some(ac) = self
            .keywords
            .as_ref()
            .filter(|_| self.unfiltered.is_empty())
        else {
            return true;
        };
        // Lower-cased a stack buffer at a time (no allocation per call: the
        // decoder asks this of every candidate span); consecutive pieces
        // overlap by `longest - 1` bytes so no keyword is cut.
        const STEP: usize = 4096;
        let overlap = self.longest.saturating_sub(1);
        if overlap > STEP {
            return ac.is_match(&text.to_ascii_lowercase());
        }
        let mut buf = [0u8; 2 * STEP];
        let mut at = 0;
        loop {
            let end = text.len().min(at + STEP + overlap);
            let piece = &mut buf[..end - at];
            for (d, s) in piece.iter_mut().zip(&text[at..end]) {
                *d = s.to_ascii_lowercase();
            }
            if ac.is_match(&*piece) {
                return true;
            }
            if end == text.len() {
                return false;
            }
            at += STEP;
        }
    }

    /// Whether the last [`Engine::scan`] with `cache` saw a keyword of a rule
    /// that pairs its value with a key (a SecretId's `AKID`, not a generic
    /// `password`): where a split credential is worth looking for.
    pub fn saw_identifier(&self, cache: &Cache) -> bool {
        cache
            .touched
            .iter()
            .any(|&r| self.rules.rules[r].pair.is_some())
    }

    /// The rules this engine was built from; [`RawMatch::rule`] indexes them.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Fresh scratch space for one thread.
    pub fn cache(&self) -> Cache {
        Cache {
            windows: vec![Vec::new(); self.compiled.len()],
            active: vec![false; self.compiled.len()],
            ..Cache::default()
        }
    }

    /// Finds every match in `hay`. `path`, when known, lets path-restricted
    /// rules and path allowlists apply; it is never opened. Appends to `out`
    /// sorted by start offset.
    pub fn scan(&self, cache: &mut Cache, path: Option<&str>, hay: &[u8], out: &mut Vec<RawMatch>) {
        if cache.windows.len() != self.compiled.len() {
            *cache = self.cache();
        }
        for (a, r) in cache.active.iter_mut().zip(&self.compiled) {
            *a = r.applies_to(path);
        }
        cache.touched.clear();
        cache.matches.clear();
        cache.claimed.clear();
        cache.spots.clear();
        cache.marks = None;
        self.collect_windows(cache, hay);
        for &i in &self.unfiltered {
            if cache.active[i] {
                cache.windows[i].push(0..hay.len());
                cache.touched.push(i);
            }
        }
        let touched = std::mem::take(&mut cache.touched);
        for &i in &touched {
            let mut windows = std::mem::take(&mut cache.windows[i]);
            pair::merge(&mut windows);
            self.run_rule(i, hay, &windows, cache);
            windows.clear();
            cache.windows[i] = windows;
        }
        cache.touched = touched;
        if cache.matches.is_empty() {
            return;
        }
        cache.matches.sort_by(|a, b| {
            (a.secret.start, a.rule, a.secret.end).cmp(&(b.secret.start, b.rule, b.secret.end))
        });
        cache
            .matches
            .dedup_by(|a, b| a.rule == b.rule && a.secret == b.secret);
        self.pair_all(cache, hay);
        let start = out.len();
        out.append(&mut cache.matches);
        out[start..].sort_by_key(|m| (m.secret.start, m.rule));
    }

    /// Step 1: keyword hits become per-rule windows.
    fn collect_windows(&self, cache: &mut Cache, hay: &[u8]) {
        let Some(ac) = &self.keywords else { return };
        let mut chunk = 0;
        while chunk < hay.len() {
            // Keywords starting in this chunk end at most `longest - 1` past it.
            let end = hay.len().min(chunk + CHUNK + self.longest - 1);
            cache.folded.clear();
            cache
                .folded
                .extend(hay[chunk..end].iter().map(u8::to_ascii_lowercase));
            let limit = CHUNK.min(end - chunk);
            let mut hits = std::mem::take(&mut cache.hits);
            hits.clear();
            ac.hits(&cache.folded, limit, &mut hits);
            for m in &hits {
                let (start, end) = (chunk + m.start, chunk + m.end);
                for &r in &self.owners[m.keyword] {
                    if !cache.active[r] {
                        continue;
                    }
                    let windows = &mut cache.windows[r];
                    if windows
                        .last()
                        .is_some_and(|w| w.start <= start && end <= w.end)
                    {
                        continue;
                    }
                    if windows.is_empty() {
                        cache.touched.push(r);
                    }
                    let c = &self.compiled[r];
                    windows.push(keyword_window(
                        hay,
                        start..end,
                        c.window_lines_before,
                        c.window_lines,
                    ));
                }
            }
            cache.hits = hits;
            chunk += CHUNK;
        }
    }

    /// Step 2 and 3: a rule's regex in its windows, with value checks.
    fn run_rule(&self, i: usize, hay: &[u8], windows: &[Range<usize>], cache: &mut Cache) {
        let rule = &self.compiled[i];
        for w in windows {
            for secret in pair::find_all(&rule.re, hay, w.clone()) {
                if rule.accepts(&hay[secret.clone()], rule.min_entropy)
                    && !(rule.allow.encoded_blocks
                        && encoded::inside(
                            hay,
                            cache.marks.get_or_insert_with(|| encoded::Marks::of(hay)),
                            &secret,
                        ))
                {
                    cache.matches.push(RawMatch {
                        rule: i,
                        secret,
                        key: None,
                        token: None,
                    });
                } else if !rule.generic {
                    if rule.pair.is_some() {
                        cache.spots.push((i, secret.start));
                    }
                    cache.claimed.push(secret);
                }
            }
        }
    }

    /// Step 3: pairing, then dropping unpaired matches the rule does not
    /// want and generic matches over bytes a specific rule claimed.
    fn pair_all(&self, cache: &mut Cache, hay: &[u8]) {
        let has_pairs = cache
            .matches
            .iter()
            .any(|m| self.compiled[m.rule].pair.is_some());
        let has_generic = cache.matches.iter().any(|m| self.compiled[m.rule].generic);
        if !has_pairs && !has_generic {
            return;
        }
        lines::index(hay, &mut cache.breaks);
        let lines = lines::Lines::indexed(hay, &cache.breaks);
        // Identifiers are never keys: candidates over them are skipped.
        cache.occupied.clear();
        cache.occupied.extend(
            cache
                .matches
                .iter()
                .filter(|m| self.compiled[m.rule].pair.is_some())
                .map(|m| m.secret.clone()),
        );
        cache.occupied.sort_unstable_by_key(|r| r.start);
        cache.matches.sort_by_key(|m| (m.rule, m.secret.start));
        cache.rejected.clear();
        let mut from = 0;
        while from < cache.matches.len() {
            let rule = cache.matches[from].rule;
            let to = from + cache.matches[from..].partition_point(|m| m.rule == rule);
            let compiled = &self.compiled[rule];
            if let Some(spec) = &compiled.pair {
                cache.rejected_ids.clear();
                pair::pair(
                    compiled,
                    spec,
                    &lines,
                    &mut cache.matches[from..to],
                    &cache.occupied,
                    &mut cache.pair,
                    &mut cache.rejected_ids,
                );
                cache.claimed.append(&mut cache.pair.claimed);
                for &i in &cache.rejected_ids {
                    cache
                        .rejected
                        .push((rule, cache.matches[from + i].secret.start));
                }
            }
            from = to;
        }
        // Whatever a provider rule matched, kept or not, is its own: ids
        // it will drop, keys and tokens it paired.
        for m in cache
            .matches
            .iter()
            .filter(|m| !self.compiled[m.rule].generic)
        {
            cache.claimed.push(m.secret.clone());
            cache.claimed.extend(m.key.iter().chain(&m.token).cloned());
        }
        // Sorted: groups are visited by rule and ids by start.
        let rejected = std::mem::take(&mut cache.rejected);
        cache
            .matches
            .retain(|m| rejected.binary_search(&(m.rule, m.secret.start)).is_err());
        cache.rejected = rejected;
        cache.occupied.clear();
        cache.occupied.append(&mut cache.claimed);
        cache.occupied.sort_unstable_by_key(|r| r.start);
        // Running maximum of ends: some claimed range among those starting
        // before `b` overlaps `a..b` exactly when their largest end is past `a`.
        let mut max_end = 0;
        cache.max_ends.clear();
        cache.max_ends.extend(cache.occupied.iter().map(|o| {
            max_end = max_end.max(o.end);
            max_end
        }));
        for m in cache
            .matches
            .iter()
            .filter(|m| self.compiled[m.rule].generic)
        {
            if let Some(owner) = self.claims.owner(&hay[m.secret.clone()]) {
                cache.spots.push((owner, m.secret.start));
            }
        }
        let (occupied, ends, spots) = (&cache.occupied, &cache.max_ends, &cache.spots);
        let mut seen = WindowChecks::default();
        cache.matches.retain(|m| {
            let r = &self.compiled[m.rule];
            if r.generic {
                let before = occupied.partition_point(|o| o.start < m.secret.end);
                return (before == 0 || ends[before - 1] <= m.secret.start)
                    && !self.claims.claims(&hay[m.secret.clone()])
                    && !self.near_claimed_id(&lines, &m.secret, spots);
            }
            m.key.is_some()
                || !(r.pair.as_ref().is_some_and(|p| p.required)
                    || r.on_unpaired_line(&lines, &m.secret, m.rule, &mut seen))
        });
        self.drop_superseded(cache);
    }

    /// Whether the generic value at `secret` is labelled as the key of an id
    /// an identifier rule claimed near it (`spots`): the other half of a
    /// credential the provider rule decided about.
    fn near_claimed_id(
        &self,
        lines: &lines::Lines,
        secret: &Range<usize>,
        spots: &[(usize, usize)],
    ) -> bool {
        let Some(word) = label::label(lines, secret.start) else {
            return false;
        };
        spots.iter().any(|&(rule, at)| {
            self.compiled[rule].pair.as_ref().is_some_and(|p| {
                p.is_key_label(word)
                    && pair::window(lines, &(at..at + 1), p.within_lines).contains(&secret.start)
            })
        })
    }

    /// Drops matches of a rule another kept match supersedes over the same
    /// bytes (a temporary SecretId is not also reported as a long-term one).
    fn drop_superseded(&self, cache: &mut Cache) {
        if self.supersedes.iter().all(Vec::is_empty) {
            return;
        }
        let mut replaced: Vec<(usize, usize, usize)> = Vec::new();
        for m in &cache.matches {
            for &other in &self.supersedes[m.rule] {
                replaced.push((other, m.secret.start, m.secret.end));
            }
        }
        if replaced.is_empty() {
            return;
        }
        replaced.sort_unstable();
        cache.matches.retain(|m| {
            replaced
                .binary_search(&(m.rule, m.secret.start, m.secret.end))
                .is_err()
        });
    }
}

/// What provider (non-generic) rules claim by value, wherever it sits: their
/// published documentation values, and values shaped as their identifiers
/// (starting with an identifier rule's keyword, `AKID…`, `LTAI…`) even where
/// the rule's own pattern rejected them (an API Gateway key is AKID + 36).
/// A generic rule reports none of them: one precedence rule, whatever the
/// provider decided about the value.
#[derive(Debug, Default)]
struct Claims {
    published: std::collections::HashSet<Vec<u8>>,
    /// Lower-cased keywords of identifier rules (rules with a `pair`), with
    /// the rule.
    prefixes: Vec<(Vec<u8>, usize)>,
}

impl Claims {
    fn new(rules: &RuleSet) -> Claims {
        let mut c = Claims::default();
        for (i, r) in rules.rules.iter().enumerate().filter(|(_, r)| !r.generic) {
            c.published.extend(
                r.allow
                    .published
                    .iter()
                    .map(|p| p.value.as_bytes().to_vec()),
            );
            if r.pair.is_some() {
                c.prefixes.extend(
                    r.keywords
                        .iter()
                        .map(|k| (k.to_ascii_lowercase().into_bytes(), i)),
                );
            }
        }
        c
    }

    /// Whether a provider rule claims `value`.
    fn claims(&self, value: &[u8]) -> bool {
        self.published.contains(value) || self.owner(value).is_some()
    }

    /// The identifier rule whose shape `value` has (starts with its keyword).
    fn owner(&self, value: &[u8]) -> Option<usize> {
        self.prefixes
            .iter()
            .find(|(p, _)| value.len() > p.len() && value[..p.len()].eq_ignore_ascii_case(p))
            .map(|&(_, i)| i)
    }
}

/// The answers of window checks already made in one blob, by (rule, which
/// check, window): matches sharing a window share the regex run.
#[derive(Default)]
struct WindowChecks(std::collections::HashMap<(usize, u8, Range<usize>), bool>);

impl WindowChecks {
    fn check(&mut self, rule: usize, which: u8, w: Range<usize>, f: impl FnOnce() -> bool) -> bool {
        *self.0.entry((rule, which, w)).or_insert_with(f)
    }
}

impl CompiledRule {
    /// Whether an unpaired match at `secret` stands in a place that shows it
    /// is not a leaked credential: a signed request on its line or around
    /// it, or a label that makes it a value being looked up. The windows
    /// are grid-aligned on long lines, so the checks run once per window.
    fn on_unpaired_line(
        &self,
        lines: &lines::Lines,
        secret: &Range<usize>,
        rule: usize,
        seen: &mut WindowChecks,
    ) -> bool {
        let a = &self.allow;
        if !a.unpaired_lines.is_empty() {
            let w = lines.grid(secret, 0, MAX_LINE_REACH);
            let line = &lines.hay[w.clone()];
            if seen.check(rule, 0, w, || {
                a.unpaired_lines.iter().any(|r| r.is_match(line))
            }) {
                return true;
            }
        }
        if !a.unpaired_near.is_empty() {
            let n = self.pair.as_ref().map_or(0, |p| p.within_lines);
            let w = lines.grid(secret, n, pair::MAX_REACH);
            let near = &lines.hay[w.clone()];
            if seen.check(rule, 1, w, || {
                a.unpaired_near.iter().any(|r| r.is_match(near))
            }) {
                return true;
            }
        }
        !a.unpaired_labels.is_empty()
            && label::label(lines, secret.start)
                .is_some_and(|l| label::is_hint(l, &a.unpaired_labels))
    }
}

/// The window for a keyword hit: its line, `before` lines before and
/// `extra` lines after, cut to [`MAX_LINE_REACH`] bytes per line around the
/// hit on long lines; nothing past that reach is searched.
fn keyword_window(hay: &[u8], hit: Range<usize>, before: u32, extra: u32) -> Range<usize> {
    let back = MAX_LINE_REACH * (1 + before as usize);
    let ahead = MAX_LINE_REACH * (1 + extra as usize);
    lines::Lines::scan(hay).around(&hit, before as usize, extra as usize, back, ahead)
}

#[cfg(test)]
mod lazy_tests;
#[cfg(test)]
mod tests;
