//! The built-in rule files, embedded with one `include_str!` each (a test
//! checks that this list matches the `rules/` directory).

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

#[cfg(test)]
mod tests {
    use super::BUILTIN_FILES;

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
