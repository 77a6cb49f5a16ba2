//! Terminal safety: text from scanned files is attacker-controlled, so every
//! control, bidi-override, zero-width and format character is replaced
//! before it reaches a terminal.

pub use crate::diagnostic::cut;

/// True for characters that must not reach a terminal raw: C0/C1 controls
/// and DEL (tab excepted), bidi embeddings/overrides/isolates, zero-width and
/// other format characters, tag characters.
fn is_unsafe(c: char) -> bool {
    match c {
        '\t' => false,
        c if c.is_control() => true,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{00AD}'
        | '\u{061C}'
        | '\u{180E}' => true,
        _ => false,
    }
}

/// Replaces every unsafe character with its `\u{..}` escape, so nothing is
/// hidden and nothing is interpreted.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(is_unsafe) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`sanitize`]d and [`cut`] to about `max` characters.
pub fn bounded(s: &str, max: usize) -> String {
    cut(&sanitize(s), max)
}

#[cfg(test)]
mod tests {
    use super::{bounded, sanitize};

    #[test]
    fn long_text_keeps_its_ends() {
        assert_eq!(bounded("short", 10), "short");
        let long = format!("cannot read {}: denied", "a".repeat(100));
        let b = bounded(&long, 30);
        assert!(b.starts_with("cannot read aaaaaaaa…"), "{b}");
        assert!(b.ends_with("aa: denied"), "{b}");
        assert!(b.contains("[90 characters cut]"), "{b}");
        assert_eq!(bounded("\x1b[31m", 100), "\\u{1b}[31m");
    }

    #[test]
    fn escapes_are_neutralised() {
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(sanitize("tab\tok"), "tab\tok");
        assert_eq!(sanitize("bell\x07\r"), "bell\\u{7}\\u{d}");
    }
}
