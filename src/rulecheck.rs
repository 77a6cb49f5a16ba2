//! Rules checked against the engine, above both `rule` and `engine`:
//! [`validate`] compiles every rule of a loaded file (what `--rules` and
//! `rules check` both require), [`check_file`] adds the hygiene of
//! `keyhound rules check`: unique, well-formed ids, every example found and
//! no negative example found, through the real [`Engine`].

use crate::engine::{self, Engine};
use crate::rule::{Format, LoadError, Rule, RuleSet, RulesFile};
use std::fmt;

/// One thing wrong with one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The rule id (as written, possibly malformed).
    pub rule: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.reason)
    }
}

/// Whether `id` is `provider.kind`, lower-case kebab-case parts.
fn well_formed(id: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    matches!(id.split_once('.'), Some((a, b)) if part(a) && part(b))
}

/// Checks that every rule of `file` compiles; the error names the file and
/// the first rule at fault.
pub fn validate(file: &RulesFile) -> Result<(), LoadError> {
    for r in &file.rules {
        engine::validate(r).map_err(|e| LoadError {
            origin: file.origin.clone(),
            rule: Some(r.id.clone()),
            reason: e.reason(),
        })?;
    }
    Ok(())
}

/// Checks that no two rules of `file` share an id (a scan would keep only
/// the last one); `rules check` lists these among its problems instead.
pub fn unique_ids(file: &RulesFile) -> Result<(), LoadError> {
    let mut seen = std::collections::HashSet::new();
    match file.rules.iter().find(|r| !seen.insert(r.id.as_str())) {
        Some(r) => Err(LoadError {
            origin: file.origin.clone(),
            rule: Some(r.id.clone()),
            reason: "duplicate id: two rules of one file cannot share an id".into(),
        }),
        None => Ok(()),
    }
}

/// Checks the rules of one loaded file. keyhound rule files are held to
/// [`check`]; rules converted from a gitleaks config have generated ids and
/// no examples, so only duplicates, compiling and any examples they carry
/// are checked.
pub fn check_file(file: &RulesFile) -> Vec<Problem> {
    match file.format {
        Format::Keyhound => check(&file.rules),
        Format::Gitleaks => check_with(&file.rules, false),
    }
}

/// Checks every rule of `rules` as authored rules; an empty list means all
/// is well.
pub fn check(rules: &[Rule]) -> Vec<Problem> {
    check_with(rules, true)
}

fn check_with(rules: &[Rule], authored: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut problem = |rule: &Rule, reason: String| {
        problems.push(Problem {
            rule: rule.id.clone(),
            reason,
        })
    };
    for r in rules {
        if authored && !well_formed(&r.id) {
            problem(
                r,
                "id is not `provider.kind` in lower-case kebab-case".into(),
            );
        }
        if !seen.insert(r.id.as_str()) {
            problem(r, "duplicate id".into());
        }
        if r.name.trim().is_empty() {
            problem(r, "empty name".into());
        }
        if authored && r.examples.is_empty() {
            problem(r, "no examples".into());
        }
        let one = RuleSet {
            rules: vec![r.clone()],
        };
        let engine = match Engine::new(&one) {
            Ok(e) => e,
            Err(e) => {
                problem(r, e.reason());
                continue;
            }
        };
        let mut cache = engine.cache();
        let mut found = Vec::new();
        for (i, ex) in r.examples.iter().enumerate() {
            found.clear();
            engine.scan(&mut cache, None, ex.as_bytes(), &mut found);
            if found.is_empty() {
                problem(
                    r,
                    format!("example {} is not found: {}", i + 1, first_line(ex)),
                );
            }
        }
        for (i, ex) in r.negative_examples.iter().enumerate() {
            found.clear();
            engine.scan(&mut cache, None, ex.as_bytes(), &mut found);
            if !found.is_empty() {
                problem(
                    r,
                    format!("negative example {} is found: {}", i + 1, first_line(ex)),
                );
            }
        }
    }
    problems
}

fn first_line(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or("");
    let cut: String = line.chars().take(60).collect();
    if cut.len() < line.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{load, parse};

    #[test]
    fn builtin_rules_pass_their_own_checks() {
        let problems = check(&RuleSet::builtin().rules);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn builtin_rules_parse_and_compile() {
        let set = RuleSet::builtin();
        assert!(set.get("tencent.secret-id").is_some());
        for f in load::builtin_files() {
            validate(&f).unwrap();
        }
        Engine::new(&set).expect("built-in rules compile");
    }

    #[test]
    fn validate_names_the_file_and_rule() {
        let text = "[[rule]]\nid = \"a.b\"\nname = \"A\"\nkeywords = [\"a\"]\npattern = '(a'\n";
        let f = load::parse_file(text, "bad.toml").unwrap();
        let e = validate(&f).unwrap_err().to_string();
        assert!(
            e.starts_with("bad.toml: rule a.b: invalid pattern: "),
            "{e}"
        );
    }

    #[test]
    fn imported_rules_need_no_examples_or_kebab_ids() {
        let gl =
            "[[rules]]\nid = \"Acme_Key\"\nregex = '''acme([0-9]{4})'''\nkeywords = [\"acme\"]\n";
        let f = load::parse_file(gl, "gl.toml").unwrap();
        assert_eq!(check_file(&f), []);
        let mut authored = f.rules.clone();
        authored[0].id = "Acme_Key".into();
        assert_eq!(check(&authored).len(), 2, "{:?}", check(&authored));
    }

    #[test]
    fn ids_must_be_provider_dot_kind() {
        for ok in [
            "tencent.secret-id",
            "aws.access-key-id",
            "pem.private-key",
            "a1.b2",
        ] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in [
            "tencent",
            "Tencent.secret-id",
            "tencent.secret_id",
            "a.b.c",
            ".x",
            "x.",
            "a.-b",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn problems_name_the_rule_and_the_reason() {
        let text = r#"
[[rule]]
id = "demo.broken"
name = "Broken"
keywords = ["x"]
pattern = '(x)'
examples = ["x"]

[[rule]]
id = "demo.nogroup"
name = "No group"
keywords = ["tok"]
pattern = '(tok_[a-z]+)'
examples = ["tok_abc"]

[[rule]]
id = "demo.examples"
name = "Examples"
keywords = ["tok"]
pattern = '(?P<secret>tok_[a-z]{4})'
examples = ["tok_ab"]
negative_examples = ["tok_abcd"]

[[rule]]
id = "demo.examples"
name = "Again"
keywords = ["q"]
pattern = '(q)'
examples = ["q"]
"#;
        let mut rules = parse(text, "test").unwrap();
        rules[0].pattern = "(unclosed".into();
        rules[1].pattern = "tok_[a-z]+".into();
        let got: Vec<String> = check(&rules).iter().map(|p| p.to_string()).collect();
        assert!(
            got[0].starts_with("rule demo.broken: invalid pattern: pattern:"),
            "{got:?}"
        );
        assert_eq!(
            got[1],
            "rule demo.nogroup: pattern has no `secret` group and no group 1"
        );
        assert_eq!(got[2], "rule demo.examples: example 1 is not found: tok_ab");
        assert_eq!(
            got[3],
            "rule demo.examples: negative example 1 is found: tok_abcd"
        );
        assert_eq!(got[4], "rule demo.examples: duplicate id");
        assert_eq!(got.len(), 5, "{got:?}");
    }
}
