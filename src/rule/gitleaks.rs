//! Reading gitleaks and Betterleaks TOML configs as they are: `[[rules]]`
//! become keyhound [`Rule`]s with ids prefixed `gitleaks.`; rules the Rust
//! `regex` crate cannot compile are skipped and named, never fatal.
//!
//! What maps: `regex` (with `secretGroup` renamed to the `secret` group, or
//! the whole match when there is no group), `keywords`, `entropy`, `path`;
//! every allowlist, the rules' own and the top-level `[allowlist]` /
//! `[[allowlists]]` (over every rule in force, built-in ones included, or
//! the ones `targetRules` names), with gitleaks' `condition`, `commits`,
//! `paths`, `regexes`, `regexTarget` and `stopwords`, as [`GitleaksAllow`]s
//! that noise control applies; `[extend] useDefault` (keyhound's built-in
//! rules stand for gitleaks' default ones), `path` (another config, read by
//! the loader) and `disabledRules`. What does not, with a note: composite
//! `required` parts (the rule is kept without them), path-only rules and
//! Betterleaks-only keys.

use super::{Allowlist, LoadError, Rule, Severity};
use regex_syntax::ast::{self, Ast, GroupKind};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Prefix of every imported rule id.
pub const ID_PREFIX: &str = "gitleaks.";

/// The outcome of importing one file.
#[derive(Debug, Default)]
pub struct Imported {
    /// Rules that compile.
    pub rules: Vec<Rule>,
    /// `(rule id, why)` of every rule left out.
    pub skipped: Vec<(String, String)>,
    /// Things read but not applied.
    pub notes: Vec<String>,
    /// `[extend] useDefault = true`: the config adds to the default rules
    /// (for keyhound, its built-in ones) instead of replacing them.
    pub use_default: bool,
    /// Every allowlist of the file, top-level and per rule.
    pub allowlists: Vec<GitleaksAllow>,
    /// `[extend] disabledRules`: ids of extended or default rules to drop.
    pub disabled_rules: Vec<String>,
    /// `[extend] path`: another gitleaks config this one extends.
    pub extend_path: Option<String>,
}

/// What an allowlist's `regexes` are matched against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegexTarget {
    /// The secret (gitleaks' default).
    #[default]
    Secret,
    /// The whole match; keyhound keeps the secret's span only, so this is
    /// matched against the secret (allowing no more than gitleaks would).
    Match,
    /// The line holding the secret.
    Line,
}

/// One gitleaks allowlist, its regexes rewritten for Rust: a match is
/// allowed when any check passes (`condition = "OR"`, the default) or when
/// every check it has passes (`"AND"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GitleaksAllow {
    /// Where it came from, for logs (`FILE: top-level allowlist`).
    pub description: String,
    /// keyhound rule ids it applies to; empty: every rule.
    pub targets: Vec<String>,
    /// `condition = "AND"`.
    pub and: bool,
    /// Commit hashes whose matches are allowed.
    pub commits: Vec<String>,
    /// Regexes over the path from the scanned root.
    pub paths: Vec<String>,
    /// What `regexes` are matched against.
    pub regex_target: RegexTarget,
    /// Regexes over [`Self::regex_target`].
    pub regexes: Vec<String>,
    /// Case-insensitive substrings of the secret.
    pub stopwords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(default)]
    extend: Option<toml::Table>,
    #[serde(default)]
    allowlist: Option<GlAllow>,
    #[serde(default)]
    allowlists: Vec<GlAllow>,
    #[serde(default)]
    rules: Vec<GlRule>,
    #[serde(flatten)]
    other: toml::Table,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlRule {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<u32>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    allowlist: Option<GlAllow>,
    #[serde(default)]
    allowlists: Vec<GlAllow>,
    #[serde(default)]
    required: Vec<toml::Value>,
    #[serde(flatten)]
    other: toml::Table,
}

