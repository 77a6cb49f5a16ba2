//! Shared test support: temporary trees and a runner for the built binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A temporary directory that is removed when dropped.
pub struct TestEnv {
    dir: tempfile::TempDir,
}

impl TestEnv {
    /// An empty directory.
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
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
        c.current_dir(self.dir.path());
        c
    }
}

/// The built `keyhound` binary (or `KEYHOUND_TEST_PROGRAM`), with a clean environment.
pub fn keyhound() -> Command {
    let mut c = match std::env::var_os("KEYHOUND_TEST_PROGRAM") {
        Some(p) => Command::new(p),
        None => Command::cargo_bin("keyhound").expect("keyhound binary"),
    };
    for var in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_TOKEN",
        "TENCENTCLOUD_SECURITY_TOKEN",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_REGION",
        "TENCENTCLOUD_ROLE_ARN",
        "TENCENTCLOUD_ROLE_SESSION_NAME",
        "TENCENTCLOUD_CREDENTIALS_FILE",
        "TCCLI_PROFILE",
        "GITHUB_TOKEN",
        "GITLAB_TOKEN",
    ] {
        c.env_remove(var);
    }
    // The auditor credential chain reads ~/.tccli and ~/.tencentcloud: a
    // home of its own keeps the developer's files out of the tests.
    c.env(
        "HOME",
        std::env::temp_dir().join("keyhound-tests-empty-home"),
    )
    .env_remove("KEYHOUND_LOG")
    .env("NO_COLOR", "1");
    c
}

/// Builds a secret-looking value at run time so no literal key sits in tests:
/// `prefix` followed by `len` alphanumerics derived from `seed`.
pub fn fake(prefix: &str, len: usize, seed: u64) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut s = String::from(prefix);
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(ALNUM[(x % ALNUM.len() as u64) as usize] as char);
    }
    s
}

/// Runs git in `dir` with fixed identities and dates, so commits made at
/// test time have the same ids on every run; fails the test on a git error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
