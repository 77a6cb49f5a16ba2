//! Shared test support: temporary trees and a runner for the built binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A temporary directory that is removed when dropped, and a state
/// directory of its own beside it (`XDG_STATE_HOME` of its runs).
pub struct TestEnv {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl TestEnv {
    /// An empty directory.
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            state: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The `XDG_STATE_HOME` its runs see (outside [`Self::path`]).
    pub fn state(&self) -> &Path {
        self.state.path()
    }

    /// Where `disable`, `enable` and `respond` keep their journal by default.
    pub fn default_journal(&self) -> PathBuf {
        self.state().join("keyhound/journal.jsonl")
    }

    /// Writes `contents` to `rel` (parents created) and returns its path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// `keyhound` run from inside this directory, with color and env-driven
    /// settings neutralised.
    pub fn cmd(&self) -> Command {
        let mut c = keyhound();
        c.current_dir(self.dir.path())
            .env("XDG_STATE_HOME", self.state.path());
        c
    }

    /// Runs `keyhound args` inside this directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd().args(args).run()
    }
}

/// Prefixes of the environment variables the binary (or git, which it runs)
/// reads: none of the developer's or the CI runner's settings reach a test.
const SCRUBBED_PREFIXES: &[&str] = &[
    "KEYHOUND_",
    "PRE_COMMIT",
    "GITHUB_",
    "GITLAB_",
    "CI_",
    "TENCENTCLOUD_",
    "ALIBABA_CLOUD_",
    "TCCLI_",
    "GITLEAKS_",
    "GIT_",
    "CLICOLOR",
];

/// Single variables the binary reads that are not under those prefixes.
const SCRUBBED: &[&str] = &[
    "CI",
    "NO_COLOR",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "LOCALAPPDATA",
];

/// Whether [`keyhound`] removes `name` from the environment it runs with.
pub fn scrubbed(name: &str) -> bool {
    SCRUBBED.contains(&name) || SCRUBBED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The built `keyhound` binary (or `KEYHOUND_TEST_PROGRAM`), with a clean
/// environment: every variable it reads removed, an empty home of its own
/// (the auditor credential chain reads ~/.tccli and ~/.tencentcloud) and
/// `NO_COLOR` set.
pub fn keyhound() -> Command {
    let program = match std::env::var_os("KEYHOUND_TEST_PROGRAM") {
        Some(p) => PathBuf::from(p),
        None => assert_cmd::cargo::cargo_bin("keyhound"),
    };
    let mut c = std::process::Command::new(program);
    scrub(&mut c)
        .env(
            "HOME",
            std::env::temp_dir().join("keyhound-tests-empty-home"),
        )
        .env("NO_COLOR", "1");
    Command::from_std(c)
}

/// Removes every variable [`scrubbed`] names from the environment `c` runs
/// with: for commands that run keyhound indirectly (git hooks, shells).
pub fn scrub(c: &mut std::process::Command) -> &mut std::process::Command {
    for (var, _) in std::env::vars_os() {
        if scrubbed(&var.to_string_lossy()) {
            c.env_remove(&var);
        }
    }
    c
}

/// A finished run of the binary: exit code, stdout and stderr as text
/// (keyhound writes UTF-8 only: other bytes fail the test, never decoded
/// lossily). Its assertions show both streams when they fail.
pub struct Run {
    /// The exit code (-1 when killed by a signal or the time limit).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code; the panic message shows stderr and stdout.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Run {
        assert_eq!(self.code, want, "unexpected exit code\n{self}");
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    /// Asserts that neither stream contains `needle` (a secret, say).
    #[track_caller]
    pub fn nowhere(&self, needle: &str) -> &Run {
        assert!(
            !self.stdout.contains(needle) && !self.stderr.contains(needle),
            "output shows {needle:?}\n{self}"
        );
        self
    }

    /// Stdout parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stderr\n{}--- stdout\n{}---",
            self.code, self.stderr, self.stdout
        )
    }
}

/// Runs a command to the end and collects its [`Run`].
pub trait RunExt {
    /// Runs it.
    fn run(&mut self) -> Run;
}

impl RunExt for Command {
    fn run(&mut self) -> Run {
        let out = self.output().expect("keyhound starts");
        let text = |bytes: Vec<u8>, stream: &str| {
            String::from_utf8(bytes).unwrap_or_else(|e| {
                panic!(
                    "{stream} is not UTF-8 ({e}):\n{}",
                    String::from_utf8_lossy(e.as_bytes())
                )
            })
        };
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: text(out.stdout, "stdout"),
            stderr: text(out.stderr, "stderr"),
        }
    }
}

/// Builds a secret-looking value at run time so no literal key sits in tests:
/// `prefix` followed by `len` alphanumerics derived from `seed`.
pub fn fake(prefix: &str, len: usize, seed: u64) -> String {
    fake_in(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        prefix,
        len,
        seed,
    )
}

/// As [`fake`], from the characters of `alphabet` (hex digits, upper case,
/// URL-safe base64) for keys of other shapes.
pub fn fake_in(alphabet: &[u8], prefix: &str, len: usize, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut s = String::from(prefix);
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(alphabet[(x % alphabet.len() as u64) as usize] as char);
    }
    s
}

/// Runs git in `dir` as [`git`] does and returns what it did, for the
/// commands a test expects to fail (a merge that conflicts).
pub fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    scrub(&mut std::process::Command::new("git"))
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .output()
        .expect("git runs")
}

/// Runs git in `dir` with fixed identities and dates, so commits made at
/// test time have the same ids on every run; fails the test on a git error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
