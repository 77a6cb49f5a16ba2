//! Streams and their limits: standard input, pipes and devices named as
//! paths, endless input, files larger than memory should hold, UTF-16
//! text without a byte-order mark and in git.

use super::{LIMIT, git, id, run, texts};
use crate::util::TestEnv;

/// Runs `script` in bash in `env`, `$K` being the keyhound binary.
fn sh(env: &TestEnv, script: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("keyhound");
    let bin = std::env::var_os("KEYHOUND_TEST_PROGRAM").map_or(bin, Into::into);
    assert_cmd::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("K", bin)
        .env("NO_COLOR", "1")
        .current_dir(env.path())
        .timeout(LIMIT)
        .output()
        .unwrap()
}

fn utf16le(s: &str, bom: bool) -> Vec<u8> {
    let mut b = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for u in s.encode_utf16() {
        b.extend(u.to_le_bytes());
    }
    b
}

#[test]
fn pipes_and_devices_named_as_paths_are_scanned_as_streams() {
    let env = TestEnv::new();
    env.write("f.txt", format!("secret_id = {}\n", id(40)));
    for script in [
        "$K scan <(cat f.txt)",
        "$K scan /dev/stdin < f.txt",
        "cat f.txt | $K scan /dev/stdin",
        "cat f.txt | $K scan -",
    ] {
        let out = sh(&env, script);
        let (stdout, err) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{script}: {stdout}{err}");
    }
}

#[test]
fn standard_input_and_paths_are_scanned_together() {
    let env = TestEnv::new();
    env.write("t1", format!("secret_id = {}\n", id(41)));
    let out = env
        .cmd()
        .args(["scan", "-", "t1", "-f", "jsonl"])
        .write_stdin(format!("secret_id = {}\n", id(42)))
        .timeout(LIMIT)
        .output()
        .unwrap();
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(stdout.contains("\"path\":\"<stdin>\""), "{stdout}");
    assert!(stdout.contains("\"path\":\"t1\""), "{stdout}");
}

#[test]
fn standard_input_honours_the_size_limit_and_the_binary_test() {
    let env = TestEnv::new();
    let leak = format!("secret_id = {}\n", id(43));
    let big = format!("{}{leak}", "filler line\n".repeat(200));
    let out = env
        .cmd()
        .args(["scan", "-", "--max-file-size", "1K"])
        .write_stdin(big)
        .timeout(LIMIT)
        .output()
        .unwrap();
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(
        err.contains("standard input is over the size limit of 1024 bytes"),
        "{err}"
    );
    let out = env
        .cmd()
        .args(["scan", "-", "--no-binary-strings"])
        .write_stdin(format!("\0\x01binary\n{leak}"))
        .timeout(LIMIT)
        .output()
        .unwrap();
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(stdout.contains("1 binary"), "{stdout}");
}

#[test]
fn endless_streams_end_at_the_size_limit_or_the_binary_test() {
    let env = TestEnv::new();
    for script in [
        "$K scan - < /dev/zero",
        "$K scan /dev/zero",
        "yes | $K scan - --max-file-size 1M",
        "yes | $K scan <(cat) --max-file-size 1M",
    ] {
        let out = sh(&env, script);
        let (stdout, err) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{script}: {stdout}{err}");
    }
    let out = sh(&env, "yes | $K scan - --max-file-size 1M");
    assert!(texts(&out).1.contains("over the size limit"));
}

#[test]
fn large_binary_files_are_not_read_whole() {
    let env = TestEnv::new();
    // Sparse: 3 GiB of NULs on disk in a few blocks.
    let f = std::fs::File::create(env.path().join("big.bin")).unwrap();
    f.set_len(3 << 30).unwrap();
    let out = sh(
        &env,
        "ulimit -v 2000000; $K scan big.bin --max-file-size 4G -f json",
    );
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{err}");
    assert!(stdout.contains("\"skipped_binary\": 1"), "{stdout}");
}

#[test]
fn utf16_without_a_byte_order_mark_is_transcoded() {
    let env = TestEnv::new();
    env.write(
        "win.txt",
        utf16le(&format!("secret_id = {}\r\n", id(44)), false),
    );
    let out = run(&env, &["scan", "."]);
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
    let out = env
        .cmd()
        .args(["scan", "-"])
        .write_stdin(utf16le(&format!("secret_id = {}\r\n", id(45)), true))
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{:?}", texts(&out));
}

#[test]
fn utf16_is_transcoded_in_history_and_staged_scans() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    env.write("base.txt", "base\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "base"]);
    env.write(
        "hist.txt",
        utf16le(&format!("secret_id = {}\r\n", id(46)), true),
    );
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "utf-16"]);
    let out = run(&env, &["scan", "--git", ".", "-f", "jsonl"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(stdout.contains("hist.txt"), "{stdout}");
    // Staged: a new file without a byte-order mark, and a changed one.
    env.write(
        "new.txt",
        utf16le(&format!("secret_id = {}\r\n", id(47)), false),
    );
    env.write(
        "hist.txt",
        utf16le(
            &format!("secret_id = {}\r\nsecret_id = {}\r\n", id(46), id(48)),
            true,
        ),
    );
    git(env.path(), &["add", "."]);
    let out = run(&env, &["scan", "--staged", ".", "-f", "jsonl"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(stdout.contains("new.txt"), "{stdout}");
    assert!(stdout.contains("hist.txt"), "{stdout}");
}

#[test]
fn content_that_cannot_be_read_is_an_error_like_a_corrupt_blob() {
    let env = TestEnv::new();
    env.write("open.txt", format!("secret_id = {}\n", id(49)));
    // A file whose path is longer than PATH_MAX (4096 bytes): built one
    // directory at a time, as no single path may be that long.
    let deep = sh(
        &env,
        &format!(
            "set -e; for i in $(seq 24); do mkdir {d}; cd {d}; done; echo 'secret_id = {}' > lost.txt",
            id(51),
            d = "d".repeat(200)
        ),
    );
    assert!(deep.status.success(), "{:?}", texts(&deep));
    let out = run(&env, &["scan", ".", "-f", "json"]);
    let (stdout, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error: cannot read"), "{err:.400}");
    assert!(
        stdout.contains("open.txt"),
        "findings still reported: {stdout}"
    );
    // Symlink loops and broken links hold no content: warnings only.
    let env = TestEnv::new();
    env.write("real/a.txt", format!("secret_id = {}\n", id(52)));
    std::os::unix::fs::symlink("nowhere", env.path().join("broken")).unwrap();
    std::os::unix::fs::symlink("..", env.path().join("real/loop")).unwrap();
    let out = run(&env, &["scan", ".", "--follow-links"]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("warning: skipped a symlink loop"), "{err}");
    assert!(err.contains("warning: skipped a broken link"), "{err}");
}
