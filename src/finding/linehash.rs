//! GitHub code scanning's `primaryLocationLineHash`: the per-line rolling
//! hash `github/codeql-action`'s upload-sarif computes from a file's content,
//! reimplemented so keyhound can emit it from the bytes it scanned (a blob in
//! history, a staged file) where upload-sarif would find no file to hash.
//!
//! The algorithm, as upload-sarif runs it: the content is decoded as UTF-8
//! and walked in UTF-16 code units. Spaces and tabs are skipped, `\r\n` and a
//! lone `\r` count as `\n`. Each line's hash is a polynomial rolling hash
//! (base 37, wrapping signed 64-bit arithmetic) over the 100 characters that
//! start at the line's first non-skipped character, running on into the
//! following lines; the end of the content is one `0xFFFF` code unit followed
//! by zeros. A hash is written as unsigned lowercase hex, then `:` and how
//! many times that hash value has been seen so far in the file (1 for the
//! first), so identical blocks stay distinct.

use std::collections::{BTreeMap, BTreeSet, HashMap};

const BLOCK: usize = 100;
const BASE: i64 = 37;
const EOF: i64 = 0xFFFF;

/// The `primaryLocationLineHash` of each line of `wanted` (1-based) in
/// `content`, for the lines that exist.
pub fn line_hashes(content: &[u8], wanted: &BTreeSet<u32>) -> BTreeMap<u32, String> {
    let mut h = Roller::new(wanted);
    for unit in String::from_utf8_lossy(content).encode_utf16() {
        h.push(i64::from(unit));
    }
    h.push(EOF);
    for _ in 0..BLOCK {
        if h.starts[h.index] != 0 {
            h.emit();
        }
        h.roll(0);
    }
    h.out
}

struct Roller<'w> {
    window: [i64; BLOCK],
    /// The line that starts at each window slot, 0 for none.
    starts: [u32; BLOCK],
    hash: i64,
    first_mod: i64,
    index: usize,
    line: u32,
    line_start: bool,
    prev_cr: bool,
    seen: HashMap<u64, u32>,
    wanted: &'w BTreeSet<u32>,
    out: BTreeMap<u32, String>,
}

impl<'w> Roller<'w> {
    fn new(wanted: &'w BTreeSet<u32>) -> Roller<'w> {
        let first_mod = (0..BLOCK).fold(1i64, |m, _| m.wrapping_mul(BASE));
        Roller {
            window: [0; BLOCK],
            starts: [0; BLOCK],
            hash: 0,
            first_mod,
            index: 0,
            line: 0,
            line_start: true,
            prev_cr: false,
            seen: HashMap::new(),
            wanted,
            out: BTreeMap::new(),
        }
    }

    fn push(&mut self, mut c: i64) {
        const SPACE: i64 = b' ' as i64;
        const TAB: i64 = b'\t' as i64;
        const LF: i64 = b'\n' as i64;
        const CR: i64 = b'\r' as i64;
        if c == SPACE || c == TAB || (self.prev_cr && c == LF) {
            self.prev_cr = false;
            return;
        }
        self.prev_cr = c == CR;
        if c == CR {
            c = LF;
        }
        if self.starts[self.index] != 0 {
            self.emit();
        }
        if self.line_start {
            self.line_start = false;
            self.line += 1;
            self.starts[self.index] = self.line;
        }
        if c == LF {
            self.line_start = true;
        }
        self.roll(c);
    }

    fn roll(&mut self, c: i64) {
        let begin = self.window[self.index];
        self.window[self.index] = c;
        self.hash = BASE
            .wrapping_mul(self.hash)
            .wrapping_add(c)
            .wrapping_sub(self.first_mod.wrapping_mul(begin));
        self.index = (self.index + 1) % BLOCK;
    }

    fn emit(&mut self) {
        let value = self.hash as u64;
        let n = self.seen.entry(value).or_insert(0);
        *n += 1;
        let line = self.starts[self.index];
        if self.wanted.contains(&line) {
            self.out.insert(line, format!("{value:x}:{n}"));
        }
        self.starts[self.index] = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(content: &str) -> Vec<String> {
        let lines = content.split(['\n', '\r']).count() as u32 + 1;
        let wanted: BTreeSet<u32> = (1..=lines).collect();
        line_hashes(content.as_bytes(), &wanted)
            .into_values()
            .collect()
    }

    // Published with upload-sarif's own tests of this algorithm.
    #[test]
    fn matches_upload_sarif_vectors() {
        assert_eq!(all(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            all(" a\nb\n  \t\tc\n d"),
            [
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
        let lf = [
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        for text in [
            " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
            " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
            " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        ] {
            assert_eq!(all(text), lf, "{text:?}");
        }
    }

    #[test]
    fn repeated_blocks_are_counted() {
        let text = "Lorem ipsum dolor sit amet.\n".repeat(10);
        let got = all(&text);
        assert_eq!(got[0], "a7f2ff13bc495cf2:1");
        assert_eq!(got[5], "a7f2ff13bc495cf2:6");
        assert_eq!(got[6], "a7f2ff1481e87703:1");
        assert_eq!(got[10], "c129715d7a2bc9a3:1");
    }

    // Derived by running upload-sarif's algorithm (a line-for-line
    // transcription with BigInt arithmetic) under Node on these inputs.
    #[test]
    fn matches_vectors_derived_from_the_algorithm() {
        let cases: [(&str, [&str; 3]); 4] = [
            (
                "token = \"t0k3n-value\"\nkey: \"abc\"\r\n",
                [
                    "ad88b39885a96804:1",
                    "76e7d8596db85e62:1",
                    "c129715d7a2bc9a3:1",
                ],
            ),
            (
                "h\u{e9}llo w\u{f6}rld \u{2014} \u{43a}\u{43b}\u{44e}\u{447} \u{1f511}\n\tx\n",
                [
                    "b84633d4294a11da:1",
                    "828973aa50c68d6d:1",
                    "c129715d7a2bc9a3:1",
                ],
            ),
            (
                "x\r\n\r\ny",
                [
                    "ea5c6c22b47aa350:1",
                    "f85c2d2aa834d48e:1",
                    "ed3261245082261c:1",
                ],
            ),
            (
                "long line 0123456789012345678901234567890123456789012345678901234567890123456789\
                 012345678901234567890123456789 end\nnext\n",
                [
                    "81fa3a629970de96:1",
                    "a5f9e5dec441e0b8:1",
                    "c129715d7a2bc9a3:1",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(all(text), want, "{text:?}");
        }
    }

    #[test]
    fn only_wanted_lines_are_returned() {
        let wanted = BTreeSet::from([2, 9]);
        let got = line_hashes(b"a\nb\nc\n", &wanted);
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), [2]);
    }
}
