//! Finding candidate spans in a text and decoding them: base64 runs
//! (wrapped over lines too), `%XX` runs, escaped string literals and runs
//! with HTML entities. Base64 that is not text goes to the inflater and the
//! decryptors.

use super::{Encoding, LITERAL, MIN_BASE64_RUN, MIN_DECODED, Segment, crypt, is_text};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use memchr::{memchr, memrchr};
use std::ops::Range;

/// The longest span of the byte-keeping decoders (percent, escapes,
/// entities): their offset maps cost 4 bytes per byte.
const MAX_SPAN: usize = 256 * 1024;

/// The longest base64 span decoded.
const MAX_BASE64: usize = 16 << 20;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Finds and decodes the candidate spans of `text` inside `within`,
/// appending the usable ones to `out` sorted and disjoint. Each decoded
/// byte is charged to `budget`; nothing is decoded once it is spent.
/// Escaped, percent-encoded and entity runs are decoded only where
/// `interesting` accepts their raw bytes (those decoders keep letters and
/// digits as they are, so a keyword shows through). `adjacent`: string
/// literals written side by side are joined too.
pub(super) fn find(
    text: &[u8],
    within: Range<usize>,
    budget: &mut usize,
    interesting: &dyn Fn(&[u8]) -> bool,
    adjacent: bool,
    out: &mut Vec<Segment>,
) {
    let mut found: Vec<Segment> = Vec::new();
    base64_runs(text, within.clone(), budget, &mut found);
    let search = Search {
        text,
        within,
        interesting,
        adjacent,
    };
    marked_runs(&search, budget, &mut found);
    super::concat::find(&search, budget, &mut found);
    // Outer spans first; a span overlapping one already taken is dropped.
    found.sort_by_key(|s| (s.src.start, std::cmp::Reverse(s.src.end)));
    let mut end = 0;
    for s in found {
        if s.src.start >= end {
            end = s.src.end;
            out.push(s);
        }
    }
}

/// Where the decoders of marked runs and joined literals look: the text,
/// the span of it searched, and which raw bytes are worth decoding.
pub(super) struct Search<'a> {
    pub text: &'a [u8],
    pub within: Range<usize>,
    pub interesting: &'a dyn Fn(&[u8]) -> bool,
    /// Whether literals side by side (no operator) are joined: costs a look
    /// at every quote.
    pub adjacent: bool,
}

/// Which bytes are base64 characters of either alphabet (`=` is not: it
/// only ends a run).
const BASE64_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        b += 1;
    }
    t
};

fn is_b64(b: u8) -> bool {
    BASE64_CHARS[b as usize]
}

/// Base64 runs of at least [`MIN_BASE64_RUN`] characters, each decoded
/// with the lines it wraps onto.
fn base64_runs(text: &[u8], within: Range<usize>, budget: &mut usize, out: &mut Vec<Segment>) {
    let mut from = within.start;
    while let Some(run) = next_run(text, from, within.end) {
        let (span, chars) = wrapped(text, run, within.end);
        from = span.end;
        if let Some(seg) = decode_base64(span, &chars, budget) {
            out.push(seg);
        }
    }
}

/// The first maximal run of at least [`MIN_BASE64_RUN`] base64 characters
/// in `text[from..end]`.
///
/// PERF: 64 bytes at a time, branch-free. Each block becomes a bit mask of
/// its base64 characters ([`b64_mask`]); a long run is either the ones
/// carried over from the blocks before plus the block's first ones, or
/// [`MIN_BASE64_RUN`] consecutive ones inside the mask. Source code is
/// mostly base64 characters in short identifiers, which made a byte-wise
/// walk mispredict at nearly every word.
fn next_run(text: &[u8], from: usize, end: usize) -> Option<Range<usize>> {
    let run_end = |mut e: usize| {
        while e < end && is_b64(text[e]) {
            e += 1;
        }
        e
    };
    // Base64 characters just before `at`.
    let mut carried = 0;
    let mut at = from;
    while at < end {
        let m = b64_mask(text, at, end);
        let head = m.trailing_ones() as usize;
        if carried + head >= MIN_BASE64_RUN {
            return Some(at - carried..run_end(at + head));
        }
        if let Some(i) = long_run_start(m) {
            let s = at + i as usize;
            return Some(s..run_end(s + MIN_BASE64_RUN));
        }
        carried = m.leading_ones() as usize;
        at += 64;
    }
    None
}

