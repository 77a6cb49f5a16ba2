//! The generated artefacts: shell completions, man pages and `--version`.

use crate::util::keyhound;
use std::collections::BTreeMap;
use std::path::Path;

fn pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read man page directory")
        .map(|e| {
            let e = e.expect("man page entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("read man page"))
        })
        .collect()
}

#[test]
fn man_pages_in_docs_are_current() {
    let out = tempfile::tempdir().expect("tempdir");
    keyhound()
        .args(["man", "--dir"])
        .arg(out.path())
        .assert()
        .success();
    let fresh = pages(out.path());
    let committed = pages(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man"));
    assert!(fresh.contains_key("keyhound-scan.1"), "{:?}", fresh.keys());
    assert_eq!(
        fresh.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>(),
        "docs/man is stale: run `cargo run -- man --dir docs/man`"
    );
    for (name, page) in &fresh {
        assert!(
            committed[name] == *page,
            "docs/man/{name} is stale: run `cargo run -- man --dir docs/man`"
        );
    }
}

#[test]
fn man_prints_the_top_page() {
    let out = keyhound()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8(out).expect("utf-8 man page");
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    assert!(page.contains(".TH keyhound 1"), "{page}");
    assert!(page.contains("keyhound\\-scan(1)"), "{page}");
}

#[test]
fn completions_name_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = keyhound()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).expect("utf-8 script");
        assert!(script.contains("install-hook"), "{shell}: {script}");
        assert!(script.contains("decode-depth"), "{shell}: {script}");
    }
    keyhound().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn version_names_the_package_version() {
    let out = keyhound()
        .arg("--version")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let line = String::from_utf8(out).expect("utf-8 version");
    let want = format!("keyhound {}", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&want), "{line}");
    let in_git = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(head) = in_git {
        let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert!(
            line.contains(&format!("(commit {head}")),
            "{line} vs {head}"
        );
    }
}

/// README, docs, CI scripts and examples: the files a user copies from.
fn user_docs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join(".pre-commit-hooks.yaml")];
    for dir in ["docs", ".ci", "examples/scale", "hooks"] {
        for e in std::fs::read_dir(root.join(dir)).expect("doc directory") {
            let p = e.expect("entry").path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read doc");
            let name = p.strip_prefix(root).unwrap().display().to_string();
            (name, text)
        })
        .collect()
}

/// Lines of git's output in this checkout (empty without git or a checkout).
fn git_lines(args: &[&str]) -> Vec<String> {
    std::process::Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A repository address without scheme, user, trailing `.git` or `/`:
/// `github.com/o/keyhound`.
fn bare_address(url: &str) -> String {
    let url = url.split_once("://").map_or(url, |(_, rest)| rest);
    let url = match url.split_once('@') {
        Some((user, rest)) if !user.contains('/') => rest,
        _ => url,
    };
    let url = url.trim_end_matches('/');
    url.strip_suffix(".git").unwrap_or(url).replace(':', "/")
}

/// What a user-facing doc names that does not exist: a release tag this
/// checkout does not have (`--tag vX.Y.Z`, `rev: vX.Y.Z`, `@vX.Y.Z` of
/// keyhound's action), or an address of keyhound's own repository or image
/// that is not one of this checkout's remotes (keyhound is published
/// nowhere else). Hosts reserved for examples (`*.example`, `example.com`)
/// are not addresses. Also placeholders and installs without `--locked`.
fn doc_problems(name: &str, text: &str, tags: &[String], remotes: &[String]) -> Vec<String> {
    let example_host = |host: &str| {
        let host = host.to_ascii_lowercase();
        [
            "example",
            "example.com",
            "example.org",
            "example.net",
            "invalid",
            "test",
            "localhost",
        ]
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
    };
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", n + 1);
        if line.contains("<org>") {
            problems.push(format!("{at}: placeholder <org>"));
        }
        for (i, _) in line.match_indices("cargo install") {
            let rest = &line[i + "cargo install".len()..];
            if !(rest.starts_with(" --locked") || rest.starts_with('`')) {
                problems.push(format!("{at}: cargo install without --locked"));
            }
        }
        // `uses: owner/repo@ref` names a GitHub repository.
        let uses = line
            .trim_start()
            .trim_start_matches("- ")
            .starts_with("uses:");
        for word in line.split(|c: char| c.is_whitespace() || "`()\"'<>[],".contains(c)) {
            let address = match bare_address(word) {
                a if uses && !a.contains("://") && a.contains('@') => format!("github.com/{a}"),
                a => a,
            };
            let mut parts = address.split('/');
            let host = parts.next().unwrap_or("");
            let path: Vec<&str> = parts.collect();
            let names_keyhound = path
                .iter()
                .any(|p| p.split([':', '@']).next() == Some("keyhound"));
            let hostlike = host.contains('.') && !host.starts_with('.');
            if !hostlike || path.is_empty() || !names_keyhound || example_host(host) {
                continue;
            }
            let address = address.split(['@']).next().unwrap_or("").to_string();
            if !remotes.iter().any(|r| bare_address(r) == address) {
                problems.push(format!("{at}: {word} is not a remote of this checkout"));
            }
        }
        let trimmed = line.trim_start().trim_start_matches("- ");
        let named = [
            trimmed.strip_prefix("rev: "),
            line.split("--tag ").nth(1),
            line.split("keyhound@").nth(1),
        ];
        for v in named.into_iter().flatten() {
            let v = v
                .split(|c: char| c.is_whitespace() || "`\"'".contains(c))
                .next()
                .unwrap_or("");
            if v.starts_with('v') && v.contains('.') && !tags.iter().any(|t| t == v) {
                problems.push(format!("{at}: tag {v} does not exist in this checkout"));
            }
        }
    }
    problems
}

