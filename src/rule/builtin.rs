//! The built-in rule files, embedded with one `include_str!` each (a test
//! checks that this list matches the `rules/` directory).

/// `(file name, contents)` of every built-in rule file.
pub const BUILTIN_FILES: &[(&str, &str)] =
    &[("tencent.toml", include_str!("../../rules/tencent.toml"))];
