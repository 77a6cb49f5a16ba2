//! Whether a match sits inside an encoded block rather than standing as a
//! value of its own: a PEM body, an integrity hash, a data URI, an ssh key,
//! a source map's `mappings`, or a long base64 run the match is glued into
//! by `+` or `/`. A value that merely sits next to a `/` in a path or URL
//! is none of these. Every lookup is bounded per match: the base64 run is
//! followed at most [`RUN_REACH`] bytes, and PEM blocks and `mappings`
//! strings come from [`Marks`], found once per haystack.

use memchr::memmem;
use std::ops::Range;

/// A base64 run at least this long (the match included) that the match is
/// glued into by `+` or `/` is an encoded blob, not a path: a URL with an
/// id and a key in it is about 70.
const LONG_RUN: usize = 100;

/// How far a base64 run is followed from the match; a run longer than this
/// is an encoded blob whatever surrounds it (no path or value is a
/// kilobyte of base64 characters without a single `.`, `-`, `_` or `=`).
const RUN_REACH: usize = 1024;

/// How far back a PEM header is looked for.
const PEM_REACH: usize = 16 * 1024;

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const MAPPINGS: &[u8] = b"\"mappings\"";

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The PEM markers and source-map `mappings` strings of one haystack, each
/// found by one forward pass, so that every match looks them up by binary
/// search instead of searching back along its line.
#[derive(Debug, Default)]
pub(super) struct Marks {
    begins: Vec<usize>,
    ends: Vec<usize>,
    /// The contents of each `"mappings": "…"` string: from after its
    /// opening quote to its closing quote (or the end of its line).
    mappings: Vec<Range<usize>>,
}

impl Marks {
    /// Finds the markers of `hay`.
    pub fn of(hay: &[u8]) -> Marks {
        let begins = memmem::find_iter(hay, BEGIN).collect();
        let ends = memmem::find_iter(hay, END).collect();
        let mut mappings: Vec<Range<usize>> = Vec::new();
        for m in memmem::find_iter(hay, MAPPINGS) {
            if mappings.last().is_some_and(|r| m < r.end) {
                continue;
            }
            let rest = &hay[m + MAPPINGS.len()..];
            // The value's opening quote, on the key's line.
            let Some(open) = rest.iter().position(|&b| b == b'"' || b == b'\n') else {
                continue;
            };
            if rest[open] != b'"' {
                continue;
            }
            let from = m + MAPPINGS.len() + open + 1;
            let to = memchr::memchr2(b'"', b'\n', &hay[from..]).map_or(hay.len(), |i| from + i);
            mappings.push(from..to);
        }
        Marks {
            begins,
            ends,
            mappings,
        }
    }

    /// Whether `at` is inside a `-----BEGIN …-----` block whose `-----END`
    /// comes after it, both within [`PEM_REACH`].
    fn in_pem_body(&self, hay_len: usize, at: usize) -> bool {
        let i = self.begins.partition_point(|&b| b + BEGIN.len() <= at);
        let Some(&body) = i.checked_sub(1).map(|j| &self.begins[j]) else {
            return false;
        };
        if at - body > PEM_REACH {
            return false;
        }
        let e = self.ends.partition_point(|&e| e < body);
        self.ends.get(e).is_some_and(|&end| {
            end >= at && end + END.len() <= hay_len.min(at.saturating_add(PEM_REACH))
        })
    }

    /// Whether `at` is inside a source map's `"mappings": "…"` string.
    fn in_mappings(&self, at: usize) -> bool {
        let i = self.mappings.partition_point(|r| r.end <= at);
        self.mappings.get(i).is_some_and(|r| r.contains(&at))
    }
}

/// Whether `secret` of `hay` lies inside an encoded block; `marks` are
/// `hay`'s (see [`Marks::of`]).
pub(super) fn inside(hay: &[u8], marks: &Marks, secret: &Range<usize>) -> bool {
    let floor = secret.start.saturating_sub(RUN_REACH);
    let Some(start) = hay[floor..secret.start]
        .iter()
        .rposition(|&b| !is_b64(b))
        .map(|i| floor + i + 1)
        .or((floor == 0).then_some(0))
    else {
        return true;
    };
    let ceil = hay.len().min(secret.end.saturating_add(RUN_REACH));
    let Some(end) = hay[secret.end..ceil]
        .iter()
        .position(|&b| !is_b64(b))
        .map(|i| secret.end + i)
        .or((ceil == hay.len()).then_some(hay.len()))
    else {
        return true;
    };
    let before = &hay[start.saturating_sub(32)..start];
    // Hashes, data URIs and ssh keys name their encoding just before it.
    const LEADS: [&[u8]; 6] = [
        b"sha512-", b"sha384-", b"sha256-", b"sha1-", b"base64,", b"base64:",
    ];
    if LEADS.iter().any(|l| before.ends_with(l)) {
        return true;
    }
    if before.ends_with(b" ")
        && let Some(word) = before[..before.len() - 1]
            .rsplit(|&b| b == b' ' || b == b'\n')
            .next()
        && (word.starts_with(b"ssh-") || word.starts_with(b"ecdsa-") || word.starts_with(b"sk-"))
    {
        return true;
    }
    let glued = |b: Option<&u8>| matches!(b, Some(b'+' | b'/'));
    let glued = glued(secret.start.checked_sub(1).map(|i| &hay[i])) || glued(hay.get(secret.end));
    if glued && end - start >= LONG_RUN {
        return true;
    }
    marks.in_pem_body(hay.len(), secret.start) || marks.in_mappings(secret.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hay: &str) -> bool {
        let s = hay.find("AKID").unwrap();
        inside(hay.as_bytes(), &Marks::of(hay.as_bytes()), &(s..s + 36))
    }

    #[test]
    fn encoded_blocks_hold_look_alikes() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let blob = "Qk9Y".repeat(20);
        assert!(at(&format!("integrity=\"sha512-{id}/{blob}==\"")));
        assert!(at(&format!(
            "src=\"data:image/png;base64,iVBOR{id}+{blob}\""
        )));
        assert!(at(&format!("ssh-rsa AAAAB3NzaC1yc2E{id}+x user@host")));
        assert!(at(&format!(
            "-----BEGIN CERTIFICATE-----\nMIIB{blob}\nab/{id}/cd\n-----END CERTIFICATE-----\n"
        )));
        assert!(at(&format!("{{\"mappings\":\"AAAA,SAAS;{id},CAAC\"}}")));
        assert!(at(&format!("{blob}/{id}+{blob}")));
    }

    #[test]
    fn paths_and_urls_are_not_encoded_blocks() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let key = "Zx7Kp2Lm9Qr4St6Uv8Wy1Ab3Cd5Ef0Gh";
        assert!(!at(&format!("https://api.example.com/v1/{id}/{key}?x=1")));
        assert!(!at(&format!("cp creds/{id}/key.txt .")));
        assert!(!at(&format!("secret_id = \"{id}\"")));
        assert!(!at(&format!("-----END CERTIFICATE-----\nid={id}\n")));
        assert!(!at(&format!("-----BEGIN CERTIFICATE-----\nid={id}\n")));
        assert!(!at(&format!("{{\"mappings\":\"AAAA\"}}\nid={id}\n")));
        assert!(!at(&format!("{{\"mappings\":\"AAAA\nid={id}\n")));
    }

    #[test]
    fn a_run_past_the_reach_is_an_encoded_blob() {
        let id = "AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ";
        let run = "Qk9Y".repeat(RUN_REACH / 2);
        assert!(at(&format!("x={run}/{id}")));
        assert!(at(&format!("x={id}/{run}")));
    }
}
