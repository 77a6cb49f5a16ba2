//! Matches, findings and their fingerprints: from raw engine hits to the
//! grouped, sorted, content-identified things a report lists.
//!
//! A [`Hit`] is what a scan sees inside one blob (a file's or a git blob's
//! content): the values and a [`BlobMatch`], with no idea where the blob came
//! from. [`group`] joins each blob's hits with the blob's provenances (the
//! file, or every commit and path that introduced a git blob) into
//! [`Match`]es, one occurrence at one place. A [`Finding`] groups every
//! match that shares a rule and a secret (and, for paired credentials, the
//! same key), and carries a [`Fingerprint`] derived from the content alone, so
//! it is stable across runs, machines, rebases and moved lines.

mod group;
pub mod incident;
pub mod linehash;
pub mod response;
mod secret;
mod snippet;
pub mod verification;

pub use group::{BlobHits, Hit, group};
pub use secret::{Secret, SecretKind, is_shortened_id, redact, redact_ids};
pub use snippet::{Mask, Snippet, masks_of};

use crate::source::Provenance;
use sha2::{Digest, Sha256};
use std::fmt;
pub use verification::{KeyStatus, Outcome, Owner, SignedCheck, Verification};

/// A position in scanned text, 1-based, columns counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Location {
    /// Line of the first character.
    pub line: u32,
    /// Column of the first character.
    pub column: u32,
    /// Line of the last character.
    pub end_line: u32,
    /// Column just past the last character.
    pub end_column: u32,
}

/// Where a credential sits inside one blob, wherever that blob came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMatch {
    /// For content inside an archive: the member path inside the blob,
    /// nested archives joined with `!` (`b.tar.gz!c/.env`). Lines and
    /// columns count inside the member.
    pub member: Option<String>,
    /// Where the secret (for a pair: the identifier) sits.
    pub location: Location,
    /// Where the paired key sits, when there is one.
    pub key_location: Option<Location>,
    /// The line holding the secret and the secrets in it, for writers to
    /// mask. For a decoded match, the decoded line.
    pub snippet: Snippet,
    /// How the text holding the secret was encoded, outermost first (empty
    /// when it was found in plain text).
    pub decoded: Vec<crate::decode::Encoding>,
    /// GitHub code scanning's `primaryLocationLineHash` of the line holding
    /// the secret, computed from the scanned content (see [`linehash`]).
    pub line_hash: Option<String>,
    /// For a secret found among the printable strings of binary content:
    /// the byte offset of the secret in that content (lines and columns
    /// then count the extracted strings, one a line).
    pub binary: Option<u64>,
}

impl BlobMatch {
    /// This occurrence at `provenance`.
    pub fn at(&self, provenance: Provenance) -> Match {
        Match {
            provenance,
            member: self.member.clone(),
            location: self.location,
            key_location: self.key_location,
            snippet: self.snippet.clone(),
            decoded: self.decoded.clone(),
            repo: None,
            line_hash: self.line_hash.clone(),
            binary: self.binary,
        }
    }
}

/// One occurrence of a credential at one place.
#[derive(Clone, Debug)]
pub struct Match {
    /// Where the content came from (file, commit, staged change...).
    pub provenance: Provenance,
    /// For content inside an archive: the member path inside the file or
    /// blob of `provenance`, nested archives joined with `!`
    /// (`b.tar.gz!c/.env`). Lines and columns count inside the member.
    pub member: Option<String>,
    /// Where the secret (for a pair: the identifier) sits.
    pub location: Location,
    /// Where the paired key sits, when there is one.
    pub key_location: Option<Location>,
    /// The line holding the secret and the secrets in it, for writers to
    /// mask. For a decoded match, the decoded line.
    pub snippet: Snippet,
    /// GitHub code scanning's `primaryLocationLineHash` of the line holding
    /// the secret, computed from the scanned content (see [`linehash`]).
    pub line_hash: Option<String>,
    /// For a secret found among the printable strings of binary content:
    /// the byte offset of the secret in that content (lines and columns
    /// then count the extracted strings, one a line).
    pub binary: Option<u64>,
    /// How the text holding the secret was encoded, outermost first (empty
    /// when it was found in plain text). Locations of decoded values are the
    /// encoded spans'.
    pub decoded: Vec<crate::decode::Encoding>,
    /// The repository it was found in, for scans of many repositories (its
    /// normalised name, as [`crate::org::list`] gives it); `None` otherwise.
    pub repo: Option<String>,
}

