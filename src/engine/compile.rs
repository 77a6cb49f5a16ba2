//! Turning [`Rule`]s into what the scan loop runs: one regex per rule with the
//! index of its secret group, compiled allowlists, path filters and pair
//! specs. Every error names the rule id and the field at fault.
//!
//! An engine's rule regexes are [`Lazy`]: their syntax and secret groups are
//! checked when the engine is built, and each is compiled on its first use
//! (a rule's pattern on its first keyword hit), so a scan of a small staged
//! change does not pay for compiling every rule. [`Mode::Eager`] compiles
//! everything at once, to report a pattern too large to compile up front
//! (rule files are checked that way when they are loaded). [`Mode::Checked`]
//! skips even the syntax check, for rules checked before: the built-in
//! ones, which the unit tests compile whole (parsing every built-in
//! pattern at every start was a tenth of a pre-commit scan).

use super::BuildError;
use super::pair::CompiledPair;
use super::tail::Tail;
use crate::rule::Rule;
use regex::bytes::Regex;
use regex_syntax::hir::{Hir, HirKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// When a rule's regexes are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Syntax checked now, compiled on first use.
    Lazy,
    /// Compiled now; any error is returned.
    Eager,
    /// Not checked at all, compiled on first use: for rules known to
    /// compile (the built-in ones, see [`crate::rule::is_builtin`]).
    Checked,
}

/// A regex over bytes compiled on its first use, by whichever thread gets
/// there first (the others wait); the same regex whatever the thread count.
pub(super) struct Lazy {
    pattern: String,
    /// Whether the pattern needs Unicode mode (see [`bytes_regex`]); `None`
    /// when the pattern was not parsed ([`Mode::Checked`]): found when it
    /// is compiled, the same way.
    unicode: Option<bool>,
    /// Whether the regex finds secrets (only [`pair::find_all`] runs it), so
    /// that a long tail may be compiled short (see `engine/tail.rs`).
    ///
    /// [`pair::find_all`]: super::pair::find_all
    secret: bool,
    /// Shared by the regexes of one engine with the same pattern (see
    /// [`sharing`]).
    re: Arc<OnceLock<Compiled>>,
}

/// The compiled regexes of the engine being built on this thread, by
/// pattern, Unicode mode and role (see [`sharing`]).
type Cells = HashMap<(String, Option<bool>, bool), Arc<OnceLock<Compiled>>>;

thread_local! {
    static SHARED: RefCell<Option<Cells>> = const { RefCell::new(None) };
}

/// Runs `build` so that the [`Lazy`] regexes it makes with the same
/// pattern share one compiled regex: rules repeat their allowlists (every
/// Tencent rule has the same placeholder and run-of-digits lists), and each
/// is compiled once per engine instead of once per rule.
pub(super) fn sharing<T>(build: impl FnOnce() -> T) -> T {
    SHARED.with(|s| *s.borrow_mut() = Some(Cells::new()));
    let out = build();
    SHARED.with(|s| *s.borrow_mut() = None);
    out
}

/// The cell a [`Lazy`] of this pattern compiles into: the engine's shared
/// one inside [`sharing`], else its own.
fn cell(pattern: &str, unicode: Option<bool>, secret: bool) -> Arc<OnceLock<Compiled>> {
    SHARED.with(|s| match s.borrow_mut().as_mut() {
        Some(cells) => cells
            .entry((pattern.to_string(), unicode, secret))
            .or_default()
            .clone(),
        None => Arc::default(),
    })
}

/// A [`Lazy`] regex once compiled.
struct Compiled {
    re: Regex,
    /// The index of its secret group (see [`Lazy::group`]).
    group: usize,
    /// The tail compiled short, to extend matches by.
    tail: Option<Tail>,
}

impl std::fmt::Debug for Lazy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lazy")
            .field("pattern", &self.pattern)
            .field("compiled", &self.re.get().is_some())
            .finish()
    }
}

impl std::ops::Deref for Lazy {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        &self.compiled().re
    }
}

impl Lazy {
    fn compiled(&self) -> &Compiled {
        self.re.get_or_init(|| {
            let p = &self.pattern;
            if let Some((short, unicode, tail)) = self.short_tail()
                && let Ok(re) = build_bytes(&short, unicode)
            {
                let group = secret_index(&re);
                let tail = Some(tail);
                return Compiled { re, group, tail };
            }
            let re = match self.unicode {
                Some(unicode) => build_bytes(p, unicode),
                None => build_bytes(p, false).or_else(|_| build_bytes(p, true)),
            };
            let re = re.unwrap_or_else(|e| {
                // Only the size limit can fail here (the syntax was checked
                // when the engine was built, and rule files are compiled
                // whole when loaded): such a regex matches nothing.
                tracing::debug!(pattern = %self.pattern, "regex does not compile: {e}");
                build_bytes("[a&&b]", false).expect("the empty class compiles")
            });
            let group = secret_index(&re);
            Compiled {
                re,
                group,
                tail: None,
            }
        })
    }

