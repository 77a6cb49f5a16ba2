//! What a rules file found in the scanned tree (a `.gitleaks.toml` or
//! `.keyhound.toml` a pull request can write) may add: at most
//! [`MAX_TREE_RULES`] rules, [`MAX_TREE_ALLOW_REGEXES`] allowlist regexes
//! and [`MAX_TREE_PATTERN_BYTES`] of patterns in all, so it cannot make
//! loading or matching slow. What is over is left out whole (an allowlist,
//! a rule), never cut: a shortened allowlist under `condition = "AND"`
//! would allow more. The user's own `--config` is not bounded.

use super::Rule;
use super::gitleaks::GitleaksAllow;

/// The most rules a config found in the scanned tree adds.
pub const MAX_TREE_RULES: usize = 1000;
/// The most allowlist regexes (global and per rule, content and path) it adds.
pub const MAX_TREE_ALLOW_REGEXES: usize = 1000;
/// The most bytes of patterns (rule regexes and allowlist entries) it adds.
pub const MAX_TREE_PATTERN_BYTES: usize = 256 * 1024;

/// What [`bound`] left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Rules past [`MAX_TREE_RULES`].
    pub rules_over_count: usize,
    /// Allowlists (with their regexes) past a budget.
    pub allowlists: usize,
    /// The allowlist regexes those held.
    pub allow_regexes: usize,
    /// Rules past the pattern budget (with their own allowlists).
    pub rules_over_size: usize,
}

impl LeftOut {
    /// Whether anything was left out.
    pub fn any(&self) -> bool {
        *self != LeftOut::default()
    }
}

/// Allowlist regexes and pattern bytes a config in the scanned tree has
/// spent so far, across everything it adds.
#[derive(Debug, Default)]
pub struct Budget {
    regexes: usize,
    bytes: usize,
}

impl Budget {
    /// Spends `(regexes, bytes)` if both fit.
    pub fn take(&mut self, regexes: usize, bytes: usize) -> bool {
        let fits = self.regexes + regexes <= MAX_TREE_ALLOW_REGEXES
            && self.bytes + bytes <= MAX_TREE_PATTERN_BYTES;
        if fits {
            self.regexes += regexes;
            self.bytes += bytes;
        }
        fits
    }
}

fn bytes(list: &[String]) -> usize {
    list.iter().map(String::len).sum()
}

/// `(regexes, bytes)` of a gitleaks allowlist.
fn allowlist_cost(a: &GitleaksAllow) -> (usize, usize) {
    (
        a.regexes.len() + a.paths.len(),
        bytes(&a.regexes) + bytes(&a.paths) + bytes(&a.stopwords) + bytes(&a.commits),
    )
}

/// `(allowlist regexes, pattern bytes)` of a rule with its own allowlist.
fn rule_cost(r: &Rule) -> (usize, usize) {
    let a = &r.allow;
    let regexes = [&a.regexes, &a.paths, &a.unpaired_lines, &a.unpaired_near];
    let pair = r.pair.as_ref().map_or(0, |p| p.pattern.len());
    (
        regexes.iter().map(|l| l.len()).sum(),
        r.pattern.len()
            + pair
            + r.path.as_ref().map_or(0, String::len)
            + regexes.iter().map(|l| bytes(l)).sum::<usize>()
            + bytes(&a.stopwords),
    )
}

/// Bounds what a config found in the scanned tree adds, in file order:
/// its global allowlists first, then its rules.
pub fn bound(allowlists: &mut Vec<GitleaksAllow>, rules: &mut Vec<Rule>) -> LeftOut {
    bound_within(&mut Budget::default(), allowlists, rules)
}

/// [`bound`], after what `budget` already spent (a keyhound config's own
/// allowlists).
pub fn bound_within(
    budget: &mut Budget,
    allowlists: &mut Vec<GitleaksAllow>,
    rules: &mut Vec<Rule>,
) -> LeftOut {
    let mut out = LeftOut::default();
    if rules.len() > MAX_TREE_RULES {
        out.rules_over_count = rules.len() - MAX_TREE_RULES;
        rules.truncate(MAX_TREE_RULES);
    }
    allowlists.retain(|a| {
        let (n, b) = allowlist_cost(a);
        let keep = budget.take(n, b);
        if !keep {
            out.allowlists += 1;
            out.allow_regexes += n;
        }
        keep
    });
    rules.retain(|r| {
        let (n, b) = rule_cost(r);
        let keep = budget.take(n, b);
        if !keep {
            out.rules_over_size += 1;
        }
        keep
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowlist(regexes: usize, len: usize) -> GitleaksAllow {
        GitleaksAllow {
            regexes: (0..regexes)
                .map(|i| format!("{i}{}", "x".repeat(len)))
                .collect(),
            ..GitleaksAllow::default()
        }
    }

    fn rule(pattern_len: usize, allow: usize) -> Rule {
        let mut r: Rule = toml::from_str(&format!(
            "id = \"r\"\nname = \"r\"\nkeywords = []\npattern = \"{}\"\n",
            "a".repeat(pattern_len)
        ))
        .unwrap();
        r.allow.regexes = (0..allow).map(|i| i.to_string()).collect();
        r
    }

    #[test]
    fn allowlists_past_the_regex_count_are_left_out_whole() {
        let mut lists = vec![allowlist(600, 4), allowlist(600, 4), allowlist(400, 4)];
        let mut rules = vec![rule(10, 0)];
        let out = bound(&mut lists, &mut rules);
        assert_eq!(lists.len(), 2, "600 + 400 fit, the second 600 does not");
        assert_eq!((out.allowlists, out.allow_regexes), (1, 600));
        assert_eq!(rules.len(), 1);
        let mut rules = vec![rule(10, 1)];
        let mut full = vec![allowlist(1000, 2)];
        let out = bound(&mut full, &mut rules);
        assert_eq!((full.len(), rules.len(), out.rules_over_size), (1, 0, 1));
    }

    #[test]
    fn pattern_bytes_and_rule_count_are_bounded() {
        let mut lists = vec![allowlist(1, MAX_TREE_PATTERN_BYTES - 100)];
        let mut rules = vec![rule(50, 0), rule(60, 0), rule(10, 0)];
        let out = bound(&mut lists, &mut rules);
        assert_eq!(rules.len(), 2, "{out:?}");
        assert_eq!(out.rules_over_size, 1);
        let mut none = Vec::new();
        let mut many: Vec<Rule> = (0..MAX_TREE_RULES + 5).map(|_| rule(5, 0)).collect();
        let out = bound(&mut none, &mut many);
        assert_eq!((many.len(), out.rules_over_count), (MAX_TREE_RULES, 5));
        assert!(out.any());
        let mut small = vec![allowlist(3, 3)];
        let mut one = vec![rule(5, 2)];
        assert!(!bound(&mut small, &mut one).any());
    }
}
