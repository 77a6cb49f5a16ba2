//! Telling text from binary content, the way every source does: a NUL byte
//! in the first 8 KiB means binary (git's own test), except UTF-16, found
//! by its byte-order mark or by NULs on one side of every code unit only,
//! which is transcoded to UTF-8 instead.

use std::borrow::Cow;

/// How much of the start of a content decides whether it is text.
pub const HEAD: usize = 8192;

/// A NUL byte in the first 8 KiB marks a content as binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(HEAD)]).is_some()
}

/// The byte order of UTF-16 text, from its byte-order mark or, without
/// one, from where its NULs are: ASCII text in UTF-16 has a NUL in every
/// code unit's high byte, binary content has NULs anywhere. Looks at the
/// first 8 KiB only; `Some(true)` is little-endian.
fn utf16_order(bytes: &[u8]) -> Option<(bool, usize)> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some((true, 2)),
        [0xFE, 0xFF, ..] => return Some((false, 2)),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(HEAD) & !1];
    let units = head.len() / 2;
    if units < 4 {
        return None;
    }
    let (mut low_nul, mut high_nul) = (0usize, 0usize);
    for c in head.chunks_exact(2) {
        match (c[0] == 0, c[1] == 0) {
            (true, true) => return None,
            (true, false) => high_nul += 1,
            (false, true) => low_nul += 1,
            (false, false) => {}
        }
    }
    // NULs on one side only, in at least a quarter of the units.
    match (low_nul, high_nul) {
        (n, 0) if n * 4 >= units => Some((true, 0)),
        (0, n) if n * 4 >= units => Some((false, 0)),
        _ => None,
    }
}

/// Decodes UTF-16 text (with a byte-order mark, or without one when the
/// NUL pattern says so) to UTF-8; `None` for anything else.
pub fn utf16(bytes: &[u8]) -> Option<String> {
    let (le, skip) = utf16_order(bytes)?;
    let units = bytes[skip..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect(),
    )
}

/// What to scan of `bytes`: UTF-16 transcoded, other text as it is, and
/// `None` for binary content.
pub fn as_text(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    match utf16(bytes) {
        Some(s) => Some(Cow::Owned(s.into_bytes())),
        None if is_binary(bytes) => None,
        None => Some(Cow::Borrowed(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut b = Vec::new();
        if bom {
            b.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in s.encode_utf16() {
            b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        b
    }

    #[test]
    fn utf16_is_found_with_and_without_a_byte_order_mark() {
        for le in [true, false] {
            for bom in [true, false] {
                let b = encode("id=AKID 键 x\n", le, bom);
                assert!(is_binary(&b), "raw UTF-16 has NULs");
                assert_eq!(utf16(&b).as_deref(), Some("id=AKID 键 x\n"), "{le} {bom}");
                assert_eq!(
                    as_text(&b).as_deref(),
                    Some(&b"id=AKID \xe9\x94\xae x\n"[..])
                );
            }
        }
    }

    #[test]
    fn binary_is_not_taken_for_utf16() {
        assert_eq!(
            as_text(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"),
            None
        );
        assert_eq!(as_text(b"a\0b\0\0c\0d"), None, "NULs on both sides");
        assert_eq!(as_text(b"a\0"), None, "too short to tell");
        assert_eq!(as_text(b"plain text").as_deref(), Some(&b"plain text"[..]));
    }
}