const _: () = assert!(MIN_BASE64_RUN <= 64);

/// The lowest bit of `m` that starts [`MIN_BASE64_RUN`] consecutive ones.
fn long_run_start(m: u64) -> Option<u32> {
    // After each step bit i says bits i..i + have are all ones.
    let (mut y, mut have) = (m, 1);
    while have < MIN_BASE64_RUN {
        let step = (MIN_BASE64_RUN - have).min(have);
        y &= y >> step;
        have += step;
    }
    (y != 0).then(|| y.trailing_zeros())
}

/// Bit i set when `text[at + i]` is a base64 character; bytes at or past
/// `end` count as not.
fn b64_mask(text: &[u8], at: usize, end: usize) -> u64 {
    match text.get(at..at + 64).filter(|_| at + 64 <= end) {
        Some(block) => mask64(block.try_into().expect("64 bytes")),
        None => {
            let mut block = [0u8; 64];
            block[..end - at].copy_from_slice(&text[at..end]);
            mask64(&block)
        }
    }
}

/// [`is_b64`] for 64 bytes at once, as a bit mask (SSE2, which every x86-64
/// processor has).
#[cfg(target_arch = "x86_64")]
fn mask64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    let mut m = 0u64;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of
        // `chunk`, unaligned.
        let lane = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            // x - lo <= hi - lo, unsigned: min(x - lo, hi - lo) == x - lo.
            let within = |x: __m128i, lo: u8, span: u8| {
                let d = _mm_sub_epi8(x, _mm_set1_epi8(lo as i8));
                _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span as i8)), d)
            };
            let is = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let letter = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', 25);
            let digit = within(v, b'0', 9);
            let marks = _mm_or_si128(
                _mm_or_si128(is(b'+'), is(b'/')),
                _mm_or_si128(is(b'-'), is(b'_')),
            );
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), marks))
        };
        m |= u64::from(lane as u16) << (16 * k);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
fn mask64(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | u64::from(is_b64(b)) << i)
}

/// The whole base64 value starting with the run `first`: its padding, and
/// the following lines when `first` fills its line to the end with a
/// multiple of 4 characters (`base64 -w 76`, a YAML block). Returns the span
/// and its characters without line breaks and indentation.
fn wrapped(text: &[u8], first: Range<usize>, limit: usize) -> (Range<usize>, Vec<u8>) {
    let pad = |mut e: usize| {
        while e < limit && e < first.end + 2 && text[e] == b'=' {
            e += 1;
        }
        e
    };
    let width = first.len();
    let mut chars = text[first.clone()].to_vec();
    let mut end = pad(first.end);
    let at_eol = |e: usize| e == limit || text[e] == b'\n' || text[e..].starts_with(b"\r\n");
    if end != first.end || !width.is_multiple_of(4) || !at_eol(end) {
        chars.extend_from_slice(&text[first.end..end]);
        return (first.start..end, chars);
    }
    while end < limit && chars.len() < MAX_BASE64 {
        let mut s = end + if text[end] == b'\r' { 2 } else { 1 };
        while s < limit && matches!(text[s], b' ' | b'\t') {
            s += 1;
        }
        let mut e = s;
        while e < limit && is_b64(text[e]) {
            e += 1;
        }
        let padded = {
            let mut p = e;
            while p < limit && p < e + 2 && text[p] == b'=' {
                p += 1;
            }
            p
        };
        if e == s || e - s > width || !at_eol(padded) {
            break;
        }
        chars.extend_from_slice(&text[s..padded]);
        end = padded;
        if e - s < width || padded != e {
            break;
        }
    }
    (first.start..end, chars)
}

