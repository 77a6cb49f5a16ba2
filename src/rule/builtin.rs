//! The built-in rule files, embedded with one `include_str!` each (a test
//! checks that this list matches the `rules/` directory), and the same
//! files as JSON, converted by the build script, which is what a run reads.

use super::Rule;

/// `(file name, contents)` of every built-in rule file, one per provider.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("alibaba.toml", include_str!("../../rules/alibaba.toml")),
    ("aws.toml", include_str!("../../rules/aws.toml")),
    ("baidu.toml", include_str!("../../rules/baidu.toml")),
    (
        "cdnetworks.toml",
        include_str!("../../rules/cdnetworks.toml"),
    ),
    ("generic.toml", include_str!("../../rules/generic.toml")),
    ("github.toml", include_str!("../../rules/github.toml")),
    ("gitlab.toml", include_str!("../../rules/gitlab.toml")),
    ("google.toml", include_str!("../../rules/google.toml")),
    ("huawei.toml", include_str!("../../rules/huawei.toml")),
    ("pem.toml", include_str!("../../rules/pem.toml")),
    ("qiniu.toml", include_str!("../../rules/qiniu.toml")),
    ("slack.toml", include_str!("../../rules/slack.toml")),
    ("tencent.toml", include_str!("../../rules/tencent.toml")),
    (
        "volcengine.toml",
        include_str!("../../rules/volcengine.toml"),
    ),
];

/// `(file name, the file as JSON)` of every built-in rule file, in file
/// name order: written by `build.rs` from `rules/*.toml`.
const BUILTIN_JSON: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_json.rs"));

/// A rule file's table, as the build script wrote it: `[[rule]]` only.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// `(file name, rules)` of every built-in rule file, from their JSON form,
/// read once. Panics if one does not fit the schema: a unit test loads
/// them all.
pub(super) fn parsed() -> &'static [(&'static str, Vec<Rule>)] {
    static PARSED: std::sync::OnceLock<Vec<(&str, Vec<Rule>)>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        BUILTIN_JSON
            .iter()
            .map(|(name, json)| {
                let file: File = serde_json::from_str(json).unwrap_or_else(|e| {
                    panic!(
                        "built-in rules must parse (a unit test checks this): builtin:{name}: {e}"
                    )
                });
                (*name, file.rule)
            })
            .collect()
    })
}

/// Whether `rule` is one of the built-in rules exactly as embedded: one
/// that `rulecheck`'s tests compile whole, so the engine need not check
/// its patterns again at every start.
pub fn is_builtin(rule: &Rule) -> bool {
    parsed()
        .iter()
        .flat_map(|(_, rules)| rules)
        .any(|r| r.id == rule.id && r == rule)
}

#[cfg(test)]
mod tests {
    use super::BUILTIN_FILES;

    #[test]
    fn the_json_read_at_run_time_holds_the_rules_of_the_toml() {
        let from_json = super::parsed();
        assert_eq!(from_json.len(), BUILTIN_FILES.len());
        for ((name, rules), (toml_name, text)) in from_json.iter().zip(BUILTIN_FILES) {
            assert_eq!(name, toml_name);
            let origin = format!("builtin:{name}");
            let from_toml = crate::rule::parse(text, &origin).unwrap_or_else(|e| panic!("{e}"));
            assert!(!rules.is_empty(), "{name} has no rules");
            assert_eq!(*rules, from_toml, "{name}");
        }
    }

    #[test]
    fn list_matches_rules_directory() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("rules/ directory")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = BUILTIN_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(listed, on_disk);
        for (name, text) in BUILTIN_FILES {
            let from_disk = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            assert_eq!(*text, from_disk, "{name} is embedded from another file");
        }
    }
}
