//! Allowlists: inline `keyhound:allow` / `gitleaks:allow` markers, and the
//! `[[allow]]` tables of the config file (path globs, secret regexes and
//! stopwords, per rule or for every rule).

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

/// Markers that, anywhere on a line, allow the secrets on that line.
pub const INLINE_MARKERS: &[&str] = &["keyhound:allow", "gitleaks:allow"];

/// Whether `line` carries an inline allow marker.
pub fn inline_allowed(line: &str) -> bool {
    INLINE_MARKERS.iter().any(|m| line.contains(m))
}

/// Builds a glob matched against a `/`-separated path from the repo root:
/// `*` stays inside one directory, `**` crosses them, and a pattern without
/// `/` matches a file name at any depth (like `.gitignore`).
pub fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    let p = pattern.trim_start_matches("./");
    let p = if p.contains('/') {
        p.trim_start_matches('/').to_string()
    } else {
        format!("**/{p}")
    };
    GlobBuilder::new(&p).literal_separator(true).build()
}

/// One `[[allow]]` table being built, then compiled.
#[derive(Debug)]
pub struct Allowlist {
    description: String,
    rules: Vec<String>,
    globs: GlobSetBuilder,
    has_globs: bool,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
}

/// One compiled `[[allow]]` table.
#[derive(Debug)]
pub struct CompiledAllowlist {
    description: String,
    rules: Vec<String>,
    globs: Option<GlobSet>,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
}

impl Allowlist {
    /// An allowlist for `rules` (every rule when empty); `description`
    /// names it in debug logs.
    pub fn new(description: String, rules: Vec<String>, stopwords: Vec<String>) -> Allowlist {
        Allowlist {
            description,
            rules,
            globs: GlobSetBuilder::new(),
            has_globs: false,
            regexes: Vec::new(),
            stopwords: stopwords.iter().map(|s| s.to_lowercase()).collect(),
        }
    }

    /// Adds a path glob.
    pub fn add_glob(&mut self, pattern: &str) -> Result<(), globset::Error> {
        self.globs.add(glob(pattern)?);
        self.has_globs = true;
        Ok(())
    }

    /// Adds a regex over the secret.
    pub fn add_regex(&mut self, pattern: &str) -> Result<(), regex::Error> {
        self.regexes.push(Regex::new(pattern)?);
        Ok(())
    }

    /// Compiles the globs.
    pub fn build(self) -> Result<CompiledAllowlist, globset::Error> {
        let globs = if self.has_globs {
            Some(self.globs.build()?)
        } else {
            None
        };
        Ok(CompiledAllowlist {
            description: self.description,
            rules: self.rules,
            globs,
            regexes: self.regexes,
            stopwords: self.stopwords,
        })
    }
}

impl CompiledAllowlist {
    fn applies_to(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule)
    }

    fn secret_allowed(&self, secret: &str) -> bool {
        if self.regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_lowercase();
        self.stopwords.iter().any(|w| lower.contains(w.as_str()))
    }

    fn path_allowed(&self, path: &str) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(path))
    }
}

/// Every `[[allow]]` table of a config.
#[derive(Debug, Default)]
pub struct AllowSet {
    lists: Vec<CompiledAllowlist>,
}

impl AllowSet {
    /// Wraps compiled tables.
    pub fn new(lists: Vec<CompiledAllowlist>) -> AllowSet {
        AllowSet { lists }
    }

    /// Whether any table allows `secret` of `rule` found at `path` (from the
    /// repo root, `/`-separated); logs which one at debug level.
    pub fn allows(&self, rule: &str, secret: &str, path: &str) -> bool {
        let hit = self
            .lists
            .iter()
            .position(|l| l.applies_to(rule) && (l.path_allowed(path) || l.secret_allowed(secret)));
        if let Some(i) = hit {
            let d = &self.lists[i].description;
            tracing::debug!("{path}: {rule} allowed by [[allow]] #{} {d:?}", i + 1);
        }
        hit.is_some()
    }

    /// The rule ids the tables name, each once, sorted.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .lists
            .iter()
            .flat_map(|l| l.rules.iter().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Whether there are no tables.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rules: &[&str], paths: &[&str], regexes: &[&str], stop: &[&str]) -> AllowSet {
        let mut l = Allowlist::new(
            String::new(),
            rules.iter().map(|s| s.to_string()).collect(),
            stop.iter().map(|s| s.to_string()).collect(),
        );
        for p in paths {
            l.add_glob(p).unwrap();
        }
        for r in regexes {
            l.add_regex(r).unwrap();
        }
        AllowSet::new(vec![l.build().unwrap()])
    }

    #[test]
    fn globs_follow_gitignore_habits() {
        let s = set(&[], &["tests/**", "*.md", "/docs/*.txt"], &[], &[]);
        assert!(s.allows("r", "x", "tests/a/b.rs"));
        assert!(s.allows("r", "x", "deep/down/README.md"));
        assert!(s.allows("r", "x", "docs/a.txt"));
        assert!(!s.allows("r", "x", "docs/sub/a.txt"));
        assert!(!s.allows("r", "x", "src/tests.rs"));
    }

    #[test]
    fn secret_checks_and_rule_scope() {
        let s = set(&["a.rule"], &[], &["^AKID0+$"], &["Example"]);
        assert!(s.allows("a.rule", "AKID0000", "p"));
        assert!(s.allows("a.rule", "xxEXAMPLExx", "p"));
        assert!(!s.allows("a.rule", "AKID0001", "p"));
        assert!(!s.allows("other.rule", "AKID0000", "p"));
    }

    #[test]
    fn inline_markers() {
        assert!(inline_allowed("id = 'x' # keyhound:allow"));
        assert!(inline_allowed("id = 'x' // gitleaks:allow"));
        assert!(!inline_allowed("id = 'x' # keyhound allow"));
    }
}
