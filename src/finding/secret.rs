//! The `Secret` type: a found credential value that refuses to print itself.

use std::fmt;

/// What part of a credential a [`Secret`] is; it decides how it is redacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    /// A public-ish identifier (Tencent SecretId, AWS access key id): shown
    /// shortened, enough to look it up in a console.
    Identifier,
    /// The secret half (SecretKey, token, private key): fully masked.
    Key,
}

/// A credential value found in scanned content.
///
/// `Debug` and `Display` print the redacted form; the raw value is only
/// reachable through [`Secret::expose`]. It deliberately does not implement
/// `Serialize`: writers choose [`Secret::redacted`] or, on an explicit flag,
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret {
    value: Box<str>,
    kind: SecretKind,
}

impl Secret {
    /// Wraps a found value.
    pub fn new(value: impl Into<Box<str>>, kind: SecretKind) -> Secret {
        Secret {
            value: value.into(),
            kind,
        }
    }

    /// The raw value. Call sites are the places a secret can leak: keep them few.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Which half of a credential this is.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    /// The redacted form: identifiers keep their first 8 and last 4
    /// characters (`AKIDq3Wm…Fg0S`), keys keep nothing but their length.
    pub fn redacted(&self) -> String {
        redact(&self.value, self.kind)
    }
}

/// Redacts `value` the way a [`Secret`] of `kind` would.
pub fn redact(value: &str, kind: SecretKind) -> String {
    let chars: Vec<char> = value.chars().collect();
    match kind {
        SecretKind::Identifier if chars.len() >= 16 => {
            let head: String = chars[..8].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("{head}…{tail}")
        }
        SecretKind::Identifier if chars.len() >= 8 => {
            let head: String = chars[..4].iter().collect();
            format!("{head}…")
        }
        _ => format!("****({} chars)", chars.len()),
    }
}

/// Whether `s` is a SecretId shortened by [`redact`]: 8 id characters,
/// `…`, 4 id characters. A bare prefix (`AKID…`) is not.
pub fn is_shortened_id(s: &str) -> bool {
    let Some((head, tail)) = s.split_once('…') else {
        return false;
    };
    head.chars().count() == 8
        && tail.chars().count() == 4
        && head.chars().chain(tail.chars()).all(is_id_char)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_is_shortened() {
        let s = Secret::new(
            "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1",
            SecretKind::Identifier,
        );
        assert_eq!(s.to_string(), "AKIDq3Wm…0Sj1");
        assert_eq!(format!("{s:?}"), "Secret(AKIDq3Wm…0Sj1)");
    }

    #[test]
    fn key_is_masked() {
        let s = Secret::new("Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0", SecretKind::Key);
        assert_eq!(s.to_string(), "****(32 chars)");
        assert!(!format!("{s:?}").contains("Zx81"));
        assert_eq!(s.expose(), "Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0");
    }

    #[test]
    fn shortened_ids_are_recognised() {
        assert!(is_shortened_id("AKIDq3Wm…0Sj1"));
        assert!(!is_shortened_id("AKID…"));
        assert!(!is_shortened_id("AKIDq3…0Sj1"));
    }
}
