//! The gitleaks on-ramp, as a gitleaks user meets it: their `.gitleaks.toml`,
//! `.gitleaksignore` and JSON reports, and their most used flags.

use crate::util::{TestEnv, fake, git};

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

const TOKEN_RULE: &str = "[[rules]]\nid = \"acme-token\"\ndescription = \"Acme token\"\n\
    regex = '''acme_([a-z0-9]{16})'''\nkeywords = [\"acme_\"]\n";

fn token(seed: u64) -> String {
    fake("acme_", 16, seed).to_ascii_lowercase()
}

#[test]
fn gitleaks_config_at_the_root_is_read_when_keyhound_has_none() {
    let env = TestEnv::new();
    env.write("app.env", format!("SECRET_ID={}\nT={}\n", id(1), token(2)));
    env.write(".gitleaks.toml", TOKEN_RULE);
    // No [extend] useDefault: gitleaks would use only these rules.
    let r = env.run(&["scan", ".", "-f", "json"]);
    r.code(1)
        .stderr_has("no .keyhound.toml at the root: reading gitleaks'")
        .stderr_has("only its rules are used");
    let rules: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules, ["gitleaks.acme-token"], "{r}");
    // useDefault = true: the defaults (keyhound's built-in rules) plus its own.
    env.write(
        ".gitleaks.toml",
        format!("[extend]\nuseDefault = true\n\n{TOKEN_RULE}"),
    );
    let r = env.run(&["scan", ".", "-f", "json"]);
    r.code(1).stderr_has("[extend] useDefault");
    let mut rules: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    assert_eq!(rules, ["gitleaks.acme-token", "tencent.secret-id"], "{r}");
    // A .keyhound.toml wins; the gitleaks config is not read.
    env.write(".keyhound.toml", "disabled_rules = []\n");
    let r = env.run(&["scan", ".", "-f", "json"]);
    assert!(!r.stderr.contains(".gitleaks.toml"), "{r}");
    assert_eq!(r.json()["findings"].as_array().unwrap().len(), 1, "{r}");
    // --config names a gitleaks config explicitly.
    env.run(&["scan", ".", "--config", ".gitleaks.toml"])
        .code(1)
        .stdout_has("gitleaks.acme-token");
}

#[test]
fn gitleaksignore_entries_suppress_by_place_and_fingerprint() {
    let env = TestEnv::new();
    env.write("a.env", format!("K={}\n", id(3)));
    env.write("b.env", format!("\nK={}\n", id(4)));
    env.write("c.env", format!("K={}\n", id(5)));
    let c_fp = env.run(&["scan", "c.env", "-f", "json"]).json()["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    env.write(
        ".gitleaksignore",
        format!("# from gitleaks\na.env:generic-api-key:1\nb.env:generic-api-key:1\n{c_fp}\n"),
    );
    let r = env.run(&["scan", "."]);
    // b.env's key is on line 2: the entry for line 1 covers nothing.
    r.code(1)
        .stdout_has("b.env:2:")
        .stdout_has("2 suppressed")
        .stderr_has(".gitleaksignore: 3 gitleaks ignore entries");
    assert!(
        !r.stdout.contains("a.env:1") && !r.stdout.contains("c.env"),
        "{r}"
    );
    // A bad line is a warning naming the file and line (gitleaks skips it
    // too); the scan goes on and the rest still applies.
    env.write(".gitleaksignore", "a.env:generic-api-key:1\nnot an entry\n");
    env.run(&["scan", "."])
        .code(1)
        .stderr_has("warning: ")
        .stderr_has(".gitleaksignore:2: not a gitleaks fingerprint")
        .stdout_has("1 suppressed");
}

/// A repository with one file committed ("one"), then another ("two"):
/// the two commits' hashes.
fn two_commits(env: &TestEnv, a: (&str, String), b: (&str, String)) -> (String, String) {
    git(env.path(), &["init", "-q", "-b", "main"]);
    let mut shas = Vec::new();
    for ((path, text), msg) in [a, b].into_iter().zip(["one", "two"]) {
        env.write(path, text);
        git(env.path(), &["add", "."]);
        git(env.path(), &["commit", "-q", "-m", msg]);
        shas.push(git(env.path(), &["rev-parse", "HEAD"]).trim().to_string());
    }
    (shas.remove(0), shas.remove(0))
}

