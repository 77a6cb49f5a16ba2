//! Turning [`Rule`]s into what the scan loop runs: one regex per rule with the
//! index of its secret group, compiled allowlists, path filters and pair
//! specs. Every error names the rule id and the field at fault.

use super::BuildError;
use super::pair::CompiledPair;
use crate::rule::Rule;
use regex::bytes::Regex;

/// A rule ready to run.
#[derive(Debug)]
pub(super) struct CompiledRule {
    pub re: Regex,
    /// Capture group holding the secret (`secret` or 1).
    pub group: usize,
    pub min_entropy: Option<f64>,
    pub max_repeat: Option<usize>,
    pub window_lines: u32,
    pub window_lines_before: u32,
    pub generic: bool,
    pub path: Option<regex::Regex>,
    pub allow: CompiledAllow,
    pub pair: Option<CompiledPair>,
}

/// A rule's allowlist, compiled.
#[derive(Debug, Default)]
pub(super) struct CompiledAllow {
    pub regexes: Vec<Regex>,
    /// Lower-cased.
    pub stopwords: Vec<Vec<u8>>,
    pub paths: Vec<regex::Regex>,
    pub unpaired_lines: Vec<Regex>,
    pub unpaired_near: Vec<Regex>,
    /// Lower-cased, separators removed.
    pub unpaired_labels: Vec<String>,
    pub published: std::collections::HashSet<Vec<u8>>,
    pub encoded_blocks: bool,
}

impl CompiledAllow {
    /// Whether `value` (a secret or a key) is allowed, i.e. not reported.
    pub fn allows(&self, value: &[u8]) -> bool {
        if self.published.contains(value) || self.regexes.iter().any(|r| r.is_match(value)) {
            return true;
        }
        !self.stopwords.is_empty() && {
            let lower = value.to_ascii_lowercase();
            self.stopwords
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some())
        }
    }
}

fn invalid(rule: &Rule, field: &str, e: impl std::fmt::Display) -> BuildError {
    BuildError::InvalidPattern {
        rule: rule.id.clone(),
        reason: format!("{field}: {}", one_line(&e.to_string())),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compiles a rule regex over bytes. Unicode mode is off when the pattern
/// allows it (`\s`, `\w`, `(?i)` and classes are then ASCII): credentials
/// are ASCII, and the automata stay small and fast to build. Patterns that
/// need Unicode (`\p{L}` in an imported rule) keep it.
pub(super) fn bytes_regex(rule: &Rule, field: &str, pattern: &str) -> Result<Regex, BuildError> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(1 << 23)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map_err(|e| invalid(rule, field, e))
}

fn str_regex(rule: &Rule, field: &str, pattern: &str) -> Result<regex::Regex, BuildError> {
    regex::Regex::new(pattern).map_err(|e| invalid(rule, field, e))
}

/// The index of the group holding the secret: `secret` if named, else 1.
/// A group that can match the empty string is refused: it would report an
/// empty "secret" at every position of every file.
pub(super) fn secret_group(
    rule: &Rule,
    field: &str,
    pattern: &str,
    re: &Regex,
) -> Result<usize, BuildError> {
    let group = if let Some(i) = re.capture_names().position(|n| n == Some("secret")) {
        i
    } else if re.captures_len() > 1 {
        1
    } else {
        return Err(BuildError::Invalid {
            rule: rule.id.clone(),
            reason: format!("{field} has no `secret` group and no group 1"),
        });
    };
    if group_can_be_empty(pattern, group) {
        return Err(BuildError::Invalid {
            rule: rule.id.clone(),
            reason: format!(
                "{field}: the secret group (group {group}) can match the empty string; \
                 require at least one character (`+` or `{{n,}}` instead of `*` or `?`)"
            ),
        });
    }
    Ok(group)
}

/// Whether capture group `group` of `pattern` can match zero bytes.
fn group_can_be_empty(pattern: &str, group: usize) -> bool {
    use regex_syntax::hir::{Hir, HirKind};
    fn find(h: &Hir, group: usize) -> Option<&Hir> {
        match h.kind() {
            HirKind::Capture(c) if c.index as usize == group => Some(&c.sub),
            HirKind::Capture(c) => find(&c.sub, group),
            HirKind::Repetition(r) => find(&r.sub, group),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| find(h, group)),
            _ => None,
        }
    }
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .build()
            .parse(pattern)
            .ok()
    };
    let Some(hir) = parse(false).or_else(|| parse(true)) else {
        return false;
    };
    find(&hir, group).is_some_and(|sub| sub.properties().minimum_len() == Some(0))
}

pub(super) fn compile(rule: &Rule) -> Result<CompiledRule, BuildError> {
    let re = bytes_regex(rule, "pattern", &rule.pattern)?;
    let group = secret_group(rule, "pattern", &rule.pattern, &re)?;
    if rule.keywords.iter().any(|k| k.is_empty()) {
        return Err(BuildError::Invalid {
            rule: rule.id.clone(),
            reason: "empty keyword".into(),
        });
    }
    let all = |field: &str, pats: &[String]| {
        pats.iter()
            .map(|p| bytes_regex(rule, field, p))
            .collect::<Result<Vec<_>, _>>()
    };
    let allow = CompiledAllow {
        regexes: all("allow.regexes", &rule.allow.regexes)?,
        stopwords: rule
            .allow
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .collect(),
        paths: rule
            .allow
            .paths
            .iter()
            .map(|p| str_regex(rule, "allow.paths", p))
            .collect::<Result<_, _>>()?,
        unpaired_lines: all("allow.unpaired_lines", &rule.allow.unpaired_lines)?,
        unpaired_near: all("allow.unpaired_near", &rule.allow.unpaired_near)?,
        unpaired_labels: rule
            .allow
            .unpaired_labels
            .iter()
            .map(|l| super::label::normalize(l.as_bytes()))
            .collect(),
        published: rule
            .allow
            .published
            .iter()
            .map(|p| p.value.as_bytes().to_vec())
            .collect(),
        encoded_blocks: rule.allow.encoded_blocks,
    };
    let path = rule
        .path
        .as_deref()
        .map(|p| str_regex(rule, "path", p))
        .transpose()?;
    let pair = rule
        .pair
        .as_ref()
        .map(|spec| CompiledPair::new(rule, spec))
        .transpose()?;
    Ok(CompiledRule {
        re,
        group,
        min_entropy: rule.min_entropy,
        max_repeat: rule.max_repeat,
        window_lines: rule.window_lines,
        window_lines_before: rule.window_lines_before,
        generic: rule.generic,
        path,
        allow,
        pair,
    })
}

impl CompiledRule {
    /// Whether the rule applies to a blob at `path` (`None`: unknown path,
    /// where path-restricted rules do not run).
    pub fn applies_to(&self, path: Option<&str>) -> bool {
        match path {
            Some(p) => {
                self.path.as_ref().is_none_or(|r| r.is_match(p))
                    && !self.allow.paths.iter().any(|r| r.is_match(p))
            }
            None => self.path.is_none(),
        }
    }

    /// Whether a secret or key value passes the rule's randomness and
    /// allowlist checks.
    pub fn accepts(&self, value: &[u8], min_entropy: Option<f64>) -> bool {
        if let Some(min) = min_entropy
            && super::entropy::shannon(value) < min
        {
            return false;
        }
        if let Some(max) = self.max_repeat
            && super::entropy::longest_run(value) > max
        {
            return false;
        }
        !self.allow.allows(value)
    }
}