    /// For a secret regex ending in a long repetition: the pattern with it
    /// cut short, its Unicode mode, and the tail to extend matches by.
    fn short_tail(&self) -> Option<(String, bool, Tail)> {
        if !self.secret {
            return None;
        }
        let (hir, unicode) = parse(&self.pattern).ok()?;
        let group = named(&hir, "secret").map_or(1, |c| c.index);
        let (short, tail) = super::tail::cut(&hir, group)?;
        Some((short.to_string(), unicode, tail))
    }

    /// The index of the group holding the secret: `secret` if named, else 1
    /// (what [`secret_group`] checked, for a rule regex).
    pub fn group(&self) -> usize {
        self.compiled().group
    }

    /// Where the secret group's match really ends, given where the
    /// compiled regex's ended in `hay` (they differ when its tail was cut).
    pub fn secret_end(&self, hay: &[u8], end: usize) -> usize {
        match &self.compiled().tail {
            Some(t) => t.extend(hay, end),
            None => end,
        }
    }

    /// Whether the regex has been compiled yet.
    #[cfg(test)]
    pub fn is_compiled(&self) -> bool {
        self.re.get().is_some()
    }
}

/// The index of `re`'s group named `secret`, else 1.
fn secret_index(re: &Regex) -> usize {
    let mut names = re.capture_names();
    names.position(|n| n == Some("secret")).unwrap_or(1)
}

fn build_bytes(pattern: &str, unicode: bool) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(unicode)
        .size_limit(1 << 23)
        .build()
}

/// Parses `pattern` as [`bytes_regex`] compiles it: Unicode mode off where
/// the pattern allows it. Returns the syntax tree and whether Unicode is on.
fn parse(pattern: &str) -> Result<(Hir, bool), String> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .build()
            .parse(pattern)
            .map(|h| (h, unicode))
            .map_err(|e| e.to_string())
    };
    parse(false).or_else(|_| parse(true))
}

/// A rule ready to run.
#[derive(Debug)]
pub(super) struct CompiledRule {
    /// The rule's regex; its [`Lazy::group`] holds the secret.
    pub re: Lazy,
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
    pub regexes: Vec<Lazy>,
    /// Lower-cased.
    pub stopwords: Vec<Vec<u8>>,
    pub paths: Vec<regex::Regex>,
    pub unpaired_lines: Vec<Lazy>,
    pub unpaired_near: Vec<Lazy>,
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

/// Compiles a rule regex over bytes (now in [`Mode::Eager`], else on first
/// use). Unicode mode is off when the pattern allows it (`\s`, `\w`, `(?i)`
/// and classes are then ASCII): credentials are ASCII, and the automata stay
/// small and fast to build. Patterns that need Unicode (`\p{L}` in an
/// imported rule) keep it. Returns the syntax tree too, unless `mode` is
/// [`Mode::Checked`].
fn bytes_regex(
    rule: &Rule,
    field: &str,
    pattern: &str,
    mode: Mode,
    secret: bool,
) -> Result<(Lazy, Option<Hir>), BuildError> {
    let lazy = |unicode| Lazy {
        pattern: pattern.to_string(),
        unicode,
        secret,
        re: cell(pattern, unicode, secret),
    };
    if mode == Mode::Checked {
        return Ok((lazy(None), None));
    }
    let (hir, unicode) = parse(pattern).map_err(|e| invalid(rule, field, e))?;
    let lazy = lazy(Some(unicode));
    if mode == Mode::Eager {
        let re = build_bytes(pattern, unicode).map_err(|e| invalid(rule, field, e))?;
        let group = secret_index(&re);
        let tail = None;
        let _ = lazy.re.set(Compiled { re, group, tail });
    }
    Ok((lazy, Some(hir)))
}

/// [`bytes_regex`] without the syntax tree.
pub(super) fn lazy_regex(
    rule: &Rule,
    field: &str,
    pattern: &str,
    mode: Mode,
) -> Result<Lazy, BuildError> {
    bytes_regex(rule, field, pattern, mode, false).map(|(re, _)| re)
}

/// A regex whose secret group ([`Lazy::group`]) is checked by
/// [`secret_group`], unless `mode` is [`Mode::Checked`].
pub(super) fn secret_regex(
    rule: &Rule,
    field: &str,
    pattern: &str,
    mode: Mode,
) -> Result<Lazy, BuildError> {
    let (re, hir) = bytes_regex(rule, field, pattern, mode, true)?;
    if let Some(hir) = hir {
        secret_group(rule, field, &hir)?;
    }
    Ok(re)
}

fn str_regex(rule: &Rule, field: &str, pattern: &str) -> Result<regex::Regex, BuildError> {
    regex::Regex::new(pattern).map_err(|e| invalid(rule, field, e))
}

/// The index of the group holding the secret: `secret` if named, else 1.
/// A group that can match the empty string is refused: it would report an
/// empty "secret" at every position of every file.
/// The capture group of `h` called `name`.
fn named<'h>(h: &'h Hir, name: &str) -> Option<&'h regex_syntax::hir::Capture> {
    match h.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some(name) => Some(c),
        HirKind::Capture(c) => named(&c.sub, name),
        HirKind::Repetition(r) => named(&r.sub, name),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| named(h, name)),
        _ => None,
    }
}

