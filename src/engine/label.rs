//! Labels: the word that names a value (`SecretKey:` before a key,
//! `secret_id_list = [` before an id), split into parts and compared, so
//! pairing and the unpaired-match checks can tell what a value is said to be.

use super::MAX_LINE_REACH;
use super::lines::Lines;

/// The label of the value at `at`: the last word before it on its line, or,
/// when nothing precedes it there, the last word of the line before
/// (`SecretKey:` then the value on the next line). Looks back at most
/// [`MAX_LINE_REACH`] bytes on each line.
pub(super) fn label<'h>(lines: &Lines<'h>, at: usize) -> Option<&'h [u8]> {
    let hay = lines.hay;
    let ls = lines.start_within(at, at.saturating_sub(MAX_LINE_REACH));
    match last_word(&hay[ls..at]) {
        Some(w) => Some(w),
        // Only where `ls` is a real line start is there a line before.
        None if ls > 0 && hay[ls - 1] == b'\n' => {
            let end = ls - 1;
            last_word(&hay[lines.start_within(end, end.saturating_sub(MAX_LINE_REACH))..end])
        }
        None => None,
    }
}

/// Words of a label that only say "this is a credential". The words that
/// only name a provider (`tencentcloud`, `aliyun`) are each rule's data
/// (`pair.label_words`), not the engine's.
const CREDENTIAL_WORDS: &[&str] = &[
    "secret",
    "key",
    "id",
    "sk",
    "ak",
    "skey",
    "access",
    "accesskey",
    "tmp",
    "api",
    "cloud",
];

/// The parts of a label that qualify which credential it is, beyond the
/// credential words and the rule's `provider_words`: `PROD_SECRET_KEY` →
/// `prod`, `secret_id_2` → `2`, `TENCENTCLOUD_SECRET_KEY` → nothing.
pub(super) fn qualifier(label: &[u8], provider_words: &[String]) -> Vec<String> {
    let mut q = split_parts(label);
    q.retain(|p| !CREDENTIAL_WORDS.contains(&p.as_str()) && !provider_words.contains(p));
    q
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

pub(super) fn last_word(s: &[u8]) -> Option<&[u8]> {
    let end = s.iter().rposition(|&b| is_word_byte(b))? + 1;
    let start = s[..end]
        .iter()
        .rposition(|&b| !is_word_byte(b))
        .map_or(0, |i| i + 1);
    Some(&s[start..end])
}

/// Whether some trailing run of `word`'s parts, joined, is a hint:
/// `TENCENTCLOUD_SECRET_KEY` → parts `tencentcloud secret key` → `secretkey`.
/// Trailing numbers are ignored: `secret_key_2` is a key label.
pub(super) fn is_hint(word: &[u8], hints: &[String]) -> bool {
    let mut parts = split_parts(word);
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        parts.pop();
    }
    // Is some hint exactly the concatenation of a run of trailing parts?
    hints.iter().any(|h| {
        let mut rest = h.as_str();
        for p in parts.iter().rev() {
            match rest.strip_suffix(p.as_str()) {
                Some("") => return true,
                Some(r) => rest = r,
                None => return false,
            }
        }
        false
    })
}

/// Splits an identifier on `_ - .` and lower-to-upper case changes, lower-cased.
pub(super) fn split_parts(word: &[u8]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &b in word {
        if !b.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        cur.push(b.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

pub(super) fn normalize(h: &[u8]) -> String {
    h.iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints() -> Vec<String> {
        ["secretkey", "sk", "secret_access_key"]
            .iter()
            .map(|h| normalize(h.as_bytes()))
            .collect()
    }

    #[test]
    fn labels_name_keys_by_trailing_parts() {
        let h = hints();
        for yes in [
            "TENCENTCLOUD_SECRET_KEY",
            "secretKey",
            "SecretKey",
            "cos-secret-key",
            "tencent.cloud.secret-key",
            "Sk",
            "aws_secret_access_key",
        ] {
            assert!(is_hint(yes.as_bytes(), &h), "{yes}");
        }
        for no in [
            "task",
            "secret_id",
            "SecretId",
            "secret_key_id",
            "desk",
            "mask",
        ] {
            assert!(!is_hint(no.as_bytes(), &h), "{no}");
        }
    }

    #[test]
    fn label_is_last_word_or_previous_line() {
        let h = hints();
        let text = b"secretKey=VALUE\nSecretKey:\n  VALUE\nname: VALUE";
        let at = |n: usize| memchr::memmem::find_iter(text, b"VALUE").nth(n).unwrap();
        let lines = Lines::scan(text);
        let hinted = |n| label(&lines, at(n)).is_some_and(|w| is_hint(w, &h));
        assert!(hinted(0));
        assert!(hinted(1));
        assert!(!hinted(2));
    }
}
