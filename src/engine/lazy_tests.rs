//! The engine's lazy build: rule regexes compiled on their rule's first
//! keyword hit, the same matches whatever the number of threads compiling.

use super::*;
use crate::rule::RuleSet;

fn compiled(e: &Engine, id: &str) -> bool {
    let i = e.rules().rules.iter().position(|r| r.id == id).unwrap();
    e.compiled[i].re.is_compiled()
}

#[test]
fn a_rule_regex_is_compiled_on_its_first_keyword_hit() {
    let e = Engine::new(&RuleSet::builtin()).unwrap();
    assert!(e.compiled.iter().all(|r| !r.re.is_compiled()));
    let mut cache = e.cache();
    let mut out = Vec::new();
    e.scan(
        &mut cache,
        None,
        b"fn main() { let greeting = \"hello\"; }\n",
        &mut out,
    );
    assert!(out.is_empty());
    assert!(e.compiled.iter().all(|r| !r.re.is_compiled()));
    // Built at run time: the self-scan reads this file.
    let text = ["token = ghp", "_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5\n"].concat();
    e.scan(&mut cache, None, text.as_bytes(), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(compiled(&e, "github.personal-access-token"));
    assert!(!compiled(&e, "tencent.secret-id"));
    assert!(!compiled(&e, "pem.private-key"));
}

#[test]
fn threads_compiling_at_once_find_what_one_thread_finds() {
    let text: String = (0..200)
        .map(|i| {
            format!(
                "SecretId = \"AKIDq3Wm8Zt{i:05}Lk2Nc7Rb4Xp9Vd6Jh1Fy\"\nSecretKey = \"Qz7Lk2Nc7Rb4Xp9Vd6Jh1Fy{i:05}Tg8a\"\ngh{}_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9v{i:05}Yz9\n", "p"
            )
        })
        .collect();
    let run = |e: &Engine| {
        let mut out = Vec::new();
        e.scan(&mut e.cache(), None, text.as_bytes(), &mut out);
        out
    };
    let alone = run(&Engine::new(&RuleSet::builtin()).unwrap());
    assert!(alone.len() >= 200, "{}", alone.len());
    let shared = Engine::new(&RuleSet::builtin()).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| run(&shared))).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), alone);
        }
    });
}

#[test]
fn only_rules_exactly_as_built_in_skip_the_check_at_build() {
    let builtin = RuleSet::builtin();
    let rule = builtin.get("tencent.secret-id").unwrap();
    assert!(crate::rule::is_builtin(rule));
    for (field, broken) in [
        ("pattern", "(?P<secret>AKID"),
        ("pattern", "AKID[0-9]{32}"),
        ("pattern", "AKID(?P<secret>[0-9]*)"),
    ] {
        let mut changed = rule.clone();
        changed.pattern = broken.to_string();
        assert!(!crate::rule::is_builtin(&changed));
        let set = RuleSet {
            rules: vec![changed],
        };
        let e = Engine::new(&set).unwrap_err().to_string();
        assert!(e.starts_with("rule tencent.secret-id: "), "{field}: {e}");
    }
}

#[test]
fn unchecked_built_in_regexes_find_their_secret_group() {
    let e = Engine::new(&RuleSet::builtin()).unwrap();
    let i = e
        .rules()
        .rules
        .iter()
        .position(|r| r.id == "tencent.secret-id")
        .unwrap();
    let re = &e.compiled[i].re;
    assert!(!re.is_compiled());
    let named = re.capture_names().position(|n| n == Some("secret"));
    assert_eq!(Some(re.group()), named);
}
