//! Containers whose strings a printable-run search would get wrong: length
//! prefixes that read as characters and glue onto the text (Python marshal,
//! Java's `writeUTF`), values stored back to back with no separator
//! (SQLite records). Each is recognised by its header and read by its own
//! layout, every read bounds-checked.

use super::{Strings, runs};

/// Reads the strings of `bytes` into `out` when it is a container this
/// module knows; `false` leaves `out` untouched for a printable-run search.
pub(super) fn extract(bytes: &[u8], out: &mut Strings) -> bool {
    if bytes.starts_with(b"SQLite format 3\0") {
        sqlite(bytes, out);
    } else if is_java(bytes) {
        java(bytes, out);
    } else if is_pyc(bytes) {
        marshal(bytes, out);
    } else {
        return false;
    }
    true
}

/// Java serialisation (`AC ED 00 05`) or a class file (`CA FE BA BE` and a
/// class file version, which a fat Mach-O binary with the same magic lacks).
fn is_java(b: &[u8]) -> bool {
    match b {
        [0xAC, 0xED, 0, 5, ..] => true,
        [0xCA, 0xFE, 0xBA, 0xBE, _, _, hi, lo, ..] => {
            (45..=80).contains(&u16::from_be_bytes([*hi, *lo]))
        }
        _ => false,
    }
}

/// A compiled Python module: a version magic ending in `\r\n`, then the
/// marshalled code object (`c`, maybe with the reference flag) after an 8,
/// 12 or 16-byte header, depending on the Python version.
fn is_pyc(b: &[u8]) -> bool {
    b.len() > 16 && &b[2..4] == b"\r\n" && [8, 12, 16].iter().any(|&h| b[h] & 0x7f == b'c')
}

/// Whether `s` is text a person or program wrote: valid UTF-8 without
/// control characters other than tab and line breaks.
fn is_text(s: &[u8]) -> bool {
    std::str::from_utf8(s).is_ok_and(|t| {
        t.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    })
}

/// Strings of Java's modified UTF-8 (`writeUTF`: a big-endian u16 length,
/// then the bytes), as serialisation streams, class files' constant pools
/// and `DataOutput` blobs store them: every offset where a length and
/// well-formed text of that length follow.
fn java(b: &[u8], out: &mut Strings) {
    let mut i = 0;
    while i + 2 < b.len() && !out.full() {
        let len = usize::from(u16::from_be_bytes([b[i], b[i + 1]]));
        let body = i + 2..i + 2 + len;
        if len >= 2
            && body.end <= b.len()
            && let Some(s) = modified_utf8(&b[body.clone()])
        {
            out.push(body.start, 1, s.as_bytes());
            i = body.end;
            continue;
        }
        i += 1;
    }
}

/// Decodes modified UTF-8 (NUL as `C0 80`, supplementary characters as two
/// encoded surrogates); `None` when it is not well formed or holds control
/// characters.
fn modified_utf8(s: &[u8]) -> Option<String> {
    let mut units = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let cont = |k: usize| {
            s.get(i + k)
                .filter(|&&c| c & 0xC0 == 0x80)
                .map(|&c| u16::from(c & 0x3F))
        };
        let (u, n) = match b {
            0x01..=0x7F => (u16::from(b), 1),
            0xC0..=0xDF => ((u16::from(b & 0x1F) << 6) | cont(1)?, 2),
            0xE0..=0xEF => ((u16::from(b & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?, 3),
            _ => return None,
        };
        units.push(u);
        i += n;
    }
    let t: String = char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()?;
    is_text(t.as_bytes()).then_some(t)
}

/// Strings of Python's marshal format: `s`, `u`, `t`, `a`, `A` with a
/// little-endian u32 length, `z`, `Z` with a one-byte length (each type
/// maybe with the reference flag 0x80), wherever a type, a length and text
/// of that length follow.
fn marshal(b: &[u8], out: &mut Strings) {
    let mut i = 0;
    while i + 2 < b.len() && !out.full() {
        let (len, head) = match b[i] & 0x7f {
            b's' | b'u' | b't' | b'a' | b'A' if i + 5 <= b.len() => (
                u32::from_le_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]) as usize,
                5,
            ),
            b'z' | b'Z' => (usize::from(b[i + 1]), 2),
            _ => {
                i += 1;
                continue;
            }
        };
        let start = i + head;
        if len >= 2 && len <= b.len() - start && is_text(&b[start..start + len]) {
            out.push(start, 1, &b[start..start + len]);
            i = start + len;
            continue;
        }
        i += 1;
    }
}

/// SQLite's variable-length integer at `at`: its value and length.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for k in 0..9 {
        let c = *b.get(at + k)?;
        if k == 8 {
            return Some(((v << 8) | u64::from(c), 9));
        }
        v = (v << 7) | u64::from(c & 0x7f);
        if c & 0x80 == 0 {
            return Some((v, k + 1));
        }
    }
    None
}

