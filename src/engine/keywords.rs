//! The keyword prefilter's automata: every rule keyword, lower-cased, in one
//! of two aho-corasick automata by length, searched leftmost-first over
//! lower-cased text, hits reported in order of their start.
//!
//! Keywords shorter than [`FINGERPRINT`] bytes get an automaton of their own:
//! aho-corasick's SIMD prefilter (Teddy) fingerprints every pattern by as
//! many leading bytes as the shortest one has, and one 3-byte keyword among
//! 60 longer ones (Baidu's `bce`) made the whole search twice as slow. The
//! few short keywords are searched separately (one of them by `memmem`).

use super::BuildError;
use aho_corasick::{AhoCorasick, Input, MatchKind};

/// Keywords at least this long share the main automaton (Teddy's widest
/// fingerprint).
const FINGERPRINT: usize = 4;

/// One automaton over some of the keywords.
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
    groups: Vec<Group>,
    /// Kind of the main automaton, for the debug log.
    pub kind: aho_corasick::AhoCorasickKind,
}

impl Keywords {
    /// Compiles `patterns` (lower-cased, distinct, at least one).
    pub fn new(patterns: &[String]) -> Result<Keywords, BuildError> {
        let (long, short): (Vec<usize>, Vec<usize>) =
            (0..patterns.len()).partition(|&i| patterns[i].len() >= FINGERPRINT);
        let mut groups = Vec::new();
        for index in [long, short] {
            if index.is_empty() {
                continue;
            }
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(index.iter().map(|&i| &patterns[i]))
                .map_err(|e| BuildError::Keywords(e.to_string()))?;
            groups.push(Group { ac, index });
        }
        let kind = groups[0].ac.kind();
        Ok(Keywords { groups, kind })
    }

    /// Appends to `hits` every keyword hit in `folded` (lower-cased text)
    /// that starts before `limit`, sorted by start. Within one automaton a
    /// position reports its first-listed keyword (the search resumes one
    /// byte after each hit's start, so overlapping keywords are not lost);
    /// a short and a long keyword starting at one position both report.
    pub fn hits(&self, folded: &[u8], limit: usize, hits: &mut Vec<Hit>) {
        let from = hits.len();
        for g in &self.groups {
            let mut at = 0;
            while at < limit {
                let Some(m) = g.ac.find(Input::new(folded).span(at..folded.len())) else {
                    break;
                };
                if m.start() >= limit {
                    break;
                }
                at = m.start() + 1;
                hits.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    keyword: g.index[m.pattern().as_usize()],
                });
            }
        }
        if self.groups.len() > 1 {
            hits[from..].sort_unstable();
        }
    }

    /// Whether `folded` (lower-cased text) holds a keyword.
    pub fn is_match(&self, folded: &[u8]) -> bool {
        self.groups.iter().any(|g| g.ac.is_match(folded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
