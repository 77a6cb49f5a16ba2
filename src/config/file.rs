//! The `.keyhound.toml` config file: its schema, and errors that name the
//! file, line, column and key of whatever is wrong.
//!
//! ```toml
//! format = "json"              # default for --format
//! max_file_size = "10M"        # bytes, or a number with K, M or G
//! disabled_rules = ["some.rule"]
//!
//! [[allow]]                    # any number of these
//! description = "test fixtures"
//! rules = ["tencent.secret-id"]  # optional: only these rules (default: all)
//! paths = ["tests/**", "*.md"]   # globs over the path from the repo root
//! regexes = ['^AKID0{32}$']      # over the secret
//! stopwords = ["example"]        # case-insensitive substrings of the secret
//!
//! [[rule]]                     # extra rules, same schema as rules/*.toml
//! id = "acme.token"
//! # ...
//! ```

use super::ConfigError;
use super::allow::{AllowSet, Allowlist};
use crate::report::Format;
use crate::rule::Rule;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// A parsed `.keyhound.toml`.
#[derive(Debug, Default)]
pub struct Config {
    /// Default output format, when `--format` is not given.
    pub format: Option<Format>,
    /// Default size limit, when `--max-file-size` is not given.
    pub max_file_size: Option<u64>,
    /// Rule ids to drop from the rule set.
    pub disabled_rules: Vec<String>,
    /// Extra rules.
    pub rules: Vec<Rule>,
    /// Allowlists, compiled.
    pub allow: AllowSet,
    /// `[[allow]]` tables left out, and the regexes they held, by the
    /// bounds on a config found in the scanned tree.
    pub allow_left_out: (usize, usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    format: Option<Spanned<String>>,
    #[serde(default)]
    max_file_size: Option<Spanned<toml::Value>>,
    #[serde(default)]
    disabled_rules: Vec<String>,
    #[serde(default)]
    allow: Vec<RawAllow>,
    #[serde(default)]
    rule: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<Spanned<String>>,
}

/// Parses a config file's text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    parse_within(text, origin, None)
}

/// [`parse`] for a config found in the scanned tree: `[[allow]]` tables
/// past `budget` ([`crate::rule::bound`]) are left out whole, before any is
/// compiled, and counted in [`Config::allow_left_out`].
pub fn parse_within(
    text: &str,
    origin: &str,
    mut budget: Option<&mut crate::rule::bound::Budget>,
) -> Result<Config, ConfigError> {
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| locate(text, origin, e.span(), e.message().trim_end()))?;
    let bad = |span: Range<usize>, msg: String| locate(text, origin, Some(span), &msg);
    let format = match raw.format {
        None => None,
        Some(f) => Some(parse_format(f.get_ref()).ok_or_else(|| {
            bad(
                f.span(),
                format!(
                    "unknown format {:?} (expected human, json, jsonl or sarif)",
                    f.get_ref()
                ),
            )
        })?),
    };
    let max_file_size = match raw.max_file_size {
        None => None,
        Some(s) => {
            let n = match s.get_ref() {
                toml::Value::Integer(n) => u64::try_from(*n).ok(),
                toml::Value::String(t) => parse_size(t),
                _ => None,
            };
            Some(n.ok_or_else(|| {
                bad(
                    s.span(),
                    format!(
                        "invalid size {} (expected bytes, or a string like \"10M\")",
                        s.get_ref()
                    ),
                )
            })?)
        }
    };
    let mut seen = std::collections::HashSet::new();
    for (i, r) in raw.rule.iter().enumerate() {
        if !seen.insert(r.id.as_str()) {
            let span = value_span(text, "rule", i, "id");
            return Err(locate(
                text,
                origin,
                span,
                &format!(
                    "duplicate rule id {:?}: two rules of one file cannot share an id",
                    r.id
                ),
            ));
        }
        let pair = r.pair.as_ref().map(|p| ("pair", p.pattern.as_str()));
        for (field, pattern) in std::iter::once(("pattern", r.pattern.as_str())).chain(pair) {
            if let Err(e) = regex::bytes::Regex::new(pattern) {
                let span = value_span(text, "rule", i, field);
                return Err(locate(
                    text,
                    origin,
                    span,
                    &format!("invalid regex: {}", one_line(&e)),
                ));
            }
        }
    }
    let mut lists = Vec::new();
    let mut left_out = (0, 0);
    for a in raw.allow {
        let regexes = a.paths.len() + a.regexes.len();
        let bytes: usize = [&a.paths, &a.regexes, &a.stopwords]
            .iter()
            .flat_map(|l| l.iter())
            .map(|p| p.get_ref().len())
            .sum();
        if let Some(b) = budget.as_deref_mut()
            && !b.take(regexes, bytes)
        {
            left_out = (left_out.0 + 1, left_out.1 + regexes);
            continue;
        }
        // An empty pattern would allow every finding.
        let patterns = a.paths.iter().map(|p| ("path", p));
        let patterns = patterns.chain(a.regexes.iter().map(|r| ("regex", r)));
        let patterns = patterns.chain(a.stopwords.iter().map(|w| ("stopword", w)));
        for (what, p) in patterns {
            if p.get_ref().trim().is_empty() {
                return Err(bad(
                    p.span(),
                    format!("empty {what}: it would allow every finding"),
                ));
            }
        }
        let stopwords = a.stopwords.into_iter().map(Spanned::into_inner).collect();
        let mut list = Allowlist::new(a.description, a.rules, stopwords);
        for p in a.paths {
            list.add_glob(p.get_ref()).map_err(|e| {
                bad(
                    p.span(),
                    format!("invalid glob {:?}: {}", p.get_ref(), e.kind()),
                )
            })?;
        }
        for r in a.regexes {
            list.add_regex(r.get_ref())
                .map_err(|e| bad(r.span(), format!("invalid regex: {}", one_line(&e))))?;
        }
        lists.push(list.build().map_err(|e| ConfigError {
            message: format!("{origin}: invalid path globs: {e}"),
        })?);
    }
    Ok(Config {
        format,
        max_file_size,
        disabled_rules: raw.disabled_rules,
        rules: raw.rule,
        allow: AllowSet::new(lists),
        allow_left_out: left_out,
    })
}