#[test]
fn gitleaksignore_commit_entries_hold_for_that_commit_only() {
    let env = TestEnv::new();
    let (first, _) = two_commits(
        &env,
        ("k.env", format!("K={}\n", id(6))),
        ("j.env", format!("J={}\n", id(7))),
    );
    // j.env:1 was introduced by the second commit, not the one named.
    env.write(
        ".gitleaksignore",
        format!("{first}:k.env:generic-api-key:1\n{first}:j.env:generic-api-key:1\n"),
    );
    let r = env.run(&["scan", "--git", ".", "-f", "json"]);
    r.code(1);
    let doc = r.json();
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r}");
    assert_eq!(found[0]["locations"][0]["path"], "j.env", "{r}");
    assert_eq!(doc["suppressed"], 1, "{r}");
}

#[test]
fn gitleaks_reports_are_baselines() {
    let env = TestEnv::new();
    let (old, moved, new) = (id(8), id(9), id(10));
    env.write("old.env", format!("K={old}\n"));
    env.write("moved.env", format!("\n\nK={moved}\n"));
    env.write("new.env", format!("K={new}\n"));
    // What `gitleaks dir . --report-format json` wrote before: old.env
    // redacted, moved.env's secret in clear at a line it has since left.
    let report = serde_json::json!([
        {"RuleID": "generic-api-key", "File": "old.env", "StartLine": 1,
         "Commit": "", "Secret": "REDACTED", "Fingerprint": "old.env:generic-api-key:1"},
        {"RuleID": "generic-api-key", "File": "moved.env", "StartLine": 1,
         "Commit": "", "Secret": moved, "Fingerprint": "moved.env:generic-api-key:1"},
    ]);
    env.write("gitleaks-report.json", report.to_string());
    let r = env.run(&["scan", ".", "--baseline", "gitleaks-report.json"]);
    r.code(1)
        .stdout_has("new.env:1:")
        .stdout_has("2 suppressed");
    assert!(
        !r.stdout.contains("old.env") && !r.stdout.contains("moved.env"),
        "{r}"
    );
    env.write("bad.json", r#"[{"RuleID": "x"}]"#);
    env.run(&["scan", ".", "--baseline", "bad.json"])
        .code(2)
        .stderr_has("bad.json: gitleaks finding 1 has no \"File\" and \"StartLine\"");
}

#[test]
fn gitleaks_flags_keep_their_meaning() {
    let env = TestEnv::new();
    let secret = id(11);
    env.write("a.env", format!("K={secret}\n"));
    env.write("big.env", format!("K={}\n{}", id(12), "x".repeat(2 << 20)));
    env.run(&["scan", ".", "--exit-code", "7"]).code(7);
    env.run(&["scan", ".", "--exit-code", "0"]).code(0);
    env.run(&["scan", "big.env", "--max-target-megabytes", "1"])
        .code(0)
        .stdout_has("skipped 1 over the size limit");
    env.run(&["scan", "big.env", "--max-target-megabytes", "3"])
        .code(1);
    env.run(&[
        "scan",
        "a.env",
        "--report-format",
        "sarif",
        "--report-path",
        "out.sarif",
        "--redact",
    ])
    .code(1)
    .nowhere(&secret);
    let sarif = std::fs::read_to_string(env.path().join("out.sarif")).unwrap();
    assert!(sarif.contains("\"version\": \"2.1.0\"") && !sarif.contains(&secret));
    env.run(&["scan", "a.env", "--redact=50", "--report-format", "json"])
        .code(1)
        .nowhere(&secret);
    env.run(&["scan", "a.env", "--report-format", "csv"])
        .code(2)
        .stderr_has("invalid value 'csv' for '--report-format");
    env.run(&["scan", "a.env", "--redact", "--show-secrets"])
        .code(2);
    // An error still wins over --exit-code.
    env.run(&["scan", "missing", "--exit-code", "0"]).code(2);
}

fn places_found(r: &crate::util::Run) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let rule = f["rule"].as_str().unwrap().to_string();
            f["locations"].as_array().unwrap().iter().map(move |l| {
                (
                    l["path"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("./")
                        .to_string(),
                    rule.clone(),
                )
            })
        })
        .collect();
    found.sort();
    found
}

