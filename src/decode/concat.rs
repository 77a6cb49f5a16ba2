//! String literals joined by concatenation (`'AKIDxxxx' + '…'`, continued
//! on the next line, further parts joined by `+`, `.` or `..`): the joined
//! text replaces the literals, so a SecretId split to dodge scanners reads
//! whole and pairs with its key. A join starts at a `+` between two
//! literals.

use super::text::Search;
use super::{Encoding, LITERAL, MIN_DECODED, Segment};
use std::ops::Range;

/// The longest literal looked at on either side of a `+`.
const MAX_LITERAL: usize = 4096;

/// Most literals joined in one span.
const MAX_PARTS: usize = 64;

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
/// the literal joined to it, if one is.
fn joined_next(text: &[u8], close: usize, hi: usize) -> Option<usize> {
    let mut i = close + 1;
    while i < hi && blank(text[i]) {
        i += 1;
    }
    match text.get(i..hi.min(i + 2))? {
        [b'+', ..] => i += 1,
        [b'.', b'.'] => i += 2,
        [b'.', ..] => i += 1,
        _ => return None,
    }
    while i < hi && blank(text[i]) {
        i += 1;
    }
    (i < hi && matches!(text[i], b'"' | b'\'')).then_some(i)
}

/// Joined literals inside `within`, appended to `out`, where the joined
/// text `interesting` accepts.
pub(super) fn find(s: &Search, budget: &mut usize, out: &mut Vec<Segment>) {
    let (text, within, interesting) = (s.text, &s.within, s.interesting);
    let mut at = within.start;
    while let Some(off) = memchr::memchr(b'+', &text[at..within.end]) {
        let plus = at + off;
        at = plus + 1;
        let mut q = plus;
        while q > within.start && blank(text[q - 1]) {
            q -= 1;
        }
        if q == within.start || !matches!(text[q - 1], b'"' | b'\'') {
            continue;
        }
        let Some(first) = literal_before(text, q - 1, within.start) else {
            continue;
        };
        let mut parts = vec![first];
        let mut close = q - 1;
        while parts.len() < MAX_PARTS {
            let Some(open) = joined_next(text, close, within.end) else {
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
        let src = parts[0].start..close;
        for p in &parts {
            joined.extend_from_slice(&text[p.clone()]);
            map.extend(p.clone().map(|i| (i - src.start) as u32 | LITERAL));
        }
        map.push(src.len() as u32);
        if joined.len() < MIN_DECODED || joined.len() > *budget || !interesting(&joined) {
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

    fn joined(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut budget = 1 << 20;
        let search = Search {
            text: text.as_bytes(),
            within: 0..text.len(),
            interesting: &|_| true,
        };
        find(&search, &mut budget, &mut out);
        out.iter()
            .map(|s| String::from_utf8(s.text.clone()).unwrap())
            .collect()
    }

    #[test]
    fn literals_joined_by_plus_dot_or_dots_read_whole() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let (a, b) = id.split_at(10);
        assert_eq!(joined(&format!("id = '{a}' + '{b}';")), [id]);
        assert_eq!(joined(&format!("id = \"{a}\" +\n    \"{b}\"")), [id]);
        assert_eq!(
            joined(&format!("$id = \"{a}\" . \"{b}\";")),
            Vec::<String>::new(),
            "no plus"
        );
        assert_eq!(joined(&format!("x = \"a\" + \"{b}\" .. \"{a}\"")).len(), 1);
        assert_eq!(joined("total = count + 1"), Vec::<String>::new());
    }
}
