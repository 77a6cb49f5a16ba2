//! The text inside binary content: printable runs the way `strings` finds
//! them (ASCII, and UTF-16LE as Windows binaries store it), and the strings
//! of containers that store text length-prefixed or in records (Python
//! marshal in `.pyc`, Java serialisation and class files with their
//! modified UTF-8, SQLite pages), each string one line of a text view that
//! maps back to byte offsets of the content. Yields bytes; knows nothing
//! about rules.

mod container;

/// The shortest printable run taken as a string (as `strings -n 4`).
pub const MIN_RUN: usize = 4;

/// The largest binary file or blob read for its strings (a smaller
/// `--max-file-size` applies first); larger ones are skipped as binary.
pub const MAX_BINARY: u64 = 256 << 20;

/// The most text one binary content yields: a bound on the scan's memory
/// whatever the content holds.
pub const MAX_TEXT: usize = 16 << 20;

/// The strings of one binary content: every string on a line of its own.
#[derive(Debug, Default)]
pub struct Strings {
    /// The strings, each followed by a line feed.
    pub text: Vec<u8>,
    /// Per string, sorted: where its line starts in `text`, where it starts
    /// in the content, and how many content bytes a text byte stands for
    /// (2 for UTF-16).
    origins: Vec<(usize, usize, usize)>,
}

impl Strings {
    /// Empties the view for the next content, keeping its memory.
    pub fn clear(&mut self) {
        self.text.clear();
        self.origins.clear();
    }

    /// The byte offset in the content of byte `at` of [`Strings::text`].
    pub fn offset(&self, at: usize) -> u64 {
        let i = self.origins.partition_point(|o| o.0 <= at);
        match i.checked_sub(1).map(|i| self.origins[i]) {
            Some((line, src, width)) => (src + (at - line) * width) as u64,
            None => at as u64,
        }
    }

    /// Whether the text bound is reached.
    fn full(&self) -> bool {
        self.text.len() >= MAX_TEXT
    }

    /// Adds one string found at `src` (a text byte for every `width`
    /// content bytes). Line breaks inside it are kept: a string holding a
    /// config file stays that file.
    fn push(&mut self, src: usize, width: usize, s: &[u8]) {
        if s.is_empty() || self.full() {
            return;
        }
        let room = MAX_TEXT - self.text.len();
        self.origins.push((self.text.len(), src, width));
        self.text.extend_from_slice(&s[..s.len().min(room)]);
        self.text.push(b'\n');
    }
}

/// How many NUL bytes `bytes` starts with: compared a block at a time
/// against a zero block, so a sparse region costs a `memcmp`, not a loop
/// per byte.
pub(crate) fn zeros(bytes: &[u8]) -> usize {
    const BLOCK: [u8; 4096] = [0; 4096];
    let mut n = 0;
    while bytes.len() - n >= BLOCK.len() && bytes[n..n + BLOCK.len()] == BLOCK {
        n += BLOCK.len();
    }
    n + bytes[n..].iter().take_while(|&&b| b == 0).count()
}

/// Whether `b` is part of a printable run: ASCII graphic characters, space
/// and tab (line breaks too, so text embedded whole keeps its lines).
fn printable(b: u8) -> bool {
    matches!(b, 0x20..=0x7e | b'\t' | b'\n' | b'\r')
}

/// Fills `out` with the strings of `bytes`: a known container's own strings
/// where it is one, printable runs otherwise.
pub fn extract(bytes: &[u8], out: &mut Strings) {
    out.clear();
    if !container::extract(bytes, out) {
        runs(bytes, 0, out);
    }
}

/// Printable ASCII runs of at least [`MIN_RUN`] bytes in `bytes` (found at
/// `base` in the content), then UTF-16LE runs. A run that starts with a
/// byte giving its own remaining length (a length-prefixed string: a
/// protobuf field, a Pascal string) is taken without that byte.
pub(super) fn runs(bytes: &[u8], base: usize, out: &mut Strings) {
    let mut i = 0;
    while i < bytes.len() && !out.full() {
        let Some(start) = bytes[i..].iter().position(|&b| printable(b)).map(|p| i + p) else {
            break;
        };
        let end = bytes[start..]
            .iter()
            .position(|&b| !printable(b))
            .map_or(bytes.len(), |p| start + p);
        let mut s = start;
        while s < end && matches!(bytes[s], b'\n' | b'\r') {
            s += 1;
        }
        if end - s > MIN_RUN && usize::from(bytes[s]) == end - s - 1 {
            s += 1;
        }
        if end - s >= MIN_RUN {
            out.push(base + s, 1, trim_breaks(&bytes[s..end]));
        }
        i = end;
    }
    utf16_runs(bytes, base, out);
}

