//! Decoding the encoded spans of one blob (base64, percent-encoding, string
//! escapes, HTML entities) and decrypting the keys Tencent tools store
//! encrypted (Serverless Devs, COSCLI), into layered views whose offsets map
//! back to the original bytes. Knows no rules and does no I/O.
//!
//! # How a blob is decoded
//!
//! 1. Candidate spans are found without decoding the whole blob: a base64
//!    run of at least [`MIN_BASE64_RUN`] characters (hex digits are base64
//!    characters too: a run of nothing else is read as hex; found by checking
//!    windows of that length from their end, Boyer-Moore style, so plain
//!    text costs a fraction of a pass),
//!    a run holding `%XX`, a string literal holding `\"`, `\u…`, `\x…`, a
//!    run holding `&quot;`-style entities.
//!    Runs kept as they are by their decoder (escapes, `%XX`, entities)
//!    are decoded only when their raw bytes hold a rule keyword.
//! 2. Each candidate is decoded, kept only when the result is text (valid
//!    UTF-8 without control characters) or, for base64 that is not text, a
//!    gzip or zlib stream of text or a value one of the tools' fixed keys
//!    decrypts to text.
//! 3. Decoded spans that hold a keyword of the rules, and the decoded spans
//!    within [`CONTEXT_LINES`] lines of those, replace their encoded bytes in
//!    a [`Layer`]: the lines around them with each span decoded in place, so
//!    a SecretId and a SecretKey base64'd on adjacent lines pair as in plain
//!    text.
//! 4. The next layer decodes only inside the previous layer's decoded spans,
//!    up to the depth asked for.
//!
//! Every layer maps a byte range of its text back to its parent: exactly for
//! bytes copied unchanged, to the whole encoded span otherwise.
//! Work is bounded: decoded bytes per blob are limited by [`budget`].

mod concat;
mod crypt;
mod hex;
mod inflate;
mod layer;
mod text;

pub use layer::{Layer, Mapped};

use std::fmt;
use std::ops::Range;

/// How many nested decodings a scan applies unless told otherwise.
pub const DEFAULT_DEPTH: u8 = 3;

/// The shortest base64 run decoded: 30 bytes, enough for a SecretKey.
pub const MIN_BASE64_RUN: usize = 40;

/// Decoded text shorter than this cannot hold a key and is not used.
pub const MIN_DECODED: usize = 30;

/// Lines of context kept around a decoded span in a layer (pairing looks at
/// most 6 lines away).
pub const CONTEXT_LINES: usize = 8;

/// How a span was encoded, or which tool encrypted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// Base64, standard or URL-safe, padded or not, wrapped or not.
    Base64,
    /// `%XX` percent-encoding (URLs, form bodies).
    Percent,
    /// JSON, JavaScript or Python string escapes.
    Escape,
    /// HTML character references (`&quot;`, `&#61;`).
    Html,
    /// Encrypted by Serverless Devs in `~/.s/access.yaml` (crypto-js AES).
    ServerlessDevs,
    /// Encrypted by COSCLI in `~/.cos.yaml` (AES-128-ECB, fixed key).
    Coscli,
    /// String literals joined by concatenation (`"AKID…" + "…"`).
    Concat,
    /// Hexadecimal digits, two per byte (`xxd -p`, `.hex()`).
    Hex,
    /// A gzip or zlib stream in base64 (Helm release secrets).
    Gzip,
}

impl Encoding {
    /// Every encoding, in declaration order.
    pub const ALL: [Encoding; 9] = [
        Encoding::Base64,
        Encoding::Percent,
        Encoding::Escape,
        Encoding::Html,
        Encoding::ServerlessDevs,
        Encoding::Coscli,
        Encoding::Concat,
        Encoding::Hex,
        Encoding::Gzip,
    ];

    /// The encoding [`Encoding::name`] names, reading a report back.
    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The name reports use: `base64`, `percent`, `json-escape`,
    /// `html-entity`, `serverless-devs-aes`, `coscli-aes`, `concatenation`,
    /// `hex`, `base64-gzip`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
            Encoding::Escape => "json-escape",
            Encoding::Html => "html-entity",
            Encoding::ServerlessDevs => "serverless-devs-aes",
            Encoding::Coscli => "coscli-aes",
            Encoding::Concat => "concatenation",
            Encoding::Hex => "hex",
            Encoding::Gzip => "base64-gzip",
        }
    }

    /// Whether this step decrypted something (rather than decoding it).
    pub fn is_decryption(self) -> bool {
        matches!(self, Encoding::ServerlessDevs | Encoding::Coscli)
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Set on a [`Segment::map`] entry whose decoded byte is a copy of the
/// source byte at that offset.
const LITERAL: u32 = 1 << 31;

/// One decoded span of a parent text.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    /// The encoded bytes in the parent.
    pub src: Range<usize>,
    /// How they were encoded.
    pub enc: Encoding,
    /// The decoded bytes.
    pub text: Vec<u8>,
    /// For decoders that keep most bytes (percent, escapes, entities): for
    /// each decoded byte and one past the end, its offset in `src` (relative),
    /// or-ed with [`LITERAL`] when the byte was copied unchanged. `None`:
    /// every decoded byte stands for the whole span.
    pub map: Option<Vec<u32>>,
}

