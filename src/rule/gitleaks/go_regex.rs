//! gitleaks' Go (RE2) regexes made into Rust `regex` patterns: the syntax
//! the two read differently rewritten, the secret group named `secret`,
//! and a pattern's compile checked within keyhound's size limits.

use regex_syntax::ast::{self, Ast, GroupKind};

/// Rewrites Go RE2 syntax that Rust's `regex` reads differently: `\w`,
/// `\d`, `\s` and `\b` are ASCII-only in Go (Unicode ones blow Rust's size
/// limit under long repetitions, and a Unicode `\b` stops the lazy DFA), a
/// `{` that does not start a repetition is a literal in Go, and `[` inside
/// a character class (other than `[:alpha:]`) is a literal in Go but a
/// nested class in Rust.
pub(super) fn go_to_rust(re: &str) -> String {
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::with_capacity(re.len() + 8);
    let mut class_start: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let inside = class_start.is_some();
                match (chars.get(i + 1), inside) {
                    (Some('w'), false) => out.push_str("[[:word:]]"),
                    (Some('w'), true) => out.push_str("[:word:]"),
                    (Some('d'), false) => out.push_str("[0-9]"),
                    (Some('d'), true) => out.push_str("0-9"),
                    (Some('s'), false) => out.push_str("[\\t\\n\\f\\r ]"),
                    (Some('s'), true) => out.push_str("\\t\\n\\f\\r "),
                    (Some(&b @ ('b' | 'B')), false) => {
                        out.push_str("(?-u:\\");
                        out.push(b);
                        out.push(')');
                    }
                    (Some(&n), _) => {
                        out.push(c);
                        out.push(n);
                    }
                    (None, _) => out.push(c),
                }
                i += 2;
                continue;
            }
            '[' if class_start.is_none() => {
                class_start = Some(out.len());
                out.push(c);
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                let rest: String = chars[i..].iter().collect();
                let end = rest.find(":]").map_or(1, |e| e + 2);
                out.push_str(&rest[..end]);
                i += rest[..end].chars().count();
                continue;
            }
            '[' | '&' | '~' if class_start.is_some() => {
                out.push('\\');
                out.push(c);
            }
            '-' if class_start.is_some() && chars.get(i + 1) == Some(&'-') => {
                out.push_str("\\-");
            }
            ']' if class_start.is_some() => {
                class_start = None;
                out.push(c);
            }
            '{' if class_start.is_none() && !is_repetition(&chars[i + 1..]) => out.push_str("\\{"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether `rest` (after a `{`) reads `n}`, `n,}` or `n,m}`.
fn is_repetition(rest: &[char]) -> bool {
    let s: String = rest.iter().take_while(|c| **c != '}').collect();
    if s.len() == rest.len() {
        return false;
    }
    let (a, b) = s.split_once(',').unwrap_or((&s, "0"));
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    digits(a) && (b.is_empty() || digits(b))
}

pub(super) fn compile(pattern: &str) -> Result<(), String> {
    regex::bytes::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                let last = s.lines().last().unwrap_or_default().trim().to_string();
                format!("regex not supported by Rust regex: {last}")
            }
            other => format!("regex: {other}"),
        })
}

/// Makes the secret the `secret` group: gitleaks' `secretGroup` is renamed,
/// and a regex with no capture group at all is wrapped in one.
pub(super) fn name_secret_group(regex: &str, group: Option<u32>) -> Result<String, String> {
    let parsed = ast::parse::Parser::new()
        .parse(regex)
        .map_err(|e| format!("regex not supported by Rust regex: {}", e.kind()))?;
    let mut groups = Vec::new();
    collect_groups(&parsed, &mut groups);
    match group.filter(|g| *g > 0) {
        None if groups.is_empty() => Ok(format!("(?P<secret>{regex})")),
        None => Ok(regex.to_string()),
        Some(n) => {
            let g = groups.iter().find(|g| g.0 == n).ok_or_else(|| {
                format!("secretGroup {n} but the regex has {} groups", groups.len())
            })?;
            let mut s = regex.to_string();
            match &g.1 {
                None => s.insert_str(g.2 + 1, "?P<secret>"),
                Some(name) => s.replace_range(name.clone(), "secret"),
            }
            Ok(s)
        }
    }
}

/// `(capture index, span of its name if named, offset of its '(')`.
type GroupAt = (u32, Option<std::ops::Range<usize>>, usize);

fn collect_groups(a: &Ast, out: &mut Vec<GroupAt>) {
    match a {
        Ast::Group(g) => {
            match &g.kind {
                GroupKind::CaptureIndex(i) => out.push((*i, None, g.span.start.offset)),
                GroupKind::CaptureName { name, .. } => out.push((
                    name.index,
                    Some(name.span.start.offset..name.span.end.offset),
                    g.span.start.offset,
                )),
                GroupKind::NonCapturing(_) => {}
            }
            collect_groups(&g.ast, out);
        }
        Ast::Repetition(r) => collect_groups(&r.ast, out),
        Ast::Alternation(x) => x.asts.iter().for_each(|a| collect_groups(a, out)),
        Ast::Concat(x) => x.asts.iter().for_each(|a| collect_groups(a, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_is_rewritten() {
        assert_eq!(
            go_to_rust(r"^\$(?:\d+|{\d+})$"),
            r"^\$(?:[0-9]+|\{[0-9]+})$"
        );
        assert_eq!(go_to_rust(r"a{2,}b{1,3}[\w{-]"), r"a{2,}b{1,3}[[:word:]{-]");
        assert_eq!(go_to_rust(r"[[:alpha:][]x"), r"[[:alpha:]\[]x");
        assert_eq!(go_to_rust(r"[]a]\s"), r"[\]a][\t\n\f\r ]");
        assert_eq!(go_to_rust(r"\bx\B"), r"(?-u:\b)x(?-u:\B)");
        for re in [r"^\$(?:\d+|{\d+})$", r"[\w.-]{0,1000}", r"[[:alpha:][]x"] {
            compile(&go_to_rust(re)).unwrap();
        }
    }

    #[test]
    fn secret_group_is_named() {
        assert_eq!(
            name_secret_group("ab[0-9]+", None).unwrap(),
            "(?P<secret>ab[0-9]+)"
        );
        assert_eq!(name_secret_group("a(b)(c)", None).unwrap(), "a(b)(c)");
        assert_eq!(
            name_secret_group("a(b)(?:x)(c)", Some(2)).unwrap(),
            "a(b)(?:x)(?P<secret>c)"
        );
        assert_eq!(
            name_secret_group("a(?P<k>b)", Some(1)).unwrap(),
            "a(?P<secret>b)"
        );
        assert!(name_secret_group("a(b)", Some(3)).is_err());
    }
}