fn parse_format(s: &str) -> Option<Format> {
    Some(match s {
        "human" => Format::Human,
        "json" => Format::Json,
        "jsonl" => Format::Jsonl,
        "sarif" => Format::Sarif,
        _ => return None,
    })
}

/// Parses `10`, `10K`, `10M`, `1G` (binary multiples).
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

fn one_line(e: &impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line naming file, line, column and (when it can be found) the key a
/// TOML error is about: `f.toml:3:9: key allow[0].paths: invalid glob ...`.
pub fn locate(text: &str, origin: &str, span: Option<Range<usize>>, msg: &str) -> ConfigError {
    let msg = one_line(&msg);
    let Some(span) = span else {
        return ConfigError {
            message: format!("{origin}: {msg}"),
        };
    };
    let at = span.start.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let key = key_at(text, at)
        .map(|k| format!("key {k}: "))
        .unwrap_or_default();
    ConfigError {
        message: format!("{origin}:{line}:{column}: {key}{msg}"),
    }
}

/// The span of `field` in the `index`th table of the array of tables `array`.
fn value_span(text: &str, array: &str, index: usize, field: &str) -> Option<Range<usize>> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let (_, tables) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == array)?;
    let table = tables.get_ref().as_array()?.get(index)?;
    let (_, v) = table
        .get_ref()
        .as_table()?
        .iter()
        .find(|(k, _)| k.get_ref() == field)?;
    Some(v.span())
}

/// The dotted path of the deepest key whose key or value covers `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut path = String::new();
    walk_table(doc.get_ref(), offset, &mut path);
    (!path.is_empty()).then_some(path)
}

fn walk_table(t: &toml::de::DeTable<'_>, offset: usize, path: &mut String) -> bool {
    for (k, v) in t {
        let in_key = k.span().contains(&offset);
        if in_key || covers(v, offset) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k.get_ref());
            if !in_key {
                walk_value(v.get_ref(), offset, path);
            }
            return true;
        }
    }
    false
}

fn covers(v: &Spanned<toml::de::DeValue<'_>>, offset: usize) -> bool {
    // Arrays of tables and dotted tables may have no useful span of their
    // own, so look inside as well.
    v.span().contains(&offset) || contains_deep(v.get_ref(), offset)
}

fn contains_deep(v: &toml::de::DeValue<'_>, offset: usize) -> bool {
    match v {
        toml::de::DeValue::Table(t) => t
            .iter()
            .any(|(k, v)| k.span().contains(&offset) || covers(v, offset)),
        toml::de::DeValue::Array(a) => a.iter().any(|v| covers(v, offset)),
        _ => false,
    }
}

fn walk_value(v: &toml::de::DeValue<'_>, offset: usize, path: &mut String) {
    match v {
        toml::de::DeValue::Table(t) => {
            walk_table(t, offset, path);
        }
        toml::de::DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if covers(item, offset) {
                    if item.get_ref().is_table() {
                        path.push_str(&format!("[{i}]"));
                    }
                    walk_value(item.get_ref(), offset, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let c = parse(
            "format = \"json\"\nmax_file_size = \"2K\"\ndisabled_rules = [\"a.b\"]\n\
             [[allow]]\npaths = [\"tests/**\"]\nstopwords = [\"example\"]\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.format, Some(Format::Json));
        assert_eq!(c.max_file_size, Some(2048));
        assert_eq!(c.disabled_rules, vec!["a.b".to_string()]);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("format = \"json\"\n[[allow]]\npath = [\"x\"]\n", "c.toml").unwrap_err();
        assert!(
            e.message
                .starts_with("c.toml:3:1: key allow[0].path: unknown field `path`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let e = parse("\n\n[[allow]]\npaths = [\"ok\", \"a[\"]\n", "c.toml").unwrap_err();
        assert!(
            e.message
                .starts_with("c.toml:4:16: key allow[0].paths: invalid glob"),
            "{}",
            e.message
        );
        let e = parse("max_file_size = \"lots\"\n", "c.toml").unwrap_err();
        assert!(
            e.message
                .starts_with("c.toml:1:17: key max_file_size: invalid size")
        );
        let e = parse("format = \"xml\"\n", "c.toml").unwrap_err();
        assert!(
            e.message
                .starts_with("c.toml:1:10: key format: unknown format")
        );
        let e = parse(
            "[[rule]]\nid = \"a\"\nname = \"A\"\nkeywords = []\npattern = \"a(b\"\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("c.toml:5:11: key rule[0].pattern: invalid regex: regex parse error:"),
            "{}",
            e.message
        );
        let e = parse("disabled_rules = 3\n", "c.toml").unwrap_err();
        assert!(
            e.message.starts_with("c.toml:1:18: key disabled_rules: "),
            "{}",
            e.message
        );
    }
}