fn place(path: &str, rule: &str) -> (String, String) {
    (path.to_string(), rule.to_string())
}

#[test]
fn gitleaks_config_without_rules_keeps_the_defaults_and_its_allowlists_cover_them() {
    let env = TestEnv::new();
    env.write("src/app.env", format!("SECRET_ID={}\n", id(20)));
    env.write("testdata/fixture.env", format!("SECRET_ID={}\n", id(21)));
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n\n[allowlist]\ndescription = \"fixtures\"\n\
         paths = ['''^testdata/''']\n",
    );
    let r = env.run(&["scan", ".", "-f", "json"]);
    r.code(1).stderr_has("[extend] useDefault");
    let src = place("src/app.env", "tencent.secret-id");
    assert_eq!(places_found(&r), std::slice::from_ref(&src), "{r}");
    // [[allowlists]] with AND, targetRules, regexTarget = "line", stopwords.
    env.write(
        "src/line.env",
        format!("SECRET_ID={} # test-only\n", id(22)),
    );
    env.write(
        "testdata/line.env",
        format!("SECRET_ID={} # test-only\n", id(25)),
    );
    env.write("testdata/t.env", format!("T={}\n", token(24)));
    env.write(
        "testdata/dummy.env",
        format!("T=acme_dummy{}\n", &token(26)[10..]),
    );
    env.write(
        ".gitleaks.toml",
        format!(
            "[extend]\nuseDefault = true\n{TOKEN_RULE}\n\
             [[allowlists]]\ncondition = \"AND\"\npaths = ['''^src/''']\n\
             regexTarget = \"line\"\nregexes = ['''# test-only$''']\n\
             [[allowlists]]\ntargetRules = [\"acme-token\"]\nstopwords = [\"DUMMY\"]\n"
        ),
    );
    let r = env.run(&["scan", ".", "-f", "json"]);
    assert_eq!(
        places_found(&r),
        [
            src.clone(),
            place("testdata/fixture.env", "tencent.secret-id"),
            place("testdata/line.env", "tencent.secret-id"),
            place("testdata/t.env", "gitleaks.acme-token"),
        ],
        "{r}"
    );
    // [extend] path and disabledRules: the base's rules and allowlists, less
    // what this file disables.
    env.write(
        "base.toml",
        format!("{TOKEN_RULE}\n[allowlist]\npaths = ['''fixture|line''']\n"),
    );
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\npath = \"base.toml\"\n",
    );
    let r = env.run(&["scan", ".", "-f", "json"]);
    let kept: Vec<String> = places_found(&r).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        kept,
        ["src/app.env", "testdata/dummy.env", "testdata/t.env"],
        "{r}"
    );
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\npath = \"base.toml\"\n\
         disabledRules = [\"acme-token\", \"tencent.secret-id\", \"generic-api-key\"]\n",
    );
    env.run(&["scan", ".", "-f", "json"])
        .code(0)
        .stderr_has("no rule \"generic-api-key\" in force");
}

/// gitleaks' JSON report fields, in gitleaks' order.
const GITLEAKS_FIELDS: [&str; 18] = [
    "RuleID",
    "Description",
    "StartLine",
    "EndLine",
    "StartColumn",
    "EndColumn",
    "Match",
    "Secret",
    "File",
    "SymlinkFile",
    "Commit",
    "Entropy",
    "Author",
    "Email",
    "Date",
    "Message",
    "Tags",
    "Fingerprint",
];

fn leaks(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let doc: serde_json::Value = serde_json::from_str(text).expect("gitleaks report");
    doc.as_array()
        .expect("an array")
        .iter()
        .map(|l| l.as_object().unwrap().clone())
        .collect()
}

