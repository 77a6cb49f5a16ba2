//! Filesystem scans through the binary: what is walked, what is skipped, and
//! how odd files are reported without stopping the run.

use crate::util::{RunExt, TestEnv, fake};
use predicates::prelude::*;
use predicates::str::contains;

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

#[test]
fn scan_fs_clean_tree_exits_0() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing to see\n");
    env.cmd()
        .args(["scan", "."])
        .assert()
        .code(0)
        .stdout(contains("no credentials found"));
}

#[test]
fn scan_fs_finding_exits_1_and_missing_path_exits_2() {
    let env = TestEnv::new();
    env.write("a.py", format!("ID = \"{}\"\n", id(1)));
    env.cmd().args(["scan", "."]).assert().code(1);
    env.cmd()
        .args(["scan", "a.py", "does-not-exist"])
        .assert()
        .code(2)
        .stderr(contains("does-not-exist"));
}

#[test]
fn scan_fs_reads_hidden_files_and_never_enters_dot_git() {
    let env = TestEnv::new();
    env.write(".env", format!("TENCENTCLOUD_SECRET_ID={}\n", id(2)));
    env.write(
        ".tccli/default.credential",
        format!("{{\"secretId\": \"{}\"}}\n", id(3)),
    );
    env.write(".git/config", format!("# {}\n", id(4)));
    let out = env.cmd().args(["scan", ".", "-f", "jsonl"]).run();
    let text = out.stdout;
    assert!(
        text.contains("\".env\"") || text.contains("/.env\""),
        "{text}"
    );
    assert!(text.contains(".tccli/default.credential"), "{text}");
    assert!(!text.contains(".git/config"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
}

#[test]
fn scan_fs_respects_gitignore_unless_told_not_to() {
    let env = TestEnv::new();
    env.write(".gitignore", "ignored/\n");
    env.write("ignored/secrets.env", format!("ID={}\n", id(5)));
    env.cmd().args(["scan", "."]).assert().code(0);
    env.cmd()
        .args(["scan", ".", "--no-gitignore"])
        .assert()
        .code(1);
}

#[test]
fn scan_fs_skips_binary_and_large_files_with_a_count() {
    let env = TestEnv::new();
    let mut bin = b"\x89PNG\x00\x00".to_vec();
    bin.extend(id(6).as_bytes());
    env.write("logo.png", bin);
    env.write("big.txt", format!("{}\n{}", id(7), "x".repeat(4096)));
    env.cmd()
        .args(["scan", ".", "--max-file-size", "1K", "--no-binary-strings"])
        .assert()
        .code(0)
        .stdout(contains("skipped 1 binary, 1 over the size limit"));
}

#[test]
fn scan_fs_transcodes_utf16_and_scans_invalid_utf8() {
    let env = TestEnv::new();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("id = {}\n", id(8)).encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    env.write("win.txt", utf16);
    let mut latin1 = b"caf\xe9 = ".to_vec();
    latin1.extend(id(9).as_bytes());
    env.write("latin1.txt", latin1);
    let out = env.cmd().args(["scan", ".", "-f", "jsonl"]).run();
    out.code(1);
    assert_eq!(out.stdout.lines().count(), 2);
}

#[cfg(unix)]
#[test]
fn scan_fs_broken_symlinks_and_loops_are_warnings() {
    let env = TestEnv::new();
    env.write("real/a.txt", format!("{}\n", id(10)));
    std::os::unix::fs::symlink("nowhere", env.path().join("broken")).unwrap();
    std::os::unix::fs::symlink("..", env.path().join("real/loop")).unwrap();
    env.cmd()
        .args(["scan", ".", "--follow-links"])
        .assert()
        .code(1)
        .stderr(contains("warning"));
    env.cmd().args(["scan", "."]).assert().code(1);
}

#[cfg(unix)]
#[test]
#[ignore = "needs a user that mode 000 stops (not root): cargo test -- --ignored scan_fs_unreadable (.ci/run does when not root)"]
fn scan_fs_unreadable_file_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let p = env.write("locked.txt", format!("{}\n", id(11)));
    env.write("open.txt", format!("{}\n", id(12)));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert!(
        std::fs::read(&p).is_err(),
        "mode 000 does not stop this user's reads (root?): run as another user"
    );
    env.cmd()
        .args(["scan", "."])
        .assert()
        .code(2)
        .stdout(contains("open.txt"))
        .stderr(contains("error: cannot read").and(contains("locked.txt")));
}

#[test]
fn scan_fs_output_is_the_same_whatever_the_thread_count() {
    let env = TestEnv::new();
    for i in 0..40u64 {
        env.write(
            &format!("d{}/f{i}.txt", i % 7),
            format!("a\nk = {}\n", id(100 + i)),
        );
    }
    let run = |threads: &str| {
        env.cmd()
            .args(["scan", ".", "-f", "json", "-j", threads])
            .run()
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("8"));
}

#[test]
fn scan_fs_sanitises_terminal_escapes() {
    let env = TestEnv::new();
    env.write("evil.txt", format!("\x1b[2J {} \u{202e}txt\n", id(13)));
    let out = env.cmd().args(["scan", ".", "--color", "never"]).run();
    let text = out.stdout;
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert!(text.contains("\\u{1b}[2J"), "{text:?}");
}

#[test]
fn scan_fs_reads_standard_input() {
    let env = TestEnv::new();
    env.cmd()
        .args(["scan", "-", "-f", "jsonl"])
        .write_stdin(format!("diff\n+ id = {}\n", id(14)))
        .assert()
        .code(1)
        .stdout(contains("\"path\":\"<stdin>\"").and(contains("\"line\":2")));
}
