//! The `.keyhoundignore` file: findings to leave out, one per line, keyed on
//! the finding's content fingerprint so entries survive rebases, squashes
//! and moved lines.
//!
//! ```text
//! # <fingerprint> [path=GLOB] [expires=YYYY-MM-DD] [owner=NAME] [# reason]
//! 0f3c2a9d1e7b4c6a8d2f0e1b3a5c7d9e                              # test key, revoked
//! 9a8b7c6d5e4f30211203a4b5c6d7e8f9 path=tests/** expires=2027-01-31 owner=alice
//! ```
//!
//! The fingerprint is the one every report prints. `path=` narrows the entry
//! to locations whose path (from the repo root) matches the glob; the same
//! secret elsewhere is still reported. From the day after `expires=` the
//! entry stops suppressing and a warning says so. A `#` after whitespace
//! starts the reason.

use super::ConfigError;
use super::allow::glob;
use crate::finding::Fingerprint;
use globset::GlobMatcher;
use time::Date;

/// One entry.
#[derive(Debug)]
pub struct IgnoreEntry {
    /// The finding it suppresses.
    pub fingerprint: Fingerprint,
    /// Only locations whose path matches (the glob text and its matcher).
    pub path: Option<(String, GlobMatcher)>,
    /// Last day the entry suppresses.
    pub expires: Option<Date>,
    /// Who answers for it.
    pub owner: Option<String>,
    /// Why it is ignored.
    pub reason: Option<String>,
    /// 1-based line in the file.
    pub line: usize,
}

impl IgnoreEntry {
    /// Whether the entry has expired on `today`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| today > d)
    }

    /// Whether the entry covers a location at `path`.
    pub fn covers_path(&self, path: &str) -> bool {
        self.path.as_ref().is_none_or(|(_, g)| g.is_match(path))
    }
}

/// A parsed ignore file.
#[derive(Debug, Default)]
pub struct IgnoreFile {
    /// The file, as named in messages.
    pub origin: String,
    /// Its entries, in file order.
    pub entries: Vec<IgnoreEntry>,
}

/// Parses an ignore file. Bad lines are returned as errors and left out;
/// the good ones still count.
pub fn parse(text: &str, origin: &str) -> (IgnoreFile, Vec<ConfigError>) {
    let mut file = IgnoreFile {
        origin: origin.to_string(),
        entries: Vec::new(),
    };
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        match parse_line(raw, i + 1) {
            Ok(Some(e)) => file.entries.push(e),
            Ok(None) => {}
            Err(msg) => errors.push(ConfigError {
                message: format!("{origin}:{}: {msg}", i + 1),
            }),
        }
    }
    (file, errors)
}

fn parse_line(raw: &str, line: usize) -> Result<Option<IgnoreEntry>, String> {
    let (body, reason) = split_reason(raw);
    let mut words = body.split_whitespace();
    let Some(first) = words.next() else {
        return Ok(None);
    };
    let fingerprint = Fingerprint::from_hex(first)
        .ok_or_else(|| format!("expected a 32-hex-digit fingerprint, found {first:?}"))?;
    let mut entry = IgnoreEntry {
        fingerprint,
        path: None,
        expires: None,
        owner: None,
        reason,
        line,
    };
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, found {w:?}"))?;
        match k {
            "path" if v.trim().is_empty() => {
                return Err(
                    "empty path=: it would match every path; name a path or drop it".into(),
                );
            }
            "path" => {
                let g = glob(v).map_err(|e| format!("path: invalid glob {v:?}: {}", e.kind()))?;
                entry.path = Some((v.to_string(), g.compile_matcher()));
            }
            "expires" => entry.expires = Some(parse_date(v)?),
            "owner" => entry.owner = Some(v.to_string()),
            _ => {
                return Err(format!(
                    "unknown key {k:?} (expected path, expires or owner)"
                ));
            }
        }
    }
    Ok(Some(entry))
}

/// Splits `body # reason`; a `#` starts a comment at the line start or after
/// whitespace.
fn split_reason(raw: &str) -> (&str, Option<String>) {
    let bytes = raw.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            let reason = raw[i + 1..].trim();
            let reason = (!reason.is_empty()).then(|| reason.to_string());
            return (&raw[..i], reason);
        }
    }
    (raw, None)
}

fn parse_date(v: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v, &fmt).map_err(|_| format!("expires: expected YYYY-MM-DD, found {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0123456789abcdef0123456789ABCDEF";

    #[test]
    fn parses_entries_and_reasons() {
        let text = format!(
            "# header\n\n{FP}\n{FP} path=tests/** expires=2027-01-31 owner=al # a reason\n"
        );
        let (f, errs) = parse(&text, ".keyhoundignore");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(f.entries.len(), 2);
        let e = &f.entries[1];
        assert_eq!(e.fingerprint.as_str(), FP.to_ascii_lowercase());
        assert_eq!(e.line, 4);
        assert_eq!(e.owner.as_deref(), Some("al"));
        assert_eq!(e.reason.as_deref(), Some("a reason"));
        assert!(e.covers_path("tests/x/y.rs"));
        assert!(!e.covers_path("src/y.rs"));
        let day = |s| parse_date(s).unwrap();
        assert!(!e.expired(day("2027-01-31")));
        assert!(e.expired(day("2027-02-01")));
    }

    #[test]
    fn bad_lines_are_errors_with_line_numbers() {
        let text = format!("nothex\n{FP} expires=tomorrow\n{FP} colour=red\n{FP}\n");
        let (f, errs) = parse(&text, "ig");
        assert_eq!(f.entries.len(), 1);
        let msgs: Vec<_> = errs.iter().map(|e| e.message.as_str()).collect();
        assert!(msgs[0].starts_with("ig:1: expected a 32-hex-digit fingerprint"));
        assert!(msgs[1].starts_with("ig:2: expires: expected YYYY-MM-DD"));
        assert!(msgs[2].starts_with("ig:3: unknown key \"colour\""));
    }
}
