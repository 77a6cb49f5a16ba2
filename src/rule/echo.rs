//! Credentials quoted back inside a message (a server's error, a journal
//! line), found with the built-in rules' own patterns and shortened the way
//! reports show them: every provider's ids come from its rule, never from a
//! second list of prefixes.

use super::RuleSet;
use crate::finding::{SecretKind, redact};
use regex::bytes::{Regex, RegexBuilder};
use std::borrow::Cow;
use std::sync::OnceLock;

/// One built-in rule's pattern, compiled for messages the first time one
/// holds its keyword.
struct Shape {
    /// Lower-cased keywords, one of which a message must hold.
    keywords: Vec<String>,
    pattern: String,
    re: OnceLock<Option<Regex>>,
    /// An id (paired with a key, or a temporary credential's id) is
    /// shortened; any other credential is masked whole.
    kind: SecretKind,
}

impl Shape {
    /// The compiled pattern (`None`: it does not compile, as the engine
    /// would have refused it).
    fn re(&self) -> Option<&Regex> {
        self.re
            .get_or_init(|| {
                let build = |unicode: bool| {
                    RegexBuilder::new(&self.pattern)
                        .unicode(unicode)
                        .size_limit(1 << 23)
                        .build()
                };
                build(false).or_else(|_| build(true)).ok()
            })
            .as_ref()
    }
}

fn shapes() -> &'static [Shape] {
    static SHAPES: OnceLock<Vec<Shape>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        RuleSet::builtin()
            .rules
            .into_iter()
            .filter(|r| !r.generic)
            .map(|r| {
                let kind = if r.pair.is_some() || r.temporary {
                    SecretKind::Identifier
                } else {
                    SecretKind::Key
                };
                let keywords = r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
                Shape {
                    keywords,
                    pattern: r.pattern,
                    re: OnceLock::new(),
                    kind,
                }
            })
            .collect()
    })
}

/// `text` with every credential a built-in rule finds in it shortened by
/// [`redact`] (ids keep their first 8 and last 4 characters, keys and
/// tokens nothing): for messages that quote what a server or a file said.
pub fn redact_ids(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize, SecretKind)> = Vec::new();
    for s in shapes() {
        if !s.keywords.is_empty() && !s.keywords.iter().any(|k| lower.contains(k.as_str())) {
            continue;
        }
        let Some(re) = s.re() else { continue };
        for caps in re.captures_iter(text.as_bytes()) {
            let Some(m) = caps.name("secret").or_else(|| caps.get(0)) else {
                continue;
            };
            if m.start() < m.end()
                && text.is_char_boundary(m.start())
                && text.is_char_boundary(m.end())
            {
                spans.push((m.start(), m.end(), s.kind));
            }
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    // Overlaps merge; a span any rule calls a key is masked whole.
    spans.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let mut merged: Vec<(usize, usize, SecretKind)> = Vec::new();
    for (start, end, kind) in spans {
        match merged.last_mut() {
            Some(last) if start < last.1 => {
                last.1 = last.1.max(end);
                if kind == SecretKind::Key {
                    last.2 = SecretKind::Key;
                }
            }
            _ => merged.push((start, end, kind)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, kind) in merged {
        out.push_str(&text[at..start]);
        out.push_str(&redact(&text[start..end], kind));
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_providers_ids_in_text_are_shortened() {
        let tencent = format!("AKID{}", "q3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1");
        let t = format!("refused {tencent}: ({tencent}) IKID and AKID… stay");
        assert_eq!(
            redact_ids(&t),
            "refused AKIDq3Wm…0Sj1: (AKIDq3Wm…0Sj1) IKID and AKID… stay"
        );
        for (id, shown) in [
            ("LTAI5tRq8WcY2nJ4hVb6mZkP", "LTAI5tRq…mZkP"),
            ("STS.NTq7vG3kXb2Lm9QzR4wYp8cJd", "STS.NTq7…p8cJd"),
            (
                "AKLTYmQ4ZTM3NzE0ZjVmNDRkZmE5ZWU0ZDY1OTk0ZWNhNzk",
                "AKLTYmQ4…Nzk",
            ),
            ("ALTAKc5yF8mWq3rZt7vBn2jKp", "ALTAKc5y…2jKp"),
        ] {
            let msg = format!("InvalidAccessKeyId.NotFound: key {id} is unknown.");
            let got = redact_ids(&msg);
            assert!(!got.contains(id), "{got}");
            assert!(got.contains(&shown[..8]), "{got}");
        }
        assert_eq!(redact_ids("no credential here"), "no credential here");
        assert!(matches!(redact_ids("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn tokens_without_an_id_are_masked_whole() {
        let token = format!("ghp_{}", "Zq8Lm3Nb7Vc4Xs9Ad3Fg6Hj5Kl0Pq2Wr1Ty0");
        let msg = format!("Bad credentials for {token}.");
        let got = redact_ids(&msg);
        assert!(!got.contains("Zq8Lm3"), "{got}");
    }
}
