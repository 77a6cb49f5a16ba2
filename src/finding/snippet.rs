//! The line around a match, with the spans of every secret detected in it:
//! [`Snippet`] keeps the text as found, shows it only through
//! [`Snippet::expose`], and formats masked in `Debug`.

use super::{SecretKind, redact};
use std::fmt;

/// A byte span of a [`Snippet`] that holds a detected secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    /// Start offset in the snippet.
    pub start: u32,
    /// End offset in the snippet.
    pub end: u32,
    /// How the secret is redacted when it is whole.
    pub kind: SecretKind,
    /// False when the snippet's window cut the secret: then nothing of it is
    /// shown.
    pub whole: bool,
}

/// The line holding a secret, as found (not yet redacted or sanitised), and
/// where in it every secret detected in the same content sits (the match's
/// own and any other's, whole or cut by the snippet's edges). `Debug` shows
/// it masked; the raw text takes [`Snippet::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    text: String,
    masks: Vec<Mask>,
}

impl Snippet {
    /// `text` with the secrets at `masks`.
    pub fn new(text: impl Into<String>, masks: Vec<Mask>) -> Snippet {
        Snippet {
            text: text.into(),
            masks,
        }
    }

    /// The text as found, secrets and all: for `--show-secrets` and for
    /// checks that read the line (inline allow comments).
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Where the secrets sit.
    pub fn masks(&self) -> &[Mask] {
        &self.masks
    }

    /// The text with every mask applied: a whole secret redacted as its kind
    /// is, a piece cut by the snippet's edges hidden entirely. Masks that do
    /// not fit the text hide all of it.
    pub fn masked(&self) -> String {
        let text = &self.text;
        let mut out = String::with_capacity(text.len());
        let mut pos = 0usize;
        for mask in &self.masks {
            let (s, e) = (mask.start as usize, mask.end as usize);
            let (Some(before), Some(piece)) = (text.get(pos..s), text.get(s..e)) else {
                return redact(text, SecretKind::Key);
            };
            out.push_str(before);
            let kind = if mask.whole {
                mask.kind
            } else {
                SecretKind::Key
            };
            out.push_str(&redact(piece, kind));
            pos = e;
        }
        out.push_str(text.get(pos..).unwrap_or_default());
        out
    }
}

/// The masks of `text` for the `secrets` it holds, each given with its
/// kind: every whole copy, and a piece of one cut by either edge of the
/// window (eight characters or more). Spans overlapping an earlier one are
/// left out; the result is sorted, as [`Snippet::new`] wants.
pub fn masks_of(text: &str, secrets: &[(&str, SecretKind)]) -> Vec<Mask> {
    const PIECE: usize = 8;
    let mut spans: Vec<Mask> = Vec::new();
    let mut add = |start: usize, end: usize, kind: SecretKind, whole: bool| {
        spans.push(Mask {
            start: start as u32,
            end: end as u32,
            kind,
            whole,
        })
    };
    for &(secret, kind) in secrets.iter().filter(|(s, _)| s.len() >= PIECE) {
        for (at, _) in text.match_indices(secret) {
            add(at, at + secret.len(), kind, true);
        }
        let cut = (PIECE..secret.len()).rev();
        if let Some(n) = cut
            .clone()
            .find(|&n| (secret.get(secret.len() - n..)).is_some_and(|p| text.starts_with(p)))
        {
            add(0, n, kind, false);
        }
        if let Some(n) = cut
            .clone()
            .find(|&n| secret.get(..n).is_some_and(|p| text.ends_with(p)))
        {
            add(text.len() - n, text.len(), kind, false);
        }
    }
    spans.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut out: Vec<Mask> = Vec::new();
    for m in spans {
        if out.last().is_none_or(|last| m.start >= last.end) {
            out.push(m);
        }
    }
    out
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Snippet").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_snippet_masked() {
        let key = "Zx81kQp0Lm2Nb7Vc4Xs9Ad3Fg6Hj5Kl0";
        let text = format!("secret_key = \"{key}\" # prod");
        let s = Snippet::new(
            text.as_str(),
            vec![Mask {
                start: 14,
                end: 14 + key.len() as u32,
                kind: SecretKind::Key,
                whole: true,
            }],
        );
        let d = format!("{s:?}");
        assert!(!d.contains("Zx81kQp0"), "{d}");
        assert!(d.contains("secret_key = ") && d.contains("# prod"), "{d}");
        assert_eq!(s.expose(), text);
        let misplaced = Snippet::new(
            text.as_str(),
            vec![Mask {
                end: 999,
                ..s.masks()[0].clone()
            }],
        );
        assert!(!format!("{misplaced:?}").contains("Zx81kQp0"));
    }
}
