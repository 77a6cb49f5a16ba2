//! keyhound's hooks under the real pre-commit framework (offline: local
//! repositories, this checkout's `.pre-commit-hooks.yaml` in a local hook
//! repository, the built binary on PATH), and the hook rules that need no
//! framework: a framework push keyhound cannot resolve fails, install-hook
//! writes `keyhound` as found on PATH, `--quiet` says nothing when clean.

use crate::util::{TestEnv, fake, scrub};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = scrub(&mut Command::new("git"))
        .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// PATH with the built keyhound's directory first.
fn path_with_keyhound() -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_keyhound"));
    let dir = bin.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

/// A hook repository holding this checkout's `.pre-commit-hooks.yaml`, and
/// an app repository whose config uses the `-system` hooks from it.
fn framework_repos(env: &TestEnv) -> (PathBuf, String) {
    let hooks = env.path().join("hookrepo");
    std::fs::create_dir_all(&hooks).unwrap();
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml");
    std::fs::copy(manifest, hooks.join(".pre-commit-hooks.yaml")).unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(git(&hooks, &["rev-parse", "HEAD"]).stdout).unwrap();
    let app = env.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    git(&app, &["init", "-q", "-b", "main"]);
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: keyhound-system\n        exclude: ^fixtures/\n      - id: keyhound-pre-push-system\n",
        hooks.display(),
        rev.trim()
    );
    std::fs::write(app.join(".pre-commit-config.yaml"), config).unwrap();
    (app, rev)
}