#[test]
fn docs_name_only_tags_and_urls_that_exist() {
    let repo = env!("CARGO_PKG_REPOSITORY");
    assert!(repo.starts_with("https://"), "{repo}");
    let tags = git_lines(&["tag", "--list"]);
    let remotes: Vec<String> = git_lines(&["remote"])
        .iter()
        .flat_map(|r| git_lines(&["remote", "get-url", "--all", r]))
        .collect();
    // The check itself: what the docs once named, before any release.
    let old = "cargo install --locked --git https://github.com/keyhound/keyhound --tag v0.0.0-none keyhound\n\
               image: ghcr.io/keyhound/keyhound:latest\n    rev: v0.0.0-none\n\
               - uses: keyhound/keyhound@v0.0.0-none\n";
    let caught = doc_problems("old", old, &tags, &remotes);
    assert_eq!(caught.len(), 6, "{caught:#?}");
    let fine = "repo: https://git.example.com/team/keyhound\nrev: main\n\
                cargo install --locked --path .\nhttps://github.com/org/app\n";
    assert_eq!(
        doc_problems("fine", fine, &tags, &remotes),
        Vec::<String>::new()
    );
    let mut problems = Vec::new();
    for (name, text) in user_docs() {
        problems.extend(doc_problems(&name, &text, &tags, &remotes));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let releasing =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/releasing.md"))
            .expect("docs/releasing.md");
    assert!(releasing.contains("git tag -a v"), "{releasing}");
}

#[test]
fn sarif_information_uri_is_the_repository_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), "nothing here\n").unwrap();
    let out = keyhound()
        .args(["scan", "--format", "sarif"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let sarif: serde_json::Value = serde_json::from_slice(&out).expect("sarif json");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["informationUri"],
        env!("CARGO_PKG_REPOSITORY")
    );
}

/// The newest compiled build script of this package (build.rs).
fn build_script() -> std::path::PathBuf {
    let debug = Path::new(env!("CARGO_BIN_EXE_keyhound")).parent().unwrap();
    let mut found: Vec<(std::time::SystemTime, std::path::PathBuf)> =
        std::fs::read_dir(debug.join("build"))
            .expect("target build directory")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("keyhound-"))
            .map(|e| e.path().join("build-script-build"))
            .filter(|p| p.is_file())
            .map(|p| (p.metadata().unwrap().modified().unwrap(), p))
            .collect();
    found.sort();
    found.pop().expect("a compiled build.rs").1
}