fn secret_group(rule: &Rule, field: &str, hir: &Hir) -> Result<usize, BuildError> {
    let group = if let Some(c) = named(hir, "secret") {
        c.index as usize
    } else if hir.properties().explicit_captures_len() > 0 {
        1
    } else {
        return Err(BuildError::Invalid {
            rule: rule.id.clone(),
            reason: format!("{field} has no `secret` group and no group 1"),
        });
    };
    if group_can_be_empty(hir, group) {
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

/// Whether capture group `group` of `hir` can match zero bytes.
fn group_can_be_empty(hir: &Hir, group: usize) -> bool {
    fn find(h: &Hir, group: usize) -> Option<&Hir> {
        match h.kind() {
            HirKind::Capture(c) if c.index as usize == group => Some(&c.sub),
            HirKind::Capture(c) => find(&c.sub, group),
            HirKind::Repetition(r) => find(&r.sub, group),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| find(h, group)),
            _ => None,
        }
    }
    find(hir, group).is_some_and(|sub| sub.properties().minimum_len() == Some(0))
}

pub(super) fn compile(rule: &Rule, mode: Mode) -> Result<CompiledRule, BuildError> {
    let re = secret_regex(rule, "pattern", &rule.pattern, mode)?;
    if rule.keywords.iter().any(|k| k.is_empty()) {
        return Err(BuildError::Invalid {
            rule: rule.id.clone(),
            reason: "empty keyword".into(),
        });
    }
    let all = |field: &str, pats: &[String]| {
        pats.iter()
            .map(|p| lazy_regex(rule, field, p, mode))
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
        .map(|spec| CompiledPair::new(rule, spec, mode))
        .transpose()?;
    Ok(CompiledRule {
        re,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str) -> Rule {
        let text = format!(
            "[[rule]]\nid = \"t.big\"\nname = \"t\"\nkeywords = [\"tkw\"]\npattern = '''{pattern}'''\n"
        );
        crate::rule::load::parse_file(&text, "t.toml")
            .unwrap()
            .rules
            .remove(0)
    }

    #[test]
    fn lazy_rules_compile_on_first_use_eager_ones_at_once() {
        let r = rule("tkw=(?P<secret>[a-z]{8})");
        let lazy = compile(&r, Mode::Lazy).unwrap();
        assert!(!lazy.re.is_compiled());
        assert!(lazy.re.is_match(b"tkw=abcdefgh"));
        assert!(lazy.re.is_compiled());
        assert!(compile(&r, Mode::Eager).unwrap().re.is_compiled());
    }

    #[test]
    fn one_engine_compiles_a_repeated_pattern_once() {
        let r = rule("tkw=(?P<secret>[a-z]{8})");
        let (a, b) = sharing(|| {
            let one = || compile(&r, Mode::Lazy).unwrap();
            (one(), one())
        });
        assert!(Arc::ptr_eq(&a.re.re, &b.re.re));
        assert!(a.re.is_match(b"tkw=abcdefgh"));
        assert!(b.re.is_compiled());
        let alone = compile(&r, Mode::Lazy).unwrap();
        assert!(!alone.re.is_compiled());
    }

    #[test]
    fn syntax_and_group_errors_come_before_compiling() {
        for (pattern, error) in [
            ("tkw=([a-z]", "invalid pattern: pattern:"),
            ("tkw=[a-z]{8}", "no `secret` group"),
            ("tkw=(?P<secret>[a-z]*)", "can match the empty string"),
        ] {
            let e = compile(&rule(pattern), Mode::Lazy).unwrap_err().to_string();
            assert!(e.contains(error), "{pattern}: {e}");
        }
    }

    #[test]
    fn a_pattern_too_large_is_refused_eagerly_and_matches_nothing_lazily() {
        let r = rule("tkw=(?P<secret>(?:[a-z]{1000}){1000})");
        let e = compile(&r, Mode::Eager).unwrap_err().to_string();
        assert!(e.contains("invalid pattern: pattern:"), "{e}");
        let lazy = compile(&r, Mode::Lazy).unwrap();
        assert!(!lazy.re.is_match(&[b'a'; 200_000]));
    }
}
