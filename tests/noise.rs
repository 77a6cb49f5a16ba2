//! Noise control through the binary: config file, inline allow, ignore file,
//! baseline and gitleaks config import. Each mechanism first shows the
//! finding, then suppresses it, then shows that a different secret is still
//! reported.

use crate::util::{RunExt, TestEnv, fake};
use std::path::Path;

/// A finding as `baseline create` lists it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    fingerprint: String,
    rule: String,
    path: String,
    line: u64,
}

/// Runs `keyhound baseline create ARGS` in `env` (no output file: stdout)
/// and returns what it lists, asserting it succeeded.
fn seen(env: &TestEnv, args: &[&str]) -> Vec<Seen> {
    let out = env.cmd().args(["baseline", "create"]).args(args).run();
    out.code(0);
    parse_baseline(&out.stdout)
}

fn parse_baseline(text: &str) -> Vec<Seen> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(doc["keyhound_baseline"], 1);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Seen {
            fingerprint: f["fingerprint"].as_str().unwrap().to_string(),
            rule: f["rule"].as_str().unwrap().to_string(),
            path: f["path"].as_str().unwrap().to_string(),
            line: f["line"].as_u64().unwrap(),
        })
        .collect()
}

fn paths(s: &[Seen]) -> Vec<(String, u64)> {
    let mut v: Vec<_> = s.iter().map(|s| (s.path.clone(), s.line)).collect();
    v.sort();
    v
}

fn at(path: &str, line: u64) -> (String, u64) {
    (path.to_string(), line)
}

/// The exit code and stderr of `keyhound scan ARGS`.
fn scan(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let out = env.cmd().arg("scan").args(args).run();
    (out.code, out.stderr.clone())
}

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

#[test]
fn config_file_allows_paths_secrets_and_disables_rules() {
    let env = TestEnv::new();
    let (a, b, c, d) = (id(1), id(2), id(3), id(4));
    env.write("app/settings.env", format!("ID={a}\nOTHER={b}, {c}\n"));
    env.write("tests/fixture.env", format!("ID={d}\n"));
    assert_eq!(
        paths(&seen(&env, &[])),
        vec![
            at("app/settings.env", 1),
            at("app/settings.env", 2),
            at("app/settings.env", 2),
            at("tests/fixture.env", 1),
        ]
    );
    assert_eq!(scan(&env, &[]).0, 1);

    // Path globs from the repo root and a regex over one secret: the other
    // secret on the same line is still reported.
    env.write(
        ".keyhound.toml",
        format!(
            "[[allow]]\ndescription = \"fixtures\"\npaths = [\"tests/**\"]\n\
             [[allow]]\nrules = [\"tencent.secret-id\"]\nregexes = ['^{a}$', '^{b}$']\n"
        ),
    );
    let left = seen(&env, &[]);
    assert_eq!(paths(&left), vec![at("app/settings.env", 2)]);
    assert_eq!(left[0].rule, "tencent.secret-id");
    assert_eq!(scan(&env, &[]).0, 1);

    // Stopwords, and an allowlist scoped to another rule does nothing.
    env.write(
        ".keyhound.toml",
        format!(
            "[[allow]]\nstopwords = ['{}']\n[[allow]]\nrules = [\"other.rule\"]\npaths = [\"**\"]\n",
            c[10..20].to_lowercase()
        ),
    );
    assert_eq!(
        paths(&seen(&env, &[])),
        vec![
            at("app/settings.env", 1),
            at("app/settings.env", 2),
            at("tests/fixture.env", 1),
        ]
    );

    // Disabled rules, --no-config and --config.
    env.write(
        ".keyhound.toml",
        "disabled_rules = [\"tencent.secret-id\"]\n",
    );
    assert!(seen(&env, &[]).is_empty());
    assert_eq!(scan(&env, &[]).0, 0);
    assert_eq!(seen(&env, &["--no-config"]).len(), 4);
    env.write("other.toml", "[[allow]]\npaths = [\"app/**\"]\n");
    assert_eq!(
        paths(&seen(&env, &["--config", "other.toml"])),
        vec![at("tests/fixture.env", 1)]
    );
}