#[test]
fn version_stamp_falls_back_to_the_package_version_without_a_checkout() {
    let script = build_script();
    // What the script writes (the rules as JSON) goes here, never into the
    // sources it is pointed at.
    let out_dir = tempfile::tempdir().unwrap();
    let stamp = |dir: &Path, path: &str| {
        let out = std::process::Command::new(&script)
            .env_clear()
            .env("PATH", path)
            .env("CARGO_MANIFEST_DIR", dir)
            .env("OUT_DIR", out_dir.path())
            .output()
            .expect("build script runs");
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("cargo:rustc-env=KEYHOUND_VERSION="))
            .expect("a version line")
            .to_string()
    };
    let version = env!("CARGO_PKG_VERSION");
    let path = std::env::var("PATH").unwrap_or_default();
    // Sources outside any repository, with git on PATH.
    let bare = tempfile::tempdir().unwrap();
    std::fs::create_dir(bare.path().join("rules")).unwrap();
    assert_eq!(stamp(bare.path(), &path), version);
    // No git at all.
    assert_eq!(stamp(bare.path(), "/nonexistent"), version);
    // Unpacked inside another repository: its commit is not ours.
    let outer = tempfile::tempdir().unwrap();
    crate::util::git(outer.path(), &["init", "-q"]);
    std::fs::write(outer.path().join("a"), "a").unwrap();
    crate::util::git(outer.path(), &["add", "."]);
    crate::util::git(outer.path(), &["commit", "-q", "-m", "outer"]);
    let inner = outer.path().join("vendor/keyhound");
    std::fs::create_dir_all(inner.join("rules")).unwrap();
    assert_eq!(stamp(&inner, &path), version);
    // This checkout: the commit.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join(".git").exists() {
        assert!(stamp(here, &path).starts_with(&format!("{version} (commit ")));
    }
    assert!(
        out_dir.path().join("builtin_json.rs").exists(),
        "the script writes into OUT_DIR"
    );
}

/// Cargo reruns a build script whose watched path does not exist on every
/// build, and recompiles the crate: a fresh clone has packed-refs and no
/// loose branch ref, an old one loose refs and no packed-refs. A commit is
/// seen through HEAD's reflog, not the refs directory (which another
/// branch's or worktree's commit touches); without a reflog, through the
/// branch's directory.
#[test]
fn build_script_watches_only_paths_that_exist() {
    let script = build_script();
    for (pack, reflog) in [(true, true), (false, true), (true, false)] {
        let repo = tempfile::tempdir().unwrap();
        crate::util::git(repo.path(), &["init", "-q", "-b", "main"]);
        if !reflog {
            crate::util::git(repo.path(), &["config", "core.logAllRefUpdates", "false"]);
        }
        std::fs::write(repo.path().join("a"), "a").unwrap();
        crate::util::git(repo.path(), &["add", "."]);
        crate::util::git(repo.path(), &["commit", "-q", "-m", "one"]);
        if pack {
            crate::util::git(repo.path(), &["pack-refs", "--all"]);
        }
        // The rules the script turns into the built-in table.
        let rules = repo.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        let mut cmd = std::process::Command::new(&script);
        crate::util::scrub(&mut cmd);
        let out_dir = tempfile::tempdir().unwrap();
        let out = cmd
            .env("CARGO_MANIFEST_DIR", repo.path())
            .env("OUT_DIR", out_dir.path())
            .current_dir(repo.path())
            .output()
            .expect("build script runs");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let watched: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("cargo:rerun-if-changed="))
            .collect();
        assert!(
            watched.len() >= 2,
            "HEAD and the branch's refs: {watched:?}"
        );
        for p in &watched {
            assert!(
                repo.path().join(p).exists(),
                "watches missing {p} (packed: {pack})"
            );
        }
        let dirs = watched
            .iter()
            .filter(|p| repo.path().join(p).is_dir() && Path::new(p) != rules);
        let logs_head = watched.iter().any(|p| p.ends_with("logs/HEAD"));
        if reflog {
            assert!(logs_head, "HEAD's reflog: {watched:?}");
            assert_eq!(dirs.count(), 0, "no directory: {watched:?}");
        } else {
            assert!(!logs_head, "{watched:?}");
            assert_eq!(dirs.count(), 1, "the branch's directory: {watched:?}");
        }
        assert!(text.contains("(commit "), "{text}");
    }
}