#[derive(Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
struct GlAllow {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// Keys of a gitleaks rule or file that are read but have no keyhound meaning.
const HARMLESS: &[&str] = &["tags", "title", "minVersion", "description", "skipReport"];

/// Top-level keys only a gitleaks/Betterleaks config has.
const GITLEAKS_KEYS: &[&str] = &[
    "rules",
    "extend",
    "allowlist",
    "allowlists",
    "title",
    "minVersion",
];

/// Whether `text` is a gitleaks/Betterleaks config (`[[rules]]`,
/// `[extend]`, `[allowlist]`...) rather than a keyhound rule file
/// (`[[rule]]`) or `.keyhound.toml`.
pub fn is_gitleaks(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .is_ok_and(|t| GITLEAKS_KEYS.iter().any(|k| t.contains_key(*k)))
}

/// Converts a gitleaks config; `origin` names the file in errors.
pub fn import(text: &str, origin: &str) -> Result<Imported, LoadError> {
    let file: File = toml::from_str(text).map_err(|e| LoadError {
        origin: origin.to_string(),
        rule: None,
        reason: e.to_string().trim_end().replace('\n', " "),
    })?;
    let mut out = Imported::default();
    if let Some(ext) = &file.extend {
        read_extend(ext, &mut out);
    }
    let mut extra: BTreeSet<String> = file
        .other
        .keys()
        .filter(|k| !HARMLESS.contains(&k.as_str()))
        .cloned()
        .collect();
    for (i, a) in file.allowlist.iter().chain(&file.allowlists).enumerate() {
        let whose = format!("{origin}: top-level allowlist {}", i + 1);
        // targetRules name gitleaks ids: this file's (or an extended one's)
        // rules as imported, or keyhound's own ids.
        let targets = a
            .target_rules
            .iter()
            .flat_map(|t| [format!("{ID_PREFIX}{t}"), t.clone()])
            .collect();
        out.allowlists
            .extend(convert_allow(a, whose, targets, &mut out.notes));
    }
    for r in file.rules {
        let id = format!("{ID_PREFIX}{}", r.id);
        extra.extend(
            r.other
                .keys()
                .filter(|k| !HARMLESS.contains(&k.as_str()))
                .cloned(),
        );
        for (i, a) in r.allowlist.iter().chain(&r.allowlists).enumerate() {
            let whose = format!("{origin}: {id} allowlist {}", i + 1);
            out.allowlists
                .extend(convert_allow(a, whose, vec![id.clone()], &mut out.notes));
        }
        match convert_rule(&r, &id, &mut out.notes) {
            Ok(rule) => out.rules.push(rule),
            Err(why) => out.skipped.push((id, why)),
        }
    }
    if !extra.is_empty() {
        let keys: Vec<_> = extra.into_iter().collect();
        out.notes
            .push(format!("keys not supported, ignored: {}", keys.join(", ")));
    }
    Ok(out)
}

/// `[extend]`: `useDefault`, `path` and `disabledRules`.
fn read_extend(ext: &toml::Table, out: &mut Imported) {
    for (key, v) in ext {
        match (key.as_str(), v) {
            ("useDefault", toml::Value::Boolean(b)) => out.use_default = *b,
            ("path", toml::Value::String(p)) => out.extend_path = Some(p.clone()),
            ("disabledRules", toml::Value::Array(ids)) => out
                .disabled_rules
                .extend(ids.iter().filter_map(|v| v.as_str().map(str::to_string))),
            _ => out.notes.push(format!("[extend] {key} ignored")),
        }
    }
}

fn convert_rule(r: &GlRule, id: &str, notes: &mut Vec<String>) -> Result<Rule, String> {
    let regex = r
        .regex
        .as_deref()
        .ok_or_else(|| "no regex (path-only rules are not supported)".to_string())?;
    let pattern = name_secret_group(&go_to_rust(regex), r.secret_group)?;
    compile(&pattern)?;
    let path = r.path.as_deref().map(go_to_rust);
    if let Some(p) = &path {
        compile(p).map_err(|e| format!("path: {e}"))?;
    }
    if !r.required.is_empty() {
        notes.push(format!(
            "{id}: required parts ignored; the rule reports on its own"
        ));
    }
    Ok(Rule {
        id: id.to_string(),
        name: r.id.clone(),
        description: r.description.clone(),
        keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
        pattern,
        min_entropy: r.entropy,
        max_repeat: None,
        window_lines: 0,
        window_lines_before: 0,
        generic: false,
        severity: Severity::default(),
        path,
        pair: None,
        allow: Allowlist::default(),
        verify: None,
        temporary: false,
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
    })
}

/// A gitleaks allowlist for `targets`, or `None` (with a note) when it
/// cannot be applied as gitleaks would. Regexes Rust cannot compile are
/// dropped with a note: under OR that allows less; under AND a check left
/// with no regex would pass everything, so the allowlist is dropped.
fn convert_allow(
    a: &GlAllow,
    whose: String,
    targets: Vec<String>,
    notes: &mut Vec<String>,
) -> Option<GitleaksAllow> {
    let and = match a.condition.as_deref().map(str::to_ascii_uppercase) {
        None => false,
        Some(c) if c == "OR" => false,
        Some(c) if c == "AND" => true,
        Some(c) => {
            notes.push(format!(
                "{whose}: condition {c:?} is neither OR nor AND; allowlist ignored"
            ));
            return None;
        }
    };
    let regex_target = match a.regex_target.as_deref() {
        None | Some("" | "secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(t) => {
            notes.push(format!(
                "{whose}: regexTarget {t:?} is not secret, match or line; allowlist ignored"
            ));
            return None;
        }
    };
    let mut keep = |list: &[String], what: &str| -> Option<Vec<String>> {
        let out: Vec<String> = list
            .iter()
            .map(|re| go_to_rust(re))
            .filter(|re| match compile(re) {
                Ok(()) => true,
                Err(e) => {
                    notes.push(format!("{whose}: {what} {re:?} dropped: {e}"));
                    false
                }
            })
            .collect();
        (!and || out.len() == list.len() || !out.is_empty()).then_some(out)
    };
    let paths = keep(&a.paths, "path regex")?;
    let regexes = keep(&a.regexes, "regex")?;
    let out = GitleaksAllow {
        description: whose,
        targets,
        and,
        commits: a.commits.iter().map(|c| c.to_ascii_lowercase()).collect(),
        paths,
        regex_target,
        regexes,
        stopwords: a.stopwords.iter().map(|w| w.to_lowercase()).collect(),
    };
    let empty = out.commits.is_empty()
        && out.paths.is_empty()
        && out.regexes.is_empty()
        && out.stopwords.is_empty();
    if empty {
        notes.push(format!(
            "{}: an allowlist with no check (commits, paths, regexes or stopwords) ignored",
            out.description
        ));
        return None;
    }
    Some(out)
}

/// Rewrites Go RE2 syntax that Rust's `regex` reads differently: `\w`,
/// `\d`, `\s` and `\b` are ASCII-only in Go (Unicode ones blow Rust's size
/// limit under long repetitions, and a Unicode `\b` stops the lazy DFA), a
/// `{` that does not start a repetition is a literal in Go, and `[` inside
/// a character class (other than `[:alpha:]`) is a literal in Go but a
/// nested class in Rust.
fn go_to_rust(re: &str) -> String {
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

fn compile(pattern: &str) -> Result<(), String> {
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
fn name_secret_group(regex: &str, group: Option<u32>) -> Result<String, String> {
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

    #[test]
    fn converts_a_rule_and_skips_what_rust_cannot_compile() {
        let text = r#"
title = "t"
[extend]
useDefault = true
[allowlist]
paths = ['''vendor/''']
stopwords = ["example"]
[[rules]]
id = "tok"
description = "A token"
regex = '''tok_([a-z0-9]{8})'''
entropy = 2.5
keywords = ["TOK_"]
tags = ["x"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''fake''']
[[rules]]
id = "look"
regex = '''(?<=x)abc'''
[[rules]]
id = "pathonly"
path = '''\.p12$'''
"#;
        assert!(is_gitleaks(text));
        let imp = import(text, "g.toml").unwrap();
        assert_eq!(imp.rules.len(), 1);
        let r = &imp.rules[0];
        assert_eq!(r.id, "gitleaks.tok");
        assert_eq!(r.keywords, vec!["tok_"]);
        assert_eq!(r.min_entropy, Some(2.5));
        assert_eq!(
            r.allow,
            Allowlist::default(),
            "allowlists go to noise control"
        );
        let [top, own] = &imp.allowlists[..] else {
            panic!("{:?}", imp.allowlists)
        };
        assert!(
            top.targets.is_empty(),
            "a top-level allowlist is for every rule"
        );
        assert_eq!(top.paths, vec!["vendor/"]);
        assert_eq!(top.stopwords, vec!["example"]);
        assert_eq!(own.targets, vec!["gitleaks.tok"]);
        assert_eq!(own.regex_target, RegexTarget::Line);
        assert_eq!(own.regexes, vec!["fake"]);
        let ids: Vec<_> = imp.skipped.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(ids, vec!["gitleaks.look", "gitleaks.pathonly"]);
        assert!(imp.use_default);
        assert!(
            !import("[[rules]]\nid = 'a'\nregex = 'a'\n", "g")
                .unwrap()
                .use_default
        );
    }

    #[test]
    fn configs_without_rules_are_gitleaks_configs() {
        let text = r#"
[extend]
useDefault = true
disabledRules = ["generic-api-key"]
path = "base.toml"
[allowlist]
condition = "AND"
paths = ['''^testdata/''']
commits = ["ABC"]
[[allowlists]]
targetRules = ["tok"]
regexes = ['''(?<=x)y''']
"#;
        assert!(is_gitleaks(text));
        assert!(is_gitleaks("[allowlist]\npaths = ['a']\n"));
        assert!(!is_gitleaks(
            "disabled_rules = []\n[[allow]]\npaths = ['a']\n"
        ));
        let imp = import(text, "g.toml").unwrap();
        assert!(imp.rules.is_empty() && imp.use_default);
        assert_eq!(imp.disabled_rules, vec!["generic-api-key"]);
        assert_eq!(imp.extend_path.as_deref(), Some("base.toml"));
        let [a] = &imp.allowlists[..] else {
            panic!("an OR allowlist left with no regex Rust runs allows nothing: {imp:?}")
        };
        assert!(a.and);
        assert_eq!(a.commits, vec!["abc"]);
        assert!(
            imp.notes.iter().any(|n| n.contains("(?<=x)y")),
            "{:?}",
            imp.notes
        );
    }

    #[test]
    fn betterleaks_extras_are_read_and_noted() {
        let text = r#"
filter = '''true'''
[[rules]]
id = "aws-access-token"
regex = '''\b((?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z2-7]{16})\b'''
keywords = ["akia"]
validate = '''aws.validate(secret)'''
tokenEfficiency = true
[[rules.required]]
id = "aws-secret-access-key"
withinLines = 5
"#;
        let imp = import(text, "b.toml").unwrap();
        assert_eq!(imp.rules.len(), 1);
        assert!(imp.skipped.is_empty());
        assert_eq!(
            imp.notes,
            vec![
                "gitleaks.aws-access-token: required parts ignored; the rule reports on its own",
                "keys not supported, ignored: filter, tokenEfficiency, validate",
            ]
        );
    }

    #[test]
    fn keyhound_files_are_not_gitleaks() {
        assert!(!is_gitleaks("[[rule]]\nid = \"a\"\n"));
    }
}