fn decode_base64(span: Range<usize>, chars: &[u8], budget: &mut usize) -> Option<Segment> {
    if chars.len() > MAX_BASE64 || chars.len() * 3 / 4 > *budget {
        return None;
    }
    if let Some(seg) = super::hex::decode(&span, chars, budget) {
        return Some(seg);
    }
    // Which kinds of characters it holds, in one pass (a run is mostly
    // letters: a lookup per character, not a search of a set).
    let (mut std, mut url, mut upper, mut lower) = (false, false, false, false);
    for &b in chars {
        std |= b == b'+' || b == b'/';
        url |= b == b'-' || b == b'_';
        upper |= b.is_ascii_uppercase();
        lower |= b.is_ascii_lowercase();
    }
    if std && url || !upper || !lower {
        return None;
    }
    let engine = if url { &URL_SAFE } else { &STANDARD };
    let raw = engine.decode(chars).ok()?;
    *budget -= raw.len();
    let (enc, mut text) = if is_text(&raw) {
        (Encoding::Base64, raw)
    } else if let Some(text) = super::inflate::text(&raw, budget) {
        (Encoding::Gzip, text)
    } else {
        crypt::decrypt(&raw)?
    };
    for end in [b"\n".as_slice(), b"\r"] {
        if text.ends_with(end) {
            text.pop();
        }
    }
    (text.len() >= MIN_DECODED).then_some(Segment {
        src: span,
        enc,
        text,
        map: None,
    })
}

/// Runs marked by `%`, `\` or `&`: percent-encoded runs, escaped string
/// literals, runs with HTML entities.
fn marked_runs(s: &Search, budget: &mut usize, out: &mut Vec<Segment>) {
    let (text, within, interesting) = (s.text, &s.within, s.interesting);
    let mut at = within.start;
    while let Some(off) = memchr::memchr3(b'%', b'\\', b'&', &text[at..within.end]) {
        let i = at + off;
        at = i + 1;
        let found = match text[i] {
            b'%' if percent_escape(&text[i..within.end]).is_some() => {
                let span = run(text, i, within.clone(), |b| {
                    b > b' ' && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\' | 0x7f)
                });
                decode_marked(text, span, Encoding::Percent, budget, interesting)
            }
            b'\\' if escape(&text[i..within.end]).is_some() => {
                let span = string_literal(text, i, within.clone());
                decode_marked(text, span, Encoding::Escape, budget, interesting)
            }
            b'&' if entity(&text[i..within.end]).is_some() => {
                let span = run(text, i, within.clone(), |b| {
                    !matches!(b, b'\n' | b'\r' | b'<' | b'>' | b'"')
                });
                decode_marked(text, span, Encoding::Html, budget, interesting)
            }
            _ => continue,
        };
        match found {
            Ok(seg) => {
                at = seg.src.end;
                out.push(seg);
            }
            Err(end) => at = at.max(end),
        }
    }
}

/// The run around `i` of bytes `keep` accepts, at most [`MAX_SPAN`] long.
fn run(text: &[u8], i: usize, within: Range<usize>, keep: impl Fn(u8) -> bool) -> Range<usize> {
    let lo = within.start.max(i.saturating_sub(MAX_SPAN / 2));
    let hi = within.end.min(i + MAX_SPAN / 2);
    let s = text[lo..i]
        .iter()
        .rposition(|&b| !keep(b))
        .map_or(lo, |p| lo + p + 1);
    let e = text[i..hi]
        .iter()
        .position(|&b| !keep(b))
        .map_or(hi, |p| i + p);
    s..e
}

/// The inside of the string literal holding the escape at `i`: from the
/// quote before it on its line (or the line start) to the matching unescaped
/// quote (or the line end).
fn string_literal(text: &[u8], i: usize, within: Range<usize>) -> Range<usize> {
    let lo = within.start.max(i.saturating_sub(MAX_SPAN / 2));
    let hi = within.end.min(i + MAX_SPAN / 2);
    let line_start = memrchr(b'\n', &text[lo..i]).map_or(lo, |p| lo + p + 1);
    let line_end = memchr(b'\n', &text[i..hi]).map_or(hi, |p| i + p);
    let quote = text[line_start..i]
        .iter()
        .rposition(|&b| b == b'"' || b == b'\'')
        .map(|p| line_start + p);
    let start = quote.map_or(line_start, |q| q + 1);
    let close = quote.map(|q| text[q]);
    let mut e = i;
    while e < line_end {
        match text[e] {
            b'\\' => e += 2,
            b if Some(b) == close => return start..e,
            _ => e += 1,
        }
    }
    start..line_end.min(hi)
}