#[test]
fn config_file_is_found_at_the_scanned_root_and_adds_rules() {
    let env = TestEnv::new();
    let token = fake("acme_", 24, 9);
    env.write("repo/src/main.txt", format!("token = {token}\n"));
    env.write(
        "repo/.keyhound.toml",
        "max_file_size = \"1K\"\n\
         [[rule]]\nid = \"acme.token\"\nname = \"Acme token\"\nkeywords = [\"acme_\"]\n\
         pattern = '''(?P<secret>acme_[A-Za-z0-9]{24})'''\n",
    );
    env.write("repo/big.txt", format!("{}{}\n", " ".repeat(2048), id(5)));
    let found = seen(&env, &["repo"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "acme.token");
    assert_eq!(found[0].path, "src/main.txt");
    // Without the config, the rule is gone and the big file is scanned.
    let found = seen(&env, &["repo", "--no-config"]);
    assert_eq!(paths(&found), vec![at("big.txt", 1)]);
    // --max-file-size on the command line wins over the config.
    assert_eq!(seen(&env, &["repo", "--max-file-size", "1M"]).len(), 2);
}

#[test]
fn invalid_config_is_one_line_with_file_line_and_key() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing here\n");
    env.write(
        ".keyhound.toml",
        "format = \"json\"\n\n[[allow]]\npaths = [\"ok/**\", \"bad[\"]\n",
    );
    let (code, err) = scan(&env, &[]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(".keyhound.toml:4:19: key allow[0].paths: invalid glob \"bad[\": unclosed character class"),
        "{err}"
    );
    env.write(".keyhound.toml", "[[allow]]\npath = [\"x\"]\n");
    let (code, err) = scan(&env, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".keyhound.toml:2:1: key allow[0].path: unknown field `path`"),
        "{err}"
    );
    let (code, _) = scan(&env, &["--no-config"]);
    assert_eq!(code, 0);
}

#[test]
fn inline_allow_suppresses_only_its_own_line() {
    let env = TestEnv::new();
    let (a, b) = (id(11), id(12));
    env.write("plain.py", format!("A = '{a}'\nB = '{b}'\n"));
    assert_eq!(
        paths(&seen(&env, &[])),
        vec![at("plain.py", 1), at("plain.py", 2)]
    );
    env.write(
        "plain.py",
        format!("A = '{a}'  # keyhound:allow\nB = '{b}'\n"),
    );
    let left = seen(&env, &[]);
    assert_eq!(paths(&left), vec![at("plain.py", 2)]);
    env.write(
        "plain.py",
        format!("A = '{a}'  // gitleaks:allow\nB = '{b}'  # keyhound:allow\n"),
    );
    assert!(seen(&env, &[]).is_empty());
    assert_eq!(scan(&env, &[]).0, 0);
    // The same secret elsewhere without a marker is still reported.
    env.write("other.py", format!("A = '{a}'\n"));
    assert_eq!(paths(&seen(&env, &[])), vec![at("other.py", 1)]);
}

#[test]
fn ignore_file_suppresses_by_fingerprint() {
    let env = TestEnv::new();
    let (a, b) = (id(21), id(22));
    env.write("conf/app.env", format!("A={a}\n"));
    let fp_a = seen(&env, &[])[0].fingerprint.clone();
    // The ignored secret moves to another line, and a new secret joins it on
    // that same line: only the new one is reported.
    env.write("conf/app.env", format!("# moved\nA={a} B={b}\n"));
    env.write(".keyhoundignore", format!("{fp_a}  # test key, revoked\n"));
    let left = seen(&env, &[]);
    assert_eq!(paths(&left), vec![at("conf/app.env", 2)]);
    assert_ne!(left[0].fingerprint, fp_a);
    assert_eq!(seen(&env, &["--no-ignore-file"]).len(), 2);

    // path= narrows the entry; a copy of the secret elsewhere is reported.
    env.write("conf/app.env", format!("A={a}\n"));
    env.write("src/copy.env", format!("A={a}\n"));
    env.write(
        ".keyhoundignore",
        format!("{fp_a} path=conf/** owner=alice expires=2999-12-31 # fixture\n"),
    );
    let left = seen(&env, &[]);
    assert_eq!(paths(&left), vec![at("src/copy.env", 1)]);

    // --ignore-file; an expired entry stops suppressing with a warning; an
    // entry matching nothing is a notice.
    let stale = "0123456789abcdef0123456789abcdef";
    env.write(
        "elsewhere.ignore",
        format!("{fp_a} expires=2001-01-01 owner=bob\n{stale}\n"),
    );
    let (code, err) = scan(&env, &["--ignore-file", "elsewhere.ignore"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "warning: elsewhere.ignore:1: ignore entry {fp_a} expired on 2001-01-01 (owner bob); its finding is reported again"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "note: elsewhere.ignore:2: ignore entry {stale} matches no finding in this scan"
        )),
        "{err}"
    );
    // A bad line is an error naming file and line; the good entries apply.
    env.write(".keyhoundignore", format!("not-a-fingerprint\n{fp_a}\n"));
    let (code, err) = scan(&env, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".keyhoundignore:1: expected a 32-hex-digit fingerprint"),
        "{err}"
    );
}