fn framework(tool: &str, env: &TestEnv, dir: &Path, args: &[&str]) -> Output {
    scrub(&mut Command::new(tool))
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with_keyhound())
        .env("PRE_COMMIT_HOME", env.path().join("cache"))
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
#[ignore = "needs the pre-commit framework: KEYHOUND_PRE_COMMIT=$(bash .ci/pre-commit-venv.sh) cargo test -- --ignored precommit_framework (.ci/run does)"]
fn precommit_framework_blocks_committed_leaks_and_first_pushes() {
    let tool = std::env::var("KEYHOUND_PRE_COMMIT")
        .expect("KEYHOUND_PRE_COMMIT must name the pre-commit executable");
    let env = TestEnv::new();
    let (app, _) = framework_repos(&env);
    let id = fake("AKID", 32, 901);
    std::fs::write(app.join("leak.env"), format!("SECRET_ID={id}\n")).unwrap();
    std::fs::write(app.join("clean.txt"), "hello\n").unwrap();
    git(&app, &["add", "."]);
    git(&app, &["commit", "-q", "--no-verify", "-m", "leak"]);

    // CI's `pre-commit run --all-files` sees the committed leak.
    let out = framework(&tool, &env, &app, &["run", "--all-files"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("leak.env:1:11"), "{}", text(&out));
    assert!(!text(&out).contains(&id), "secret shown: {}", text(&out));

    // Installed hooks: a clean commit passes, a staged leak is blocked.
    let out = framework(
        &tool,
        &env,
        &app,
        &["install", "-t", "pre-commit", "-t", "pre-push"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let commit = |msg: &str| {
        scrub(&mut Command::new("git"))
            .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.com"])
            .args(["commit", "-q", "-m", msg])
            .current_dir(&app)
            .env("PATH", path_with_keyhound())
            .env("PRE_COMMIT_HOME", env.path().join("cache"))
            .output()
            .unwrap()
    };
    std::fs::write(app.join("clean.txt"), "hello again\n").unwrap();
    git(&app, &["add", "clean.txt"]);
    let out = commit("clean");
    assert!(out.status.success(), "{}", text(&out));
    // `exclude: ^fixtures/` holds even with other files staged beside it:
    // keyhound scans exactly the files the framework passes.
    std::fs::create_dir_all(app.join("fixtures")).unwrap();
    std::fs::write(
        app.join("fixtures/sample.env"),
        format!("K={}\n", fake("AKID", 32, 903)),
    )
    .unwrap();
    std::fs::write(app.join("clean.txt"), "hello a third time\n").unwrap();
    git(&app, &["add", "fixtures/sample.env", "clean.txt"]);
    let out = commit("fixture");
    assert!(
        out.status.success(),
        "excluded fixture blocked: {}",
        text(&out)
    );
    std::fs::write(
        app.join("new.env"),
        format!("K={}\n", fake("AKID", 32, 902)),
    )
    .unwrap();
    git(&app, &["add", "new.env"]);
    let out = commit("second leak");
    assert!(
        !out.status.success(),
        "staged leak committed: {}",
        text(&out)
    );
    git(&app, &["reset", "-q"]);
    std::fs::remove_file(app.join("new.env")).unwrap();

    // The first push includes the root commit: the framework passes no refs.
    let remote = env.path().join("remote.git");
    git(
        env.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&app, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let out = scrub(&mut Command::new("git"))
        .args(["push", "-q", "origin", "main"])
        .current_dir(&app)
        .env("PATH", path_with_keyhound())
        .env("PRE_COMMIT_HOME", env.path().join("cache"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "leaky first push went through");
    assert!(
        text(&out).contains("keyhound (commits being pushed)"),
        "{}",
        text(&out)
    );
    let refs = git(&remote, &["for-each-ref"]).stdout;
    assert!(refs.is_empty(), "the remote got refs");
}

#[test]
fn precommit_framework_push_it_cannot_resolve_fails_closed() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    env.write("a.txt", "a\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "a"]);
    // The framework ran (stdin consumed) but set neither refs nor branch.
    let out = env
        .cmd()
        .args(["scan", "--pre-push", "-q"])
        .env("PRE_COMMIT", "1")
        .env_remove("PRE_COMMIT_TO_REF")
        .env_remove("PRE_COMMIT_LOCAL_BRANCH")
        .write_stdin("")
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot tell which commits are being pushed")
    );
    // With the local branch: its commits no remote-tracking ref has.
    let id = fake("AKID", 32, 903);
    env.write("b.env", format!("{id}\n"));
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "b"]);
    env.cmd()
        .args(["scan", "--pre-push", "-q"])
        .env("PRE_COMMIT", "1")
        .env("PRE_COMMIT_REMOTE_NAME", "origin")
        .env("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
        .env_remove("PRE_COMMIT_TO_REF")
        .assert()
        .code(1);
}

#[test]
fn precommit_mode_scans_exactly_the_passed_files_added_lines_inside_a_commit() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    let (old, new) = (fake("AKID", 32, 904), fake("AKID", 32, 905));
    env.write("old.env", format!("{old}\n"));
    env.write("clean.txt", "x\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "old"]);
    // --all-files: committed files passed, none staged: scanned in full.
    env.cmd()
        .args(["scan", "--pre-commit", "-q", "old.env", "clean.txt"])
        .assert()
        .code(1);
    // A commit (git sets GIT_INDEX_FILE for its hooks): the staged files
    // passed, only the lines they add count.
    let committing = |args: &[&str]| {
        let mut c = env.cmd();
        c.args(["scan", "--pre-commit", "-q"])
            .args(args)
            .env("GIT_INDEX_FILE", env.path().join(".git/index"));
        c
    };
    env.write("clean.txt", "x\ny\n");
    env.write("old.env", format!("{old}\nmore\n"));
    git(env.path(), &["add", "clean.txt", "old.env"]);
    let out = committing(&["clean.txt", "old.env"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "quiet run printed"
    );
    env.write("new.env", format!("{new}\n"));
    git(env.path(), &["add", "new.env"]);
    committing(&["clean.txt", "new.env"]).assert().code(1);
    // Exactly the files passed: new.env left out (the framework's
    // `exclude:`) is not scanned, though it is staged.
    committing(&["clean.txt"]).assert().code(0);
    // `pre-commit run --files old.env` (no commit running): the file in
    // full, so its old leak is found though it is staged.
    env.cmd()
        .args(["scan", "--pre-commit", "-q", "old.env"])
        .assert()
        .code(1);
}

#[test]
fn install_hook_writes_keyhound_as_found_on_path() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    env.cmd()
        .args(["install-hook"])
        .env("PATH", path_with_keyhound())
        .assert()
        .code(0);
    let hook = std::fs::read_to_string(env.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(
        hook.contains("exec keyhound scan --staged --quiet\n"),
        "{hook}"
    );
    assert!(!hook.contains(env!("CARGO_BIN_EXE_keyhound")), "{hook}");
    // Gone from PATH at commit time: the hook blocks with a message.
    let out = scrub(&mut Command::new("/bin/sh"))
        .arg(env.path().join(".git/hooks/pre-commit"))
        .current_dir(env.path())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found on PATH"));
}

/// A crate standing in for keyhound in a hook repository: its binary prints
/// the version of `pinned-dep` it was built with. Cargo.lock pins 1.0.0;
/// a vendored registry (source replacement in the repository's
/// .cargo/config.toml) also offers 1.0.1, which a resolution that ignores
/// the lock file picks.
fn locked_hook_repo(dir: &Path) {
    use sha2::{Digest, Sha256};
    let write = |rel: &str, body: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    let hex = |b: &[u8]| {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    for v in ["1.0.0", "1.0.1"] {
        let manifest =
            format!("[package]\nname = \"pinned-dep\"\nversion = \"{v}\"\nedition = \"2021\"\n");
        let lib = format!("pub const VERSION: &str = \"{v}\";\n");
        let sum = format!(
            "{{\"files\":{{\"Cargo.toml\":\"{}\",\"src/lib.rs\":\"{}\"}},\"package\":\"{}\"}}",
            hex(manifest.as_bytes()),
            hex(lib.as_bytes()),
            hex(v.as_bytes())
        );
        write(&format!("vendor/pinned-dep-{v}/Cargo.toml"), &manifest);
        write(&format!("vendor/pinned-dep-{v}/src/lib.rs"), &lib);
        write(&format!("vendor/pinned-dep-{v}/.cargo-checksum.json"), &sum);
    }
    write(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"vendor\"\n",
    );
    write(
        "Cargo.toml",
        "[package]\nname = \"keyhound\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\npinned-dep = \"1\"\n",
    );
    write(
        "src/main.rs",
        "fn main() {\n    println!(\"built with pinned-dep {}\", pinned_dep::VERSION);\n    \
         std::process::exit(1);\n}\n",
    );
    write(
        "Cargo.lock",
        &format!(
            "version = 4\n\n[[package]]\nname = \"keyhound\"\nversion = \"0.1.0\"\n\
             dependencies = [\n \"pinned-dep\",\n]\n\n[[package]]\nname = \"pinned-dep\"\n\
             version = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             checksum = \"{}\"\n",
            hex(b"1.0.0")
        ),
    );
    let script = dir.join("hooks/run-locked.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/run-locked.sh"),
        &script,
    )
    .unwrap();
    // This checkout's manifest, plus the framework's own `language: rust`
    // build of the same crate, for contrast.
    let mut manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    manifest.push_str(
        "- id: framework-rust-build\n  name: language rust\n  entry: keyhound\n  \
         language: rust\n  pass_filenames: false\n",
    );
    write(".pre-commit-hooks.yaml", &manifest);
}

#[test]
#[ignore = "needs the pre-commit framework: KEYHOUND_PRE_COMMIT=$(bash .ci/pre-commit-venv.sh) cargo test -- --ignored precommit_framework (.ci/run does)"]
fn precommit_framework_builds_the_source_hook_with_the_lock_file() {
    let tool = std::env::var("KEYHOUND_PRE_COMMIT")
        .expect("KEYHOUND_PRE_COMMIT must name the pre-commit executable");
    let env = TestEnv::new();
    let hooks = env.path().join("hookrepo");
    locked_hook_repo(&hooks);
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(git(&hooks, &["rev-parse", "HEAD"]).stdout).unwrap();
    let app = env.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    git(&app, &["init", "-q", "-b", "main"]);
    std::fs::write(app.join("a.txt"), "a\n").unwrap();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: keyhound\n      - id: framework-rust-build\n",
        hooks.display(),
        rev.trim()
    );
    std::fs::write(app.join(".pre-commit-config.yaml"), config).unwrap();
    git(&app, &["add", "."]);
    let out = Command::new(&tool)
        .args(["run", "--all-files"])
        .current_dir(&app)
        .env("PRE_COMMIT_HOME", env.path().join("cache"))
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TARGET_DIR")
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs");
    let shown = text(&out);
    let sections: Vec<&str> = shown.split("language rust").collect();
    assert_eq!(sections.len(), 2, "{shown}");
    assert!(
        sections[0].contains("built with pinned-dep 1.0.0"),
        "the keyhound hook ignored Cargo.lock: {shown}"
    );
    // What `language: rust` does with the same repository: Cargo.lock
    // ignored, the newest matching version built.
    assert!(
        sections[1].contains("built with pinned-dep 1.0.1"),
        "{shown}"
    );
}
