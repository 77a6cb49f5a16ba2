//! Where output goes wrong: a reader that stops early, a disk that fills up.

use super::{LIMIT, id, run, texts};
use crate::util::TestEnv;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// A thousand findings: every report of them (human 0.2 MB, JSON 0.7 MB,
/// baseline 0.1 MB) is over a pipe's buffer and the 64 KiB disk below.
fn many_findings(env: &TestEnv) {
    let body: String = (0..1000)
        .map(|i| format!("secret_id = {}\n", id(i)))
        .collect();
    env.write("many.txt", body);
}

#[test]
fn a_reader_that_stops_early_keeps_exit_1() {
    let env = TestEnv::new();
    many_findings(&env);
    for format in ["human", "jsonl", "json"] {
        let mut child = crate::util::scrub(&mut std::process::Command::new(
            assert_cmd::cargo::cargo_bin("keyhound"),
        ))
        .args(["scan", ".", "-f", format])
        .env("NO_COLOR", "1")
        .current_dir(env.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The pipe closes here, with most of the report unwritten.
        let started = std::time::Instant::now();
        let status = child.wait().unwrap();
        assert!(started.elapsed() < LIMIT);
        assert_eq!(status.code(), Some(1), "{format}: {first}");
    }
}

/// Runs keyhound with the file size limit at `kib` KiB and SIGXFSZ ignored,
/// so writes past it fail as on a full disk (bash's `ulimit -f` counts
/// 1024-byte blocks).
fn run_with_small_disk(env: &TestEnv, kib: u32, args: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("keyhound");
    crate::util::scrub(&mut std::process::Command::new("bash"))
        .arg("-c")
        .arg(format!(
            "ulimit -f {kib}; trap '' XFSZ; exec '{}' {args}",
            bin.display()
        ))
        .env("NO_COLOR", "1")
        .current_dir(env.path())
        .output()
        .unwrap()
}

#[test]
fn output_files_are_replaced_whole_or_not_at_all() {
    let env = TestEnv::new();
    many_findings(&env);
    env.write("report.json", "the old report\n");
    env.write("baseline.toml", "the old baseline\n");
    for (target, args) in [
        ("report.json", "scan . -f json -o report.json"),
        ("baseline.toml", "baseline create . -o baseline.toml"),
    ] {
        let out = run_with_small_disk(&env, 64, args);
        let (_, err) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args}: {err}");
        assert!(err.contains(target), "{args}: {err}");
        let kept = std::fs::read_to_string(env.path().join(target)).unwrap();
        assert!(kept.starts_with("the old"), "{args}: {kept:.200}");
        let leftovers: Vec<_> = std::fs::read_dir(env.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    let out = run(&env, &["scan", ".", "-f", "json", "-o", "report.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", texts(&out).1);
    let text = std::fs::read_to_string(env.path().join("report.json")).unwrap();
    assert!(text.trim_end().ends_with('}'), "a whole report");
    let out = run(&env, &["scan", ".", "-o", "no/such/dir/report.json"]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("no/such/dir/report.json"), "{err}");
}