/// The order of places: repository, provenance, archive member, location,
/// key location (its start: all a report records of it, so a place read
/// back from a report is the same place), decoding chain.
pub type PlaceKey<'a> = (
    Option<&'a str>,
    &'a Provenance,
    Option<&'a str>,
    Location,
    Option<(u32, u32)>,
    &'a [crate::decode::Encoding],
);

impl Match {
    /// Where this match sits, as the one order of places compares it.
    pub fn place_key(&self) -> PlaceKey<'_> {
        (
            self.repo.as_deref(),
            &self.provenance,
            self.member.as_deref(),
            self.location,
            self.key_location.map(|k| (k.line, k.column)),
            &self.decoded,
        )
    }

    /// The path to show: the provenance's path, plus `!member` inside an
    /// archive (`outer.zip!inner/path`).
    pub fn path(&self) -> String {
        match &self.member {
            Some(m) => format!("{}!{m}", self.provenance.path()),
            None => self.provenance.path(),
        }
    }
}

/// Sorts findings into the one order every report has: by the place of
/// their first match ([`Match::place_key`]), then rule, then fingerprint.
/// Grouping, noise control and merging all end with it, so output does not
/// depend on thread count or input order.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let (fa, fb) = (&a.matches[0], &b.matches[0]);
        (fa.place_key(), &a.rule, &a.fingerprint).cmp(&(fb.place_key(), &b.rule, &b.fingerprint))
    });
}

/// A credential found at one or more places.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Content-derived id: see [`Fingerprint`].
    pub fingerprint: Fingerprint,
    /// The id of the rule that found it (`tencent.secret-id`).
    pub rule: String,
    /// The secret; for paired credentials the identifier half.
    pub secret: Secret,
    /// The paired key (Tencent SecretKey, AWS secret...), when found.
    pub key: Option<Secret>,
    /// A session token that belongs to the same temporary credential.
    pub token: Option<Secret>,
    /// Every place it was found, sorted.
    pub matches: Vec<Match>,
    /// For git scans: whether the secret is still in the tree at HEAD.
    pub in_head: Option<bool>,
    /// Filled in by `--verify`.
    pub verification: Option<Verification>,
    /// Filled in by `keyhound respond`.
    pub response: Option<response::Response>,
}

/// The stable id of a finding: the first 16 bytes of
/// `SHA-256(rule id ‖ 0x00 ‖ secret ‖ 0x00 ‖ key)`, as 32 hex digits
/// (`key` empty when there is none).
///
/// | input | why |
/// | --- | --- |
/// | rule id | the same string found by two rules is two findings |
/// | secret | the identity of a leak is its value, not where it sits |
/// | key | an id found with two different keys is two credentials |
///
/// Paths, lines, commits and offsets are left out on purpose, so an ignore
/// entry survives rebases, squashes and moved lines.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Computes the fingerprint of a credential.
    pub fn of(rule: &str, secret: &Secret, key: Option<&Secret>) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(rule.as_bytes());
        h.update([0u8]);
        h.update(secret.expose().as_bytes());
        h.update([0u8]);
        if let Some(k) = key {
            h.update(k.expose().as_bytes());
        }
        Fingerprint(hex::encode(&h.finalize()[..16]))
    }

    /// Wraps an already computed fingerprint (read from a report or ignore file).
    pub fn from_hex(s: &str) -> Option<Fingerprint> {
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| Fingerprint(s.to_ascii_lowercase()))
    }

    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_keyed_on_content() {
        let id = Secret::new(
            "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1",
            SecretKind::Identifier,
        );
        let key = Secret::new("Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0", SecretKind::Key);
        let a = Fingerprint::of("tencent.secret-id", &id, Some(&key));
        let b = Fingerprint::of("tencent.secret-id", &id, Some(&key));
        let c = Fingerprint::of("tencent.secret-id", &id, None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(Fingerprint::from_hex(a.as_str()), Some(a));
    }
}