/// How many decoded bytes one blob of `len` bytes may produce in all.
pub fn budget(len: usize) -> usize {
    (2 * len + (1 << 20)).min(64 << 20)
}

/// Decodes `bytes` up to `depth` layers deep. `interesting` says whether a
/// decoded text could hold a finding (holds a rule keyword); spans that do,
/// and their neighbours, make up the layers. Layer `i + 1` is decoded from
/// the decoded spans of layer `i`; the first from `bytes`. `keyworded`:
/// `bytes` holds a credential's keyword somewhere, so string literals
/// written side by side are worth joining in it (decoded spans are always
/// looked at so).
pub fn layers(
    bytes: &[u8],
    depth: u8,
    keyworded: bool,
    interesting: impl Fn(&[u8]) -> bool,
) -> Vec<Layer> {
    let mut out: Vec<Layer> = Vec::new();
    let mut budget = budget(bytes.len());
    for _ in 0..depth {
        let parent: &[u8] = out.last().map_or(bytes, |l| l.text());
        let within: Vec<Range<usize>> = match out.last() {
            Some(l) => l.fresh().collect(),
            None => std::iter::once(0..bytes.len()).collect(),
        };
        let mut segs = Vec::new();
        let adjacent = keyworded || !out.is_empty();
        for w in within {
            text::find(parent, w, &mut budget, &interesting, adjacent, &mut segs);
        }
        let segs = select(parent, segs, &interesting);
        if segs.is_empty() {
            break;
        }
        let layer = Layer::build(parent, segs);
        out.push(layer);
    }
    out
}

/// The segments that hold a keyword, plus those within [`CONTEXT_LINES`]
/// lines of one (a SecretKey base64'd on the line after its SecretId), and
/// lone values with a keyword in the plain lines around them (a SecretKey
/// base64'd under a SecretId written plainly).
fn select(parent: &[u8], segs: Vec<Segment>, interesting: impl Fn(&[u8]) -> bool) -> Vec<Segment> {
    if segs.is_empty() {
        return segs;
    }
    // A decoded text is hot when it holds a keyword, or when it holds a
    // base64 run the next layer may decode: base64 that decodes to base64,
    // or a run that decoding joined (`\/` inside JSON-escaped base64).
    let hot: Vec<bool> = segs
        .iter()
        .map(|s| {
            interesting(&s.text)
                || {
                    let run = text::longest_base64_run(&s.text);
                    run >= MIN_BASE64_RUN
                        && (s.map.is_none()
                            || run > text::longest_base64_run(&parent[s.src.clone()]))
                }
                || is_lone_value(&s.text) && interesting(around(parent, &s.src))
        })
        .collect();
    if !hot.iter().any(|&h| h) {
        return Vec::new();
    }
    // Line number of each segment's start and end.
    let mut lines = Vec::with_capacity(segs.len());
    let (mut at, mut line) = (0, 0);
    for s in &segs {
        line += memchr::memchr_iter(b'\n', &parent[at..s.src.start]).count();
        let end = line + memchr::memchr_iter(b'\n', &parent[s.src.clone()]).count();
        lines.push((line, end));
        line = end;
        at = s.src.end;
    }
    let hot_lines: Vec<(usize, usize)> = lines
        .iter()
        .zip(&hot)
        .filter(|(_, h)| **h)
        .map(|(l, _)| *l)
        .collect();
    segs.into_iter()
        .zip(lines)
        .zip(hot)
        .filter(|((_, (s, e)), h)| {
            *h || hot_lines.iter().any(|&(hs, he)| {
                s.abs_diff(he) <= CONTEXT_LINES || hs.abs_diff(*e) <= CONTEXT_LINES
            })
        })
        .map(|((seg, _), _)| seg)
        .collect()
}

/// The longest decoded value looked at for a keyword around it.
const MAX_LONE_VALUE: usize = 256;

/// Bytes looked at on either side of a lone value for a keyword.
const AROUND: usize = 2048;

/// Whether a decoded text is one value (no blanks, not long): a key whose
/// name, if any, is written plainly beside it.
fn is_lone_value(t: &[u8]) -> bool {
    t.len() <= MAX_LONE_VALUE && !t.iter().any(u8::is_ascii_whitespace)
}

/// The plain text within [`CONTEXT_LINES`] lines of `src` (at most
/// [`AROUND`] bytes on either side).
fn around<'a>(parent: &'a [u8], src: &Range<usize>) -> &'a [u8] {
    let lo = src.start.saturating_sub(AROUND);
    let hi = parent.len().min(src.end + AROUND);
    let start = memchr::memrchr_iter(b'\n', &parent[lo..src.start])
        .nth(CONTEXT_LINES)
        .map_or(lo, |i| lo + i + 1);
    let end = memchr::memchr_iter(b'\n', &parent[src.end..hi])
        .nth(CONTEXT_LINES)
        .map_or(hi, |i| src.end + i);
    &parent[start..end]
}

/// Whether `b` reads as text: valid UTF-8 with no control characters but
/// tab, line feed and carriage return.
pub(crate) fn is_text(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    })
}

#[cfg(test)]
mod tests;
