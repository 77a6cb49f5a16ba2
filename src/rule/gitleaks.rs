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
use go_regex::{compile, go_to_rust, name_secret_group};
use serde::Deserialize;
use std::collections::BTreeSet;

mod go_regex;

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

#[cfg(test)]
mod tests {
    use super::*;

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