#[test]
fn baseline_reports_only_new_findings() {
    let env = TestEnv::new();
    let (a, b) = (id(31), id(32));
    env.write("app.cfg", format!("key {a}\n"));
    let out = env
        .cmd()
        .args(["baseline", "create", ".", "-o", "base.json"])
        .run();
    out.code(0);
    let text = std::fs::read_to_string(env.path().join("base.json")).unwrap();
    assert!(!text.contains(&a), "a baseline holds no secrets");
    let base = parse_baseline(&text);
    assert_eq!(paths(&base), vec![at("app.cfg", 1)]);
    assert_eq!(scan(&env, &[]).0, 1);
    assert_eq!(scan(&env, &["--baseline", "base.json"]).0, 0);

    // A new secret on the same line is reported; the known one is not.
    env.write("app.cfg", format!("\n\nkey {a}, {b}\n"));
    let left = seen(&env, &["--baseline", "base.json"]);
    assert_eq!(paths(&left), vec![at("app.cfg", 3)]);
    assert_ne!(left[0].fingerprint, base[0].fingerprint);
    assert_eq!(scan(&env, &["--baseline", "base.json"]).0, 1);

    // Creating it twice gives the same bytes (sorted, no timestamps).
    let twice = |n: &str| {
        env.cmd()
            .args(["baseline", "create", "-o", n])
            .assert()
            .success();
        std::fs::read(env.path().join(n)).unwrap()
    };
    assert_eq!(twice("b1.json"), twice("b2.json"));
}

#[test]
fn baseline_accepts_json_jsonl_and_sarif_reports() {
    let env = TestEnv::new();
    let (a, b) = (id(41), id(42));
    env.write("x.txt", format!("A={a}\nB={b}\n"));
    let all = seen(&env, &[]);
    assert_eq!(all.len(), 2);
    let fp_a = &all.iter().find(|s| s.line == 1).unwrap().fingerprint;
    let report = format!(
        r#"{{"version": 1, "tool": {{"name": "keyhound", "version": "0.1.0"}},
  "stats": {{"scanned": 1, "bytes": 10, "skipped_binary": 0, "skipped_too_large": 0, "unreadable": 0}},
  "suppressed": 0,
  "findings": [{{"fingerprint": "{fp_a}", "rule": "tencent.secret-id", "name": "Tencent Cloud SecretId",
    "severity": "critical", "secret": "AKID…", "key": null, "token": null, "redacted": true,
    "in_head": null, "verification": null,
    "locations": [{{"kind": "file", "path": "x.txt", "line": 1, "column": 1, "end_line": 1,
      "end_column": 37, "key_line": null, "key_column": null, "commit": null, "snippet": "AKID…"}}]}}]}}"#
    );
    env.write("report.json", &report);
    assert_eq!(
        paths(&seen(&env, &["--baseline", "report.json"])),
        vec![at("x.txt", 2)]
    );
    env.write("report.jsonl", format!("{{\"fingerprint\":\"{fp_a}\"}}\n"));
    assert_eq!(
        paths(&seen(&env, &["--baseline", "report.jsonl"])),
        vec![at("x.txt", 2)]
    );
    let out = env
        .cmd()
        .args(["scan", "x.txt", "-f", "sarif", "-o", "all.sarif"])
        .run();
    out.code(1);
    assert!(seen(&env, &["--baseline", "all.sarif"]).is_empty());
    env.write("y.txt", format!("C={}\n", id(43)));
    assert_eq!(
        paths(&seen(&env, &["--baseline", "all.sarif"])),
        vec![at("y.txt", 1)]
    );
    env.write("bad.json", "{\"stats\": {}}");
    let (code, err) = scan(&env, &["--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.json: not a keyhound baseline or JSON report"),
        "{err}"
    );
}

fn gitleaks_default() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gitleaks/gitleaks.toml")
}

#[test]
fn gitleaks_default_config_loads() {
    let env = TestEnv::new();
    let pat = fake("ghp_", 36, 51);
    env.write("ci.sh", format!("export GITHUB_TOKEN={pat}\n"));
    // The built-in github rule finds it too; no gitleaks rule runs unasked.
    assert!(
        seen(&env, &[])
            .iter()
            .all(|f| !f.rule.starts_with("gitleaks."))
    );
    let rules = gitleaks_default();
    let out = env
        .cmd()
        .args(["baseline", "create", "--rules"])
        .arg(&rules)
        .run();
    out.code(0);
    let err = out.stderr.as_str();
    assert!(
        err.contains("gitleaks.toml: loaded 221 rules, skipped 1 (gitleaks.pkcs12-file)"),
        "{err}"
    );
    let found = parse_baseline(&out.stdout);
    assert!(
        found
            .iter()
            .any(|f| f.rule == "gitleaks.github-pat" && f.path == "ci.sh"),
        "{found:?}"
    );
}

