//! Runs of hex digits read as the text they encode (`xxd -p`, Python's
//! `.hex()`, `Buffer.toString('hex')`), found by the base64 run search since
//! hex digits are base64 characters too.

use super::{Encoding, MIN_DECODED, Segment, is_text};
use std::ops::Range;

/// A run of nothing but hex digits, an even number of them, read as hex
/// when that gives text. Hex digits are base64 characters too, but base64
/// of text is all hex digits over [`super::MIN_BASE64_RUN`] characters only by
/// rare chance.
pub(super) fn decode(span: &Range<usize>, chars: &[u8], budget: &mut usize) -> Option<Segment> {
    if chars.len() < 2 * MIN_DECODED
        || chars.len() / 2 > *budget
        || !chars.iter().all(u8::is_ascii_hexdigit)
    {
        return None;
    }
    let raw = hex::decode(chars).ok()?;
    *budget -= raw.len();
    is_text(&raw).then(|| Segment {
        src: span.clone(),
        enc: Encoding::Hex,
        text: raw,
        map: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(chars: &str) -> Option<String> {
        let mut budget = 1 << 20;
        decode(&(0..chars.len()), chars.as_bytes(), &mut budget)
            .map(|s| String::from_utf8(s.text).unwrap())
    }

    #[test]
    fn hex_of_text_is_read_and_anything_else_is_not() {
        let text = "secret_id = AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let hex = hex::encode(text);
        assert_eq!(decoded(&hex).as_deref(), Some(text));
        assert_eq!(decoded(&hex.to_uppercase()).as_deref(), Some(text));
        assert_eq!(decoded(&hex[1..]), None, "odd length");
        assert_eq!(decoded(&"ab".repeat(40)), None, "not text");
        assert_eq!(decoded(&hex[..58]), None, "shorter than a key");
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(decoded(sha), None, "a digest");
    }
}
