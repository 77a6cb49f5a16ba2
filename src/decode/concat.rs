//! String literals joined by concatenation (`'AKIDxxxx' + '…'`, continued
//! on the next line, further parts joined by `+`, `.` or `..`, or written
//! side by side as Python and C join them: `("AKIDxxxx"\n "…")`): the
//! joined text replaces the literals, so a SecretId or SecretKey split to
//! dodge scanners reads whole and pairs. A join starts at a `+` between two
//! literals or, where the caller allows the look at every quote, at a
//! closing quote followed by blanks and another quote.

use super::text::Search;
use super::{Encoding, LITERAL, MIN_DECODED, Segment};
use std::ops::Range;

/// The longest literal looked at on either side of a `+`.
const MAX_LITERAL: usize = 4096;

/// Most literals joined in one span.
const MAX_PARTS: usize = 64;

/// The shortest token a join must put back together to be kept without a
/// keyword of its own: the shortest SecretKey-like value of the rules.
const SPLIT_RUN: usize = 20;

fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The literal whose closing quote is at `close`: its content's range.
fn literal_before(text: &[u8], close: usize, lo: usize) -> Option<Range<usize>> {
    let q = text[close];
    let from = lo.max(close.saturating_sub(MAX_LITERAL));
    let open = text[from..close]
        .iter()
        .rposition(|&b| b == q || b == b'\n')?
        + from;
    (text[open] == q).then_some(open + 1..close)
}

/// The literal whose opening quote is at `open`: its content's range.
fn literal_after(text: &[u8], open: usize, hi: usize) -> Option<Range<usize>> {
    let q = text[open];
    let to = hi.min(open + 1 + MAX_LITERAL);
    let close = text[open + 1..to]
        .iter()
        .position(|&b| b == q || b == b'\n' || b == b'\\')?
        + open
        + 1;
    (text[close] == q).then_some(open + 1..close)
}

/// After a literal ending (closing quote) at `close`, the opening quote of
/// the literal joined to it, if one is: by an operator, or (`adjacent`)
/// by blanks alone before a quote of the same kind.
fn joined_next(text: &[u8], close: usize, hi: usize, adjacent: bool) -> Option<usize> {
    let mut i = close + 1;
    while i < hi && blank(text[i]) {
        i += 1;
    }
    match text.get(i..hi.min(i + 2))? {
        [b'+', ..] => i += 1,
        [b'.', b'.'] => i += 2,
        [b'.', ..] => i += 1,
        [q, ..] if adjacent && *q == text[close] && i > close + 1 => return Some(i),
        _ => return None,
    }
    while i < hi && blank(text[i]) {
        i += 1;
    }
    (i < hi && matches!(text[i], b'"' | b'\'')).then_some(i)
}

/// Where a join may start at `i` (a `+`, or a quote when `adjacent`): the
/// closing quote of the first literal.
fn first_close(text: &[u8], i: usize, within: &Range<usize>, adjacent: bool) -> Option<usize> {
    if text[i] != b'+' {
        return (adjacent && joined_next(text, i, within.end, true).is_some()).then_some(i);
    }
    let mut q = i;
    while q > within.start && blank(text[q - 1]) {
        q -= 1;
    }
    (q > within.start && matches!(text[q - 1], b'"' | b'\'')).then(|| q - 1)
}

/// Whether a run of base64 characters at least [`SPLIT_RUN`] long crosses
/// a part boundary of `joined` (`ends`: where each part but the last ends):
/// a token cut in two, such as a SecretKey split to dodge scanners.
fn splits_a_token(joined: &[u8], ends: &[usize]) -> bool {
    let token = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    ends.iter().any(|&e| {
        let left = joined[..e].iter().rev().take_while(|b| token(b)).count();
        let right = joined[e..].iter().take_while(|b| token(b)).count();
        left > 0 && right > 0 && left + right >= SPLIT_RUN
    })
}