/// The records of an SQLite database: every text (and printable blob)
/// value of every b-tree cell, in page order, each row's values on
/// consecutive lines (a settings table's name then its value); pages that
/// are not b-tree pages (overflow, free) as printable runs.
fn sqlite(b: &[u8], out: &mut Strings) {
    let page = match u16::from_be_bytes([b[16], b[17]]) {
        1 => 65536,
        n if n >= 512 && n.is_power_of_two() => usize::from(n),
        _ => return runs(b, 0, out),
    };
    let usable = page - usize::from(b[20]);
    let utf16le = u32::from_be_bytes([b[56], b[57], b[58], b[59]]) == 2;
    for (n, start) in (0..b.len()).step_by(page).enumerate() {
        if out.full() {
            return;
        }
        let p = &b[start..b.len().min(start + page)];
        let h = if n == 0 { 100 } else { 0 };
        let kind = p.get(h).copied().unwrap_or(0);
        if !matches!(kind, 0x02 | 0x05 | 0x0A | 0x0D) {
            runs(p, start, out);
            continue;
        }
        let Some(count) = p
            .get(h + 3..h + 5)
            .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])))
        else {
            continue;
        };
        let ptrs = h + if matches!(kind, 0x0A | 0x0D) { 8 } else { 12 };
        for c in 0..count {
            let Some(ptr) = p.get(ptrs + 2 * c..ptrs + 2 * c + 2) else {
                break;
            };
            let cell = usize::from(u16::from_be_bytes([ptr[0], ptr[1]]));
            if let Some((at, payload)) = cell_payload(p, kind, cell, usable) {
                record(p, at, payload, start, utf16le, out);
            }
        }
    }
}

/// Where a cell's payload starts in its page and how much of it the page
/// holds (the rest is on overflow pages, read as runs); `None` for interior
/// table cells, which have none.
fn cell_payload(p: &[u8], kind: u8, cell: usize, usable: usize) -> Option<(usize, usize)> {
    let mut at = cell;
    if kind == 0x02 {
        at += 4;
    }
    if kind == 0x05 {
        return None;
    }
    let (size, n) = varint(p, at)?;
    at += n;
    if kind == 0x0D {
        at += varint(p, at)?.1;
    }
    let size = usize::try_from(size).ok()?;
    let u = usable;
    let max_local = if kind == 0x0D {
        u.checked_sub(35)?
    } else {
        ((u - 12) * 64 / 255).checked_sub(23)?
    };
    let min_local = ((u - 12) * 32 / 255).checked_sub(23)?;
    let local = if size <= max_local {
        size
    } else {
        let k = min_local + (size - min_local) % (u - 4);
        if k <= max_local { k } else { min_local }
    };
    (at < p.len()).then(|| (at, local.min(p.len() - at)))
}

/// The text values of one record (`len` bytes at `at` of the page found at
/// `base`).
fn record(p: &[u8], at: usize, len: usize, base: usize, utf16le: bool, out: &mut Strings) {
    let rec = &p[at..at + len];
    let Some((hlen, n)) = varint(rec, 0) else {
        return;
    };
    let Ok(hlen) = usize::try_from(hlen) else {
        return;
    };
    let (mut h, mut body) = (n, hlen);
    while h < hlen.min(rec.len()) {
        let Some((t, n)) = varint(rec, h) else { return };
        h += n;
        let size = match t {
            0..=4 => t as usize,
            5 => 6,
            6 | 7 => 8,
            8..=11 => 0,
            t => ((t - 12) / 2) as usize,
        };
        let Some(v) = rec.get(body..body.saturating_add(size)) else {
            return;
        };
        if t >= 12 {
            let text = if utf16le && t % 2 == 1 {
                let units = v.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
                char::decode_utf16(units)
                    .collect::<Result<String, _>>()
                    .ok()
            } else {
                Some(String::from_utf8_lossy(v).into_owned())
            };
            if let Some(s) = text.filter(|s| is_text(s.as_bytes())) {
                out.push(base + at + body, if utf16le { 2 } else { 1 }, s.as_bytes());
            }
        }
        body += size;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::lines;
    use super::*;

    #[test]
    fn java_strings_lose_their_length_prefix() {
        let mut b = vec![0xAC, 0xED, 0, 5, 0x73, 0x72];
        for s in [
            "secretId",
            "AKIDabcdefghijklmnopqrstuvwxyz012345",
            "k\u{e9}y",
        ] {
            let enc = s.as_bytes();
            b.push(0x74);
            b.extend((enc.len() as u16).to_be_bytes());
            b.extend(enc);
        }
        // NUL is C0 80 in modified UTF-8.
        b.extend([0x74, 0, 4, b'a', 0xC0, 0x80, b'b']);
        assert_eq!(
            lines(&b),
            [
                "secretId",
                "AKIDabcdefghijklmnopqrstuvwxyz012345",
                "k\u{e9}y"
            ],
            "a control character is not text"
        );
    }

    #[test]
    fn marshalled_strings_lose_their_type_and_length() {
        let mut b = b"\xa7\x0d\r\n\0\0\0\0\0\0\0\0\0\0\0\0\xe3".to_vec();
        b.extend([0xDA, 36]);
        b.extend(b"AKIDabcdefghijklmnopqrstuvwxyz012345");
        b.extend([b'u', 7, 0, 0, 0]);
        b.extend("s\u{e9}cret".as_bytes());
        assert_eq!(
            lines(&b),
            ["AKIDabcdefghijklmnopqrstuvwxyz012345", "s\u{e9}cret"]
        );
    }

    #[test]
    fn varints_are_big_endian_groups_of_seven() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0x81], 0), None);
    }
}