/// A run without the line breaks around it.
fn trim_breaks(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !matches!(b, b'\n' | b'\r'));
    let end = s.iter().rposition(|b| !matches!(b, b'\n' | b'\r'));
    match (start, end) {
        (Some(a), Some(b)) => &s[a..=b],
        _ => &[],
    }
}

/// UTF-16LE runs of at least [`MIN_RUN`] printable ASCII characters, each
/// followed by a NUL byte, found from the NUL bytes.
fn utf16_runs(bytes: &[u8], base: usize, out: &mut Strings) {
    let mut text = Vec::new();
    let mut next = 0;
    let mut from = 0;
    while let Some(z) = memchr::memchr(0, &bytes[from..]).map(|p| from + p) {
        // Only the first NUL of a run can end a UTF-16 character: the rest
        // of the run (padding, a sparse region) is skipped whole.
        from = z + 1 + zeros(&bytes[z + 1..]);
        if z == 0 || z - 1 < next || !printable(bytes[z - 1]) {
            continue;
        }
        let start = z - 1;
        let mut end = start;
        while end + 1 < bytes.len() && printable(bytes[end]) && bytes[end + 1] == 0 {
            end += 2;
        }
        next = end;
        if (end - start) / 2 >= MIN_RUN {
            text.clear();
            text.extend(bytes[start..end].iter().step_by(2));
            out.push(base + start, 2, trim_breaks(&text));
        }
        if out.full() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings `extract` finds in `bytes`, one per line.
    pub(super) fn lines(bytes: &[u8]) -> Vec<String> {
        let mut s = Strings::default();
        extract(bytes, &mut s);
        String::from_utf8_lossy(&s.text)
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn zero_runs_are_counted_across_blocks() {
        assert_eq!(zeros(b""), 0);
        assert_eq!(zeros(b"a\0"), 0);
        let mut v = vec![0u8; 10_000];
        assert_eq!(zeros(&v), 10_000);
        v[8_200] = 1;
        assert_eq!(zeros(&v), 8_200);
        v[3] = 1;
        assert_eq!(zeros(&v), 3);
    }

    #[test]
    fn ascii_and_utf16_runs_are_strings_with_their_offsets() {
        let mut b = b"\x7fELF\x02\x01\0\0\x01\x02id=AKIDabc\0\x03".to_vec();
        for c in "key=secretvalue".bytes() {
            b.extend([c, 0]);
        }
        b.extend(b"\0\xff");
        assert_eq!(lines(&b), ["id=AKIDabc", "key=secretvalue"]);
        let mut s = Strings::default();
        extract(&b, &mut s);
        let at = s.text.windows(4).position(|w| w == b"AKID").unwrap();
        assert_eq!(s.offset(at), 13);
        let at = s.text.windows(6).position(|w| w == b"secret").unwrap();
        assert_eq!(s.offset(at), 22 + 2 * 4);
    }

    #[test]
    fn a_length_prefix_is_not_part_of_its_string() {
        // A protobuf field: tag 0x0a, length 0x24 ('$'), 36 bytes.
        let mut b = vec![0x0a, 36];
        b.extend(b"AKIDexampleexampleexampleexampleexam");
        b.extend([0x12, 32]);
        b.extend(b"keykeykeykeykeykeykeykeykeykeyke");
        assert_eq!(
            lines(&b),
            [
                "AKIDexampleexampleexampleexampleexam",
                "keykeykeykeykeykeykeykeykeykeyke"
            ]
        );
        assert_eq!(lines(b"\x01\x02ab\x03"), Vec::<String>::new(), "too short");
    }
}