#[test]
fn gitleaks_config_rules_convert_and_bad_ones_are_skipped() {
    let env = TestEnv::new();
    let tok = fake("", 20, 61);
    env.write("a.txt", format!("acme key: \"{tok}\"\n"));
    env.write(
        "gl.toml",
        "title = \"mine\"\n[extend]\nuseDefault = true\n\
         [[rules]]\nid = \"acme\"\ndescription = \"Acme key\"\n\
         regex = '''acme key: \"([A-Za-z0-9]{20})\"'''\nsecretGroup = 1\nkeywords = [\"acme\"]\n\
         [[rules]]\nid = \"lookbehind\"\nregex = '''(?<=k)[a-z]+'''\n",
    );
    let out = env
        .cmd()
        .args(["baseline", "create", "--rules", "gl.toml"])
        .run();
    out.code(0);
    let err = out.stderr.as_str();
    // --rules always adds to the built-in rules: useDefault is not a question.
    assert!(!err.contains("[extend]"), "{err}");
    assert!(
        err.contains("gl.toml: loaded 1 rules, skipped 1 (gitleaks.lookbehind)"),
        "{err}"
    );
    let found = parse_baseline(&out.stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "gitleaks.acme");
    // keyhound's own format is still read as before.
    env.write(
        "kh.toml",
        "[[rule]]\nid = \"acme.key\"\nname = \"Acme\"\nkeywords = [\"acme\"]\npattern = '''acme key: \"([A-Za-z0-9]{20})\"'''\n",
    );
    let found = seen(&env, &["--rules", "kh.toml"]);
    assert_eq!(found[0].rule, "acme.key");
}

#[test]
fn config_root_is_the_scanned_directory_or_the_files_git_root() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path().join("repo/.git")).unwrap();
    env.write(
        "repo/.keyhound.toml",
        "[[allow]]\npaths = [\"sub/a.env\"]\n",
    );
    env.write("repo/sub/a.env", format!("A={}\n", id(71)));
    // A directory is its own root: the parent's config does not apply.
    assert_eq!(seen(&env, &["repo/sub"]).len(), 1);
    // The repo root: globs are measured from it.
    assert!(seen(&env, &["repo"]).is_empty());
    // A file: the root of the git work tree holding it.
    assert!(seen(&env, &["repo/sub/a.env"]).is_empty());
    assert_eq!(seen(&env, &["repo/sub/a.env", "--no-config"]).len(), 1);
}

#[test]
fn json_report_counts_suppressed_and_serves_as_baseline() {
    let env = TestEnv::new();
    let (a, b, c) = (id(81), id(82), id(83));
    env.write("one.txt", format!("A={a} # keyhound:allow\nB={b}\n"));
    let out = env
        .cmd()
        .args(["scan", "-f", "json", "-o", "first.json"])
        .run();
    out.code(1);
    let first: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("first.json")).unwrap()).unwrap();
    assert_eq!(first["suppressed"], 1);
    assert_eq!(first["findings"].as_array().unwrap().len(), 1);

    env.write("two.txt", format!("B={b}, C={c}\n"));
    let out = env
        .cmd()
        .args(["scan", "-f", "json", "--baseline", "first.json"])
        .run();
    out.code(1);
    let second: serde_json::Value = out.json();
    assert_eq!(second["suppressed"], 2);
    let findings = second["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let path = findings[0]["locations"][0]["path"].as_str().unwrap();
    assert!(path.ends_with("two.txt"), "{path}");
    assert_ne!(
        findings[0]["fingerprint"],
        first["findings"][0]["fingerprint"]
    );
}

#[test]
fn config_format_is_the_default_and_the_flag_wins() {
    let env = TestEnv::new();
    env.write("a.env", format!("A={}\n", id(91)));
    env.write(".keyhound.toml", "format = \"jsonl\"\n");
    let out = env.cmd().arg("scan").run();
    out.code(1);
    let text = out.stdout;
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["rule"], "tencent.secret-id");
    let out = env.cmd().args(["scan", "-f", "json"]).run();
    let doc: serde_json::Value = out.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}