/// Joined literals inside `within`, appended to `out`, where the joined
/// text `interesting` accepts or the join put a cut token back together
/// (the layer keeps it only near a keyword).
pub(super) fn find(s: &Search, budget: &mut usize, out: &mut Vec<Segment>) {
    let (text, within, interesting) = (s.text, &s.within, s.interesting);
    let adjacent = s.adjacent;
    let mut at = within.start;
    let next = |from: usize| {
        let hay = &text[from..within.end];
        if adjacent {
            memchr::memchr3(b'+', b'"', b'\'', hay)
        } else {
            memchr::memchr(b'+', hay)
        }
    };
    while let Some(off) = next(at) {
        let i = at + off;
        at = i + 1;
        let Some(mut close) = first_close(text, i, within, adjacent) else {
            continue;
        };
        let Some(first) = literal_before(text, close, within.start) else {
            continue;
        };
        let mut parts = vec![first];
        while parts.len() < MAX_PARTS {
            let Some(open) = joined_next(text, close, within.end, adjacent) else {
                break;
            };
            let Some(next) = literal_after(text, open, within.end) else {
                break;
            };
            close = next.end;
            parts.push(next);
        }
        if parts.len() < 2 {
            continue;
        }
        at = close + 1;
        let mut joined = Vec::new();
        let mut map = Vec::new();
        let mut ends = Vec::with_capacity(parts.len());
        let src = parts[0].start..close;
        for p in &parts {
            joined.extend_from_slice(&text[p.clone()]);
            ends.push(joined.len());
            map.extend(p.clone().map(|i| (i - src.start) as u32 | LITERAL));
        }
        ends.pop();
        map.push(src.len() as u32);
        if joined.len() < MIN_DECODED
            || joined.len() > *budget
            || !(interesting(&joined) || splits_a_token(&joined, &ends))
        {
            continue;
        }
        *budget -= joined.len();
        out.push(Segment {
            src,
            enc: Encoding::Concat,
            text: joined,
            map: Some(map),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The joined texts `find` gives for `text`, every join `interesting`
    /// or not as `keyword` says, side by side literals joined if `adjacent`.
    fn joins(text: &str, keyword: bool, adjacent: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut budget = 1 << 20;
        let search = Search {
            text: text.as_bytes(),
            within: 0..text.len(),
            interesting: &|_| keyword,
            adjacent,
        };
        find(&search, &mut budget, &mut out);
        out.iter()
            .map(|s| String::from_utf8(s.text.clone()).unwrap())
            .collect()
    }

    fn joined(text: &str) -> Vec<String> {
        joins(text, true, true)
    }

    #[test]
    fn literals_joined_by_plus_dot_or_dots_read_whole() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let (a, b) = id.split_at(10);
        assert_eq!(joined(&format!("id = '{a}' + '{b}';")), [id]);
        assert_eq!(joined(&format!("id = \"{a}\" +\n    \"{b}\"")), [id]);
        assert_eq!(joined(&format!("$id = \"{a}\" . \"{b}\";")), [id]);
        assert_eq!(joined(&format!("x = \"a\" + \"{b}\" .. \"{a}\"")).len(), 1);
        assert_eq!(joined("total = count + 1"), Vec::<String>::new());
    }

    #[test]
    fn literals_side_by_side_join_only_when_asked() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let (a, b) = id.split_at(10);
        let python = format!("SECRET_ID = (\"{a}\"\n    \"{b}\")");
        assert_eq!(joined(&python), [id]);
        assert_eq!(joined(&format!("char *id = \"{a}\" \"{b}\";")), [id]);
        assert_eq!(joined(&format!("x = ['{a}', '{b}']")), Vec::<String>::new());
        assert_eq!(joined(&format!("x = '{a}' \"{b}\"")), Vec::<String>::new());
        let php = format!("$id = \"{a}\" . \"{b}\";");
        for text in [python, php] {
            assert!(
                joins(&text, true, false).is_empty(),
                "no plus, not asked: {text}"
            );
        }
    }

    #[test]
    fn a_join_without_a_keyword_is_kept_only_when_it_mends_a_token() {
        let key = "Rq8Kz3LmN5pT7vW2xY4bC6dF9gH1jK0s";
        let (a, b) = key.split_at(16);
        let split = format!("key = \"{a}\" +\n  \"{b}\";");
        assert_eq!(joins(&split, false, true), [key]);
        let words = "msg = \"the quick brown fox \" + \"jumps over the lazy dog\";";
        assert!(joins(words, false, true).is_empty());
    }
}