#[test]
fn gitleaks_detect_command_line_writes_gitleaks_report() {
    let env = TestEnv::new();
    let secret = id(30);
    env.write("src/app.env", format!("SECRET_ID={secret}\n"));
    env.write("testdata/fixture.env", format!("SECRET_ID={}\n", id(31)));
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''^testdata/''']\n",
    );
    env.write(".gitleaksignore", "this is not an entry\n");
    let r = env.run(&[
        "detect",
        "--source",
        ".",
        "--no-git",
        "-c",
        ".gitleaks.toml",
        "--no-banner",
        "--report-format",
        "json",
        "--report-path",
        "F",
    ]);
    r.code(1)
        .stderr_has("warning: ")
        .stderr_has(".gitleaksignore:1:")
        .stderr_has("leaks found: 1")
        .nowhere(&secret);
    assert_eq!(r.stdout, "", "gitleaks prints findings only with -v");
    let report = std::fs::read_to_string(env.path().join("F")).unwrap();
    let found = leaks(&report);
    assert_eq!(found.len(), 1, "{report}");
    let l = &found[0];
    let keys: Vec<&str> = l.keys().map(String::as_str).collect();
    let mut want = GITLEAKS_FIELDS.to_vec();
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want, "{report}");
    assert_eq!(l["RuleID"], "tencent.secret-id");
    assert_eq!(l["File"], "src/app.env");
    assert_eq!(l["StartLine"], 1);
    assert_eq!(l["StartColumn"], 11);
    assert_eq!(l["EndColumn"], 46);
    assert_eq!(l["Secret"], "REDACTED");
    assert_eq!(l["Match"], "REDACTED");
    assert_eq!(l["Commit"], "");
    assert_eq!(l["Fingerprint"], "src/app.env:tencent.secret-id:1");
    assert!(l["Entropy"].as_f64().unwrap() > 3.0);
    // gitleaks' --redact=N masks partially; -v prints the findings too;
    // `--report-path -` is standard output.
    let r = env.run(&["dir", ".", "--redact=50", "-f", "json", "-r", "-"]);
    r.code(1);
    let shown = leaks(&r.stdout)[0]["Secret"].as_str().unwrap().to_string();
    assert_eq!(shown, format!("{}...", &secret[..18]));
    env.run(&["dir", "-v"])
        .code(1)
        .stdout_has("src/app.env:1:11");
    // Its Fingerprint, in .gitleaksignore, keeps the finding out; so does
    // --gitleaks-ignore-path pointing elsewhere, and a baseline.
    env.write(".gitleaksignore", "src/app.env:tencent.secret-id:1\n");
    env.run(&["dir", "."]).code(0).stderr_has("no leaks found");
    env.write("elsewhere/.gitleaksignore", "");
    env.run(&["dir", ".", "-i", "elsewhere"]).code(1);
    env.run(&["dir", ".", "-i", "elsewhere", "-b", "F"]).code(0);
    env.run(&["dir", ".", "-i", "elsewhere", "--exit-code", "3"])
        .code(3);
    env.run(&["stdin"]).code(0);
    env.cmd()
        .args(["stdin", "-f", "json", "-r", "-"])
        .write_stdin(format!("k = {secret}\n"))
        .assert()
        .code(1);
    env.run(&["dir", ".", "-f", "csv"]).code(2);
}

#[test]
fn gitleaks_git_and_protect_commands_scan_history_and_staged_changes() {
    let env = TestEnv::new();
    let (first, second) = two_commits(
        &env,
        ("old.env", format!("K={}\n", id(40))),
        ("new.env", format!("K={}\n", id(41))),
    );
    let r = env.run(&["git", ".", "-f", "json", "-r", "-"]);
    r.code(1);
    let found = leaks(&r.stdout);
    assert_eq!(found.len(), 2, "{r}");
    let commits: Vec<&str> = found
        .iter()
        .map(|l| l["Commit"].as_str().unwrap())
        .collect();
    assert!(
        commits.contains(&first.as_str()) && commits.contains(&second.as_str()),
        "{r}"
    );
    let old = found.iter().find(|l| l["File"] == "old.env").unwrap();
    assert_eq!(old["Message"], "one");
    assert_eq!(
        old["Fingerprint"],
        format!("{first}:old.env:tencent.secret-id:1")
    );
    // --log-opts: only the second commit.
    let r = env.run(&[
        "detect",
        "--log-opts",
        &format!("{first}..HEAD"),
        "-f",
        "json",
        "-r",
        "-",
    ]);
    let found = leaks(&r.stdout);
    assert_eq!(found.len(), 1, "{r}");
    assert_eq!(found[0]["File"], "new.env");
    env.run(&["detect", "--log-opts", "-n 3"])
        .code(2)
        .stderr_has("no keyhound counterpart");
    // protect: what is staged.
    env.run(&["protect", "--staged"]).code(0);
    env.write("staged.env", format!("K={}\n", id(42)));
    git(env.path(), &["add", "staged.env"]);
    let r = env.run(&["protect", "--staged", "-f", "json", "-r", "-"]);
    r.code(1);
    assert_eq!(leaks(&r.stdout)[0]["File"], "staged.env");
    env.run(&["git", "--pre-commit", "--staged"]).code(1);
}

/// The files (and commits) a gitleaks-format report flags.
fn flagged(report: &str) -> std::collections::BTreeSet<(String, String)> {
    leaks(report)
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            (s("Commit"), s("File"))
        })
        .collect()
}

/// The same command line through the real gitleaks and through keyhound, on
/// the same trees: the same files (and commits) flagged. Tencent keys are
/// `generic-api-key` to gitleaks and `tencent.secret-id` to keyhound, so
/// the rules differ; the places must not.
#[test]
#[ignore = "needs the real gitleaks: KEYHOUND_GITLEAKS=$(bash .ci/gitleaks.sh) cargo test --test integration gitleaks_real -- --ignored (.ci/run does)"]
fn gitleaks_real_binary_flags_the_same_files() {
    let gitleaks = std::env::var("KEYHOUND_GITLEAKS")
        .expect("KEYHOUND_GITLEAKS must name the gitleaks binary");
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    env.write(
        "src/app.env",
        format!("SECRET_ID={}\nSECRET_KEY={}\n", id(50), fake("", 32, 51)),
    );
    env.write("testdata/fixture.env", format!("SECRET_ID={}\n", id(52)));
    env.write("conf/ignored.env", format!("SECRET_ID={}\n", id(53)));
    env.write(
        "conf/kept.ini",
        format!("[default]\nsecret_id = {}\n", id(54)),
    );
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[allowlist]\ndescription = \"fixtures\"\n\
         paths = ['''^testdata/''', '''\\.gitleaks(ignore|\\.toml)$''', '''^report''']\n",
    );
    // Rule ids differ, so the ignore entries name the rule each tool uses
    // (keyhound does not compare it).
    env.write(
        ".gitleaksignore",
        "conf/ignored.env:generic-api-key:1\nnot an entry\n",
    );
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "one"]);
    env.write("src/later.env", format!("SECRET_ID={}\n", id(55)));
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "two"]);
    let runs: [&[&str]; 3] = [
        &[
            "detect",
            "--source",
            ".",
            "--no-git",
            "-c",
            ".gitleaks.toml",
            "--no-banner",
        ],
        &["dir", "."],
        &["git", "."],
    ];
    for args in runs {
        let report = |who: &str| env.path().join(format!("report-{who}.json"));
        let theirs = std::process::Command::new(&gitleaks)
            .current_dir(env.path())
            .args(args)
            .args(["--report-format", "json", "--report-path"])
            .arg(report("gitleaks"))
            .output()
            .expect("gitleaks runs");
        assert_eq!(
            theirs.status.code(),
            Some(1),
            "gitleaks {args:?}: {theirs:?}"
        );
        env.cmd()
            .args(args)
            .args(["--report-format", "json", "--report-path"])
            .arg(report("keyhound"))
            .assert()
            .code(1);
        let read = |who| std::fs::read_to_string(report(who)).unwrap();
        let (theirs, ours) = (flagged(&read("gitleaks")), flagged(&read("keyhound")));
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{args:?}: keyhound vs gitleaks");
    }
}