/// Decodes a marked span; `Err` holds where to resume when it is not usable.
fn decode_marked(
    text: &[u8],
    span: Range<usize>,
    enc: Encoding,
    budget: &mut usize,
    interesting: &dyn Fn(&[u8]) -> bool,
) -> Result<Segment, usize> {
    let src = &text[span.clone()];
    if src.len() < MIN_DECODED
        || src.len() > *budget
        || !(interesting(src) || hides_base64(src) || hides_alphanumerics(src))
    {
        return Err(span.end);
    }
    let (out, map, changed) = decode_bytes(src, enc);
    *budget -= out.len();
    if !changed || out.len() < MIN_DECODED || !is_text(&out) {
        return Err(span.end);
    }
    Ok(Segment {
        src: span,
        enc,
        text: out,
        map: Some(map),
    })
}

/// Whether `src` escapes a base64 character (`\/` in JSON, `%2F`, `%2B`,
/// `%3D` in URLs), so decoding it may join a base64 run worth decoding next.
fn hides_base64(src: &[u8]) -> bool {
    memchr::memmem::find(src, b"\\/").is_some()
        || memchr::memchr_iter(b'%', src).any(|i| {
            matches!(
                src.get(i + 1..i + 3),
                Some(b"2F" | b"2f" | b"2B" | b"2b" | b"3D" | b"3d")
            )
        })
}

