//! The keyword prefilter's automata: every rule keyword, lower-cased,
//! searched over lower-cased text, hits reported in order of their start;
//! at each position the first-listed keyword of each group (keywords of
//! [`fingerprint::LEN`] bytes or more, shorter ones), as a leftmost-first
//! search resumed one byte after each hit reports them.
//!
//! Keywords of at least [`fingerprint::LEN`] bytes are found by one
//! aho-corasick automaton over their 4-byte fingerprints (see
//! `fingerprint.rs`), each hit checked against the keywords holding that
//! fingerprint: the SIMD prefilter (Teddy) then flags far fewer places than
//! over the keywords' own first bytes, which in source code (`secr`,
//! `pass`, `acce`) look like most words. Shorter keywords get an automaton
//! of their own: Teddy fingerprints every pattern by as many leading bytes
//! as the shortest one has, and one 3-byte keyword among 60 longer ones
//! (Baidu's `bce`) made the whole search twice as slow.

use super::BuildError;
use super::fingerprint;
use aho_corasick::{AhoCorasick, Input, MatchKind};

/// Keywords found through their fingerprints.
#[derive(Debug)]
struct Long {
    ac: AhoCorasick,
    /// For each fingerprint: the keywords holding it (their index in
    /// [`Keywords::new`]'s list) and where in each it starts.
    holders: Vec<Vec<(usize, usize)>>,
    /// Every keyword, by its index (the short ones too, unused here).
    keywords: Vec<Vec<u8>>,
}

/// Keywords searched for as they are.
#[derive(Debug)]
struct Group {
    ac: AhoCorasick,
    /// For each of its patterns, the keyword's index in [`Keywords::new`]'s list.
    index: Vec<usize>,
}

/// A keyword hit: where it starts and ends, and which keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    pub keyword: usize,
}

/// The compiled keyword set.
#[derive(Debug)]
pub(super) struct Keywords {
    long: Option<Long>,
    short: Option<Group>,
    /// Kind of the main automaton, for the debug log.
    pub kind: aho_corasick::AhoCorasickKind,
}

fn automaton<P: AsRef<[u8]>>(patterns: &[P]) -> Result<AhoCorasick, BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(patterns)
        .map_err(|e| BuildError::Keywords(e.to_string()))
}

impl Keywords {
    /// Compiles `patterns` (lower-cased, distinct, at least one).
    pub fn new(patterns: &[String]) -> Result<Keywords, BuildError> {
        let (long, short): (Vec<usize>, Vec<usize>) =
            (0..patterns.len()).partition(|&i| patterns[i].len() >= fingerprint::LEN);
        let long = if long.is_empty() {
            None
        } else {
            let words: Vec<&[u8]> = long.iter().map(|&i| patterns[i].as_bytes()).collect();
            let (prints, of_keyword) = fingerprint::choose(&words);
            let mut holders = vec![Vec::new(); prints.len()];
            for (k, &(f, at)) in of_keyword.iter().enumerate() {
                holders[f].push((long[k], at));
            }
            Some(Long {
                ac: automaton(&prints)?,
                holders,
                keywords: patterns.iter().map(|p| p.as_bytes().to_vec()).collect(),
            })
        };
        let short = if short.is_empty() {
            None
        } else {
            let words: Vec<&String> = short.iter().map(|&i| &patterns[i]).collect();
            Some(Group {
                ac: automaton(&words)?,
                index: short,
            })
        };
        let kind = match (&long, &short) {
            (Some(l), _) => l.ac.kind(),
            (None, Some(s)) => s.ac.kind(),
            (None, None) => return Err(BuildError::Keywords("no keywords".into())),
        };
        Ok(Keywords { long, short, kind })
    }

    /// Appends to `hits` every keyword hit in `folded` (lower-cased text)
    /// that starts before `limit`, sorted by start. Within one group a
    /// position reports its first-listed keyword; a short and a long
    /// keyword starting at one position both report.
    pub fn hits(&self, folded: &[u8], limit: usize, hits: &mut Vec<Hit>) {
        let from = hits.len();
        if let Some(l) = &self.long {
            l.hits(folded, limit, hits);
        }
        if let Some(g) = &self.short {
            g.hits(folded, limit, hits);
        }
        if self.long.is_some() && self.short.is_some() {
            hits[from..].sort_unstable();
        }
    }

    /// Whether `folded` (lower-cased text) holds a keyword.
    pub fn is_match(&self, folded: &[u8]) -> bool {
        self.long.as_ref().is_some_and(|l| l.is_match(folded))
            || self.short.as_ref().is_some_and(|g| g.ac.is_match(folded))
    }
}

impl Group {
    /// Every hit of a leftmost-first search resumed one byte after each
    /// hit's start, up to `limit`.
    fn hits(&self, folded: &[u8], limit: usize, hits: &mut Vec<Hit>) {
        let mut at = 0;
        while at < limit {
            let Some(m) = self.ac.find(Input::new(folded).span(at..folded.len())) else {
                break;
            };
            if m.start() >= limit {
                break;
            }
            at = m.start() + 1;
            hits.push(Hit {
                start: m.start(),
                end: m.end(),
                keyword: self.index[m.pattern().as_usize()],
            });
        }
    }
}

