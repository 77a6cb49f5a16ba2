//! Compiled matching: an aho-corasick keyword prefilter over all rules, each
//! rule's regex only where one of its keywords hit, key pairing, entropy and
//! allowlist checks. Bytes in, [`RawMatch`]es out; no I/O, no threads.
//!
//! Owned by the core-scanner work (issue 2). Contract: [`Engine`] is
//! `Send + Sync` and built once; [`Cache`] is per-thread scratch.

use crate::rule::RuleSet;
use std::ops::Range;

/// A match of one rule in one haystack, as byte ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMatch {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// The secret (identifier half for pairs).
    pub secret: Range<usize>,
    /// The paired key, when one was found.
    pub key: Option<Range<usize>>,
    /// The session token of a temporary credential, when found.
    pub token: Option<Range<usize>>,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    regexes: Vec<regex::bytes::Regex>,
}

/// Per-thread scratch space for [`Engine::scan`].
#[derive(Debug, Default)]
pub struct Cache {}

/// Why a rule set could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A rule's regex does not compile.
    #[error("rule {rule}: invalid pattern: {reason}")]
    InvalidPattern {
        /// The rule id.
        rule: String,
        /// The regex error.
        reason: String,
    },
}

impl Engine {
    /// Compiles every rule.
    pub fn new(rules: &RuleSet) -> Result<Engine, BuildError> {
        let regexes = rules
            .rules
            .iter()
            .map(|r| {
                regex::bytes::Regex::new(&r.pattern).map_err(|e| BuildError::InvalidPattern {
                    rule: r.id.clone(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Engine {
            rules: rules.clone(),
            regexes,
        })
    }

    /// The rules this engine was built from; [`RawMatch::rule`] indexes them.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Fresh scratch space for one thread.
    pub fn cache(&self) -> Cache {
        Cache::default()
    }

    /// Finds every match in `hay`. `path`, when known, lets path-restricted
    /// rules and path allowlists apply; it is never opened. Appends to `out`
    /// sorted by start offset.
    pub fn scan(
        &self,
        _cache: &mut Cache,
        _path: Option<&str>,
        hay: &[u8],
        out: &mut Vec<RawMatch>,
    ) {
        for (i, re) in self.regexes.iter().enumerate() {
            for caps in re.captures_iter(hay) {
                let Some(m) = caps.name("secret").or_else(|| caps.get(1)) else {
                    continue;
                };
                out.push(RawMatch {
                    rule: i,
                    secret: m.range(),
                    key: None,
                    token: None,
                });
            }
        }
        out.sort_by_key(|m| (m.secret.start, m.rule));
    }
}
