//! Whether a match sits inside an encoded block rather than standing as a
//! value of its own: a PEM body, an integrity hash, a data URI, an ssh key,
//! a source map's `mappings`, or a long base64 run the match is glued into
//! by `+` or `/`. A value that merely sits next to a `/` in a path or URL
//! is none of these.

use super::lines::Lines;
use std::ops::Range;

/// A base64 run at least this long (the match included) that the match is
/// glued into by `+` or `/` is an encoded blob, not a path: a URL with an
/// id and a key in it is about 70.
const LONG_RUN: usize = 100;

/// How far back a PEM header is looked for.
const PEM_REACH: usize = 16 * 1024;

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Whether `secret` of `hay` lies inside an encoded block.
pub(super) fn inside(hay: &[u8], secret: &Range<usize>) -> bool {
    let start = hay[..secret.start]
        .iter()
        .rposition(|&b| !is_b64(b))
        .map_or(0, |i| i + 1);
    let end = hay[secret.end..]
        .iter()
        .position(|&b| !is_b64(b))
        .map_or(hay.len(), |i| secret.end + i);
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
    in_pem_body(hay, secret.start) || in_mappings(hay, secret.start)
}

/// Whether `at` is inside a `-----BEGIN …-----` block whose `-----END`
/// comes after it.
fn in_pem_body(hay: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(PEM_REACH);
    let Some(begin) = memchr::memmem::rfind(&hay[from..at], b"-----BEGIN ") else {
        return false;
    };
    let body = from + begin;
    memchr::memmem::find(&hay[body..at], b"-----END ").is_none()
        && memchr::memmem::find(&hay[at..hay.len().min(at + PEM_REACH)], b"-----END ").is_some()
}

/// Whether `at` is inside a source map's `"mappings": "…"` string.
fn in_mappings(hay: &[u8], at: usize) -> bool {
    let line = &hay[Lines::scan(hay).start_within(at, at.saturating_sub(1 << 20))..at];
    let Some(m) = memchr::memmem::rfind(line, b"\"mappings\"") else {
        return false;
    };
    let rest = &line[m + 10..];
    let open = rest.iter().position(|&b| b == b'"');
    open.is_some_and(|o| !rest[o + 1..].contains(&b'"')) && hay.get(at).is_some_and(|&b| b != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hay: &str) -> bool {
        let s = hay.find("AKID").unwrap();
        inside(hay.as_bytes(), &(s..s + 36))
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
    }
}
