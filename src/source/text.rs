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

/// What a content is, decided once from its first [`HEAD`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    /// Text (or anything else without a NUL byte): scanned as it is.
    Text,
    /// UTF-16 text: little-endian or not, and the length of its byte-order
    /// mark (0 or 2).
    Utf16 {
        /// Little-endian.
        le: bool,
        /// Bytes of byte-order mark to skip.
        skip: usize,
    },
    /// Binary content: not scanned.
    Binary,
}

/// Tells text from UTF-16 from binary by the start of `bytes`: a
/// byte-order mark means UTF-16; otherwise one `memchr` for a NUL decides
/// for nearly every file, and only content with NULs is looked at unit by
/// unit (ASCII text in UTF-16 has a NUL in every code unit's high byte,
/// binary content has NULs anywhere).
pub fn sniff(bytes: &[u8]) -> Sniff {
    match bytes {
        [0xFF, 0xFE, ..] => return Sniff::Utf16 { le: true, skip: 2 },
        [0xFE, 0xFF, ..] => return Sniff::Utf16 { le: false, skip: 2 },
        _ => {}
    }
    let head = &bytes[..bytes.len().min(HEAD)];
    if memchr::memchr(0, head).is_none() {
        return Sniff::Text;
    }
    let head = &head[..head.len() & !1];
    let units = head.len() / 2;
    if units < 4 {
        return Sniff::Binary;
    }
    let (mut low_nul, mut high_nul) = (0usize, 0usize);
    for c in head.chunks_exact(2) {
        match (c[0] == 0, c[1] == 0) {
            (true, true) => return Sniff::Binary,
            (true, false) => high_nul += 1,
            (false, true) => low_nul += 1,
            (false, false) => {}
        }
    }
    // NULs on one side only, in at least a quarter of the units.
    match (low_nul, high_nul) {
        (n, 0) if n * 4 >= units => Sniff::Utf16 { le: true, skip: 0 },
        (0, n) if n * 4 >= units => Sniff::Utf16 { le: false, skip: 0 },
        _ => Sniff::Binary,
    }
}

/// Transcodes UTF-16 `bytes` of the byte order [`sniff`] found to UTF-8.
pub fn transcode(bytes: &[u8], le: bool, skip: usize) -> String {
    let units = bytes[skip.min(bytes.len())..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Decodes UTF-16 text (with a byte-order mark, or without one when the
/// NUL pattern says so) to UTF-8; `None` for anything else.
pub fn utf16(bytes: &[u8]) -> Option<String> {
    match sniff(bytes) {
        Sniff::Utf16 { le, skip } => Some(transcode(bytes, le, skip)),
        Sniff::Text | Sniff::Binary => None,
    }
}

/// What to scan of `bytes`: UTF-16 transcoded, other text as it is, and
/// `None` for binary content.
pub fn as_text(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    match sniff(bytes) {
        Sniff::Utf16 { le, skip } => Some(Cow::Owned(transcode(bytes, le, skip).into_bytes())),
        Sniff::Binary => None,
        Sniff::Text => Some(Cow::Borrowed(bytes)),
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