/// Whether `src` escapes a letter or digit (`\u0041`, `\x41`, `%41`,
/// `&#65;`, `&#x41;`): no encoder needs to, so it hides a word on purpose
/// (`\u0041KID…` keeps the keyword out of the raw bytes).
fn hides_alphanumerics(src: &[u8]) -> bool {
    let alnum = |h: &[u8]| {
        std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    let decimal = |d: &[u8]| {
        std::str::from_utf8(d)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
            .and_then(char::from_u32)
            .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    (0..src.len()).any(|i| match src[i] {
        b'\\' => match src.get(i + 1) {
            Some(b'u') => src.get(i + 2..i + 6).is_some_and(alnum),
            Some(b'x') => src.get(i + 2..i + 4).is_some_and(alnum),
            _ => false,
        },
        b'%' => src.get(i + 1..i + 3).is_some_and(alnum),
        b'&' if src.get(i + 1) == Some(&b'#') => {
            let rest = &src[i + 2..src.len().min(i + 9)];
            match rest.iter().position(|&c| c == b';') {
                Some(end) if rest.first().is_some_and(|c| matches!(c, b'x' | b'X')) => {
                    alnum(&rest[1..end])
                }
                Some(end) => decimal(&rest[..end]),
                None => false,
            }
        }
        _ => false,
    })
}

/// The longest run of base64 characters in `b`.
pub(super) fn longest_base64_run(b: &[u8]) -> usize {
    b.split(|&c| !is_b64(c)).map(<[u8]>::len).max().unwrap_or(0)
}

/// Decodes `src` with one byte-keeping decoder: the bytes, their offset map
/// and whether anything was decoded.
fn decode_bytes(src: &[u8], enc: Encoding) -> (Vec<u8>, Vec<u32>, bool) {
    let mut out = Vec::with_capacity(src.len());
    let mut map = Vec::with_capacity(src.len() + 1);
    let mut changed = false;
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        let decoded = match enc {
            Encoding::Percent => percent_escape(rest).map(|b| (Decoded::Byte(b), 3)),
            Encoding::Escape => escape(rest),
            Encoding::Html => entity(rest).map(|(c, n)| (Decoded::Char(c), n)),
            _ => None,
        };
        match decoded {
            Some((d, n)) => {
                let mut buf = [0u8; 4];
                let bytes: &[u8] = match &d {
                    Decoded::Byte(b) => std::slice::from_ref(b),
                    Decoded::Char(c) => c.encode_utf8(&mut buf).as_bytes(),
                };
                for &b in bytes {
                    out.push(b);
                    map.push(i as u32);
                }
                changed = true;
                i += n;
            }
            None => {
                out.push(src[i]);
                map.push(i as u32 | LITERAL);
                i += 1;
            }
        }
    }
    map.push(src.len() as u32);
    (out, map, changed)
}

enum Decoded {
    Byte(u8),
    Char(char),
}

fn hex(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// `%XX` at the start of `s`: the byte.
fn percent_escape(s: &[u8]) -> Option<u8> {
    (s.len() >= 3 && s[0] == b'%')
        .then(|| hex(&s[1..3]))
        .flatten()
        .map(|v| v as u8)
}

/// A JSON/JS/Python escape at the start of `s`: what it stands for and its
/// length. `\uD83D\uDE00` surrogate pairs make one character.
fn escape(s: &[u8]) -> Option<(Decoded, usize)> {
    if s.len() < 2 || s[0] != b'\\' {
        return None;
    }
    let c = match s[1] {
        b'"' | b'\'' | b'\\' | b'/' => s[1] as char,
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'x' => {
            let v = hex(s.get(2..4)?)?;
            return Some((Decoded::Char(char::from_u32(v)?), 4));
        }
        b'u' => {
            let hi = hex(s.get(2..6)?)?;
            if (0xD800..0xDC00).contains(&hi)
                && s.get(6..8) == Some(b"\\u")
                && let Some(lo) = s.get(8..12).and_then(hex)
                && (0xDC00..0xE000).contains(&lo)
            {
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                return Some((Decoded::Char(c), 12));
            }
            return Some((Decoded::Char(char::from_u32(hi).unwrap_or('\u{fffd}')), 6));
        }
        _ => return None,
    };
    Some((Decoded::Char(c), 2))
}

/// Named references worth knowing in credentials and their labels.
const ENTITIES: &[(&str, char)] = &[
    ("quot", '"'),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("equals", '='),
    ("colon", ':'),
    ("sol", '/'),
    ("plus", '+'),
    ("comma", ','),
    ("lowbar", '_'),
    ("hyphen", '-'),
    ("NewLine", '\n'),
];

/// An HTML character reference at the start of `s`: the character and the
/// reference's length.
fn entity(s: &[u8]) -> Option<(char, usize)> {
    if s.first() != Some(&b'&') {
        return None;
    }
    let semi = memchr(b';', &s[..s.len().min(12)])?;
    let body = &s[1..semi];
    let c = match body {
        [b'#', b'x' | b'X', h @ ..] => char::from_u32(hex(h)?)?,
        [b'#', d @ ..] if !d.is_empty() && d.iter().all(u8::is_ascii_digit) => {
            char::from_u32(std::str::from_utf8(d).ok()?.parse().ok()?)?
        }
        name => ENTITIES
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, c)| *c)?,
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(text: &[u8]) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut budget = super::super::budget(text.len());
        find(text, 0..text.len(), &mut budget, &|_| true, true, &mut out);
        out
    }

    #[test]
    fn escapes_decode_json_js_python() {
        let (out, map, changed) =
            decode_bytes(br#"a\"b\\c\nd\u003de\x41\uD83D\uDE00"#, Encoding::Escape);
        assert!(changed);
        assert_eq!(String::from_utf8(out).unwrap(), "a\"b\\c\nd=eA\u{1F600}");
        assert_eq!(map[0], LITERAL);
        assert_eq!(map[1], 1, "the quote comes from the escape at 1");
        assert_eq!(*map.last().unwrap() as usize, 33);
    }

    #[test]
    fn percent_and_entities_decode() {
        let (out, _, _) = decode_bytes(b"SecretId%3DAKID%26x%2", Encoding::Percent);
        assert_eq!(out, b"SecretId=AKID&x%2");
        let (out, _, _) = decode_bytes(b"&quot;a&quot;&#58;&#x3D;&amp;&bogus;", Encoding::Html);
        assert_eq!(out, b"\"a\":=&&bogus;");
    }

    #[test]
    fn base64_runs_are_found_wrapped_and_padded() {
        let plain = "line one of a decoded text file\nline two, long enough to wrap\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(plain);
        let wrapped: String = b64
            .as_bytes()
            .chunks(20)
            .map(|c| format!("    {}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        // 20 < MIN_BASE64_RUN: wrapping only joins lines of a long first run.
        assert!(decode_all(wrapped.as_bytes()).is_empty());
        let wrapped: String = b64
            .as_bytes()
            .chunks(44)
            .map(|c| format!("    {}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let segs = decode_all(wrapped.as_bytes());
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].enc, Encoding::Base64);
        assert_eq!(segs[0].text, plain.trim_end().as_bytes());
        assert_eq!(segs[0].src.start, 4);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode("ÿÿ? url-safe text with ? and > signs ÿ");
        assert!(url.contains('_') || url.contains('-'));
        let segs = decode_all(format!("x = \"{url}\"").as_bytes());
        assert_eq!(segs.len(), 1);
    }

    #[test]
    fn garbage_never_decodes_and_never_panics() {
        let samples: &[&[u8]] = &[
            b"AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1",
            b"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            b"%", b"%%%%4", b"\\", b"\\u12", b"\\uD83D\\u", b"&#xFFFFFFFFF;", b"&#99999999999;",
            b"=====", b"AAAA====AAAA\n\n\n", b"\"\\\"\\\"\\", b"\r\n\r",
        ];
        for s in samples {
            assert!(decode_all(s).is_empty(), "{}", String::from_utf8_lossy(s));
        }
        let noise: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let _ = decode_all(&noise);
    }

    #[test]
    fn string_literal_is_the_quoted_part() {
        let t = br#"x = "{\"SecretId\": 1}" + 'y'"#;
        let i = t.iter().position(|&b| b == b'\\').unwrap();
        let r = string_literal(t, i, 0..t.len());
        assert_eq!(&t[r], br#"{\"SecretId\": 1}"#);
    }

    /// Every maximal base64 run of at least [`MIN_BASE64_RUN`] characters,
    /// the slow way.
    fn runs_naive(t: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < t.len() {
            let s = i;
            while i < t.len() && is_b64(t[i]) {
                i += 1;
            }
            if i - s >= MIN_BASE64_RUN {
                out.push(s..i);
            }
            i += 1;
        }
        out
    }

    #[test]
    fn skipping_search_finds_every_long_run() {
        // Short identifiers and runs of every length around the bound, at
        // every alignment, in pseudo-random source-like text.
        let mut t = Vec::new();
        let mut x = 12345u32;
        for n in 0..4000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let len = if n % 7 == 0 {
                30 + (x >> 16) as usize % 150
            } else {
                (x >> 16) as usize % 12
            };
            t.extend((0..len).map(|k| b"aZ09+/_-"[(k + n) % 8]));
            t.push(b" .\n=(\"{;"[(x >> 8) as usize % 8]);
        }
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(r) = next_run(&t, from, t.len()) {
            from = r.end;
            found.push(r);
        }
        let naive = runs_naive(&t);
        assert!(naive.len() > 100, "the text has long runs");
        assert_eq!(found, naive);
        // A run of exactly the bound right after `=` padding, and at the end.
        let run = "Q".repeat(MIN_BASE64_RUN);
        let t = format!("abc=={run} {run}");
        let mut from = 3;
        let mut found = Vec::new();
        while let Some(r) = next_run(t.as_bytes(), from, t.len()) {
            from = r.end;
            found.push(r);
        }
        assert_eq!(found, vec![5..45, 46..86]);
    }

    #[test]
    fn block_masks_agree_with_the_table() {
        let all: Vec<u8> = (0..=255u8).collect();
        for block in all.chunks_exact(64) {
            let m = mask64(block.try_into().unwrap());
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(m >> i & 1 == 1, is_b64(b), "byte {b:#x}");
            }
        }
        assert_eq!(long_run_start(u64::MAX), Some(0));
        assert_eq!(long_run_start((1 << 39) - 1), None);
        assert_eq!(long_run_start(((1 << 40) - 1) << 3), Some(3));
    }
}