impl Long {
    /// Each fingerprint hit in `folded`, as the keywords holding it that
    /// read there in full and start before `limit`.
    fn each(&self, folded: &[u8], limit: usize, mut f: impl FnMut(usize, usize) -> bool) {
        let mut at = 0;
        while let Some(m) = self.ac.find(Input::new(folded).span(at..folded.len())) {
            at = m.start() + 1;
            for &(k, off) in &self.holders[m.pattern().as_usize()] {
                let Some(start) = m.start().checked_sub(off) else {
                    continue;
                };
                if start < limit && folded[start..].starts_with(&self.keywords[k]) && !f(start, k) {
                    return;
                }
            }
        }
    }

    fn hits(&self, folded: &[u8], limit: usize, hits: &mut Vec<Hit>) {
        let from = hits.len();
        self.each(folded, limit, |start, k| {
            hits.push(Hit {
                start,
                end: start + self.keywords[k].len(),
                keyword: k,
            });
            true
        });
        // Found by fingerprint position, not by start: the first-listed
        // keyword of each start is kept, as a leftmost-first search does.
        hits[from..].sort_unstable_by_key(|h| (h.start, h.keyword));
        let mut kept = from;
        for i in from..hits.len() {
            if kept == from || hits[kept - 1].start != hits[i].start {
                hits[kept] = hits[i];
                kept += 1;
            }
        }
        hits.truncate(kept);
    }

    fn is_match(&self, folded: &[u8]) -> bool {
        let mut found = false;
        self.each(folded, folded.len(), |_, _| {
            found = true;
            false
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hit a leftmost-first search over the keywords themselves,
    /// resumed one byte after each hit, reports (one group per length
    /// class, as [`Keywords::hits`] promises).
    fn reference(list: &[&str], text: &[u8], limit: usize) -> Vec<Hit> {
        let mut hits = Vec::new();
        for long in [true, false] {
            let index: Vec<usize> = (0..list.len())
                .filter(|&i| (list[i].len() >= fingerprint::LEN) == long)
                .collect();
            if index.is_empty() {
                continue;
            }
            let ac = automaton(&index.iter().map(|&i| list[i]).collect::<Vec<_>>()).unwrap();
            Group { ac, index }.hits(text, limit, &mut hits);
        }
        hits.sort_unstable();
        hits
    }

    #[test]
    fn fingerprint_hits_are_those_of_a_search_for_the_keywords_themselves() {
        // Keywords sharing windows, holding one another, starting alike,
        // and a short one; text made of their pieces.
        let list = [
            "secret",
            "password",
            "passwd",
            "securitytoken",
            "sec_ret",
            "ssw",
            "akid",
            "ikid",
            "kid_",
            "hw_access",
            "access_token",
            "bce",
            "obs_access",
            "swor",
            "password_x",
        ];
        let k = keywords(&list);
        let pieces: Vec<&[u8]> = vec![
            b"sec", b"ret", b"pass", b"word", b"wd", b"token", b"urity", b"_", b"a", b"kid", b"i",
            b"hw", b"obs", b"access", b"bce", b" ", b"x", b"\n", b"ssw", b"_x",
        ];
        let mut text = Vec::new();
        let mut x = 7u32;
        for _ in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            text.extend_from_slice(pieces[(x >> 16) as usize % pieces.len()]);
        }
        for limit in [text.len(), text.len() - 9, text.len() / 2] {
            let mut hits = Vec::new();
            k.hits(&text, limit, &mut hits);
            assert_eq!(hits, reference(&list, &text, limit), "limit {limit}");
            assert!(hits.len() > 1000, "the text holds keywords");
        }
        assert!(k.is_match(b"xx_passwd"));
        assert!(!k.is_match(b"pasw sec_re akd sw"));
    }

    fn keywords(list: &[&str]) -> Keywords {
        Keywords::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn short_and_long_keywords_are_found_in_order() {
        let k = keywords(&["secret", "bce", "akid"]);
        let mut hits = Vec::new();
        let text = b"bce akid secret xbce";
        k.hits(text, text.len(), &mut hits);
        let found: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.keyword)).collect();
        assert_eq!(found, [(0, 1), (4, 2), (9, 0), (17, 1)]);
        assert!(k.is_match(b"xxbcexx"));
        assert!(k.is_match(b"xxakidxx"));
        assert!(!k.is_match(b"bc aki secre"));
    }

    #[test]
    fn hits_past_the_limit_are_left_for_the_next_chunk() {
        let k = keywords(&["secret", "bce"]);
        let mut hits = Vec::new();
        k.hits(b"abce secret", 2, &mut hits);
        assert_eq!(hits.iter().map(|h| h.start).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn only_short_keywords_make_one_automaton() {
        let k = keywords(&["bce", "ak"]);
        let mut hits = Vec::new();
        k.hits(b"akbce", 5, &mut hits);
        assert_eq!(hits.iter().map(|h| h.keyword).collect::<Vec<_>>(), [1, 0]);
    }
}
