//! What reaches a terminal: file names and input lines in warnings and
//! errors are sanitised and bounded, the debug log is plain text when
//! stderr is not a terminal.

use super::{git, run, texts};
use crate::util::TestEnv;

#[test]
fn warnings_neutralise_escapes_and_bidi_controls_in_file_names() {
    let env = TestEnv::new();
    let name = "e\x1b]0;owned\x07vil\u{202e}piz.zip";
    env.write(name, b"PK\x03\x04 a damaged archive");
    let out = run(&env, &["scan", "."]);
    let (_, err) = texts(&out);
    assert!(err.contains("damaged"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(!err.contains('\u{202e}'), "{err:?}");
    assert!(
        err.contains("e\\u{1b}]0;owned\\u{7}vil\\u{202e}piz.zip"),
        "{err}"
    );
}

#[test]
fn warnings_about_deep_paths_are_bounded() {
    let env = TestEnv::new();
    let dir: String = (0..20)
        .map(|i| format!("{}{i}/", "d".repeat(200)))
        .collect();
    env.write(&format!("{dir}broken.zip"), b"PK\x03\x04 a damaged archive");
    let out = run(&env, &["scan", "."]);
    let (_, err) = texts(&out);
    let line = err.lines().find(|l| l.contains("broken.zip")).expect(&err);
    assert!(line.chars().count() < 1200, "{} chars", line.len());
    assert!(
        line.contains("characters cut") && line.contains("damaged"),
        "{line}"
    );
}

#[test]
fn pre_push_never_echoes_a_whole_bad_line() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q", "-b", "main"]);
    let line = format!("refs/heads/main \x1b[2J{}\n", "x".repeat(5 << 20));
    let out = env
        .cmd()
        .args(["scan", "--pre-push", "."])
        .write_stdin(line)
        .timeout(super::LIMIT)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err:.300}");
    assert!(err.contains("invalid pre-push input line"), "{err:.300}");
    assert!(err.len() < 2000, "{} bytes of stderr", err.len());
    assert!(!err.contains('\x1b'), "{err:.300}");
}

#[test]
fn debug_logs_are_plain_text_when_stderr_is_not_a_terminal() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing here\n");
    for color in [None, Some("auto"), Some("never")] {
        let mut args = vec!["-vv", "scan", "."];
        if let Some(c) = color {
            args.extend(["--color", c]);
        }
        // NO_COLOR off: only the missing terminal keeps the colors out.
        let out = env
            .cmd()
            .env_remove("NO_COLOR")
            .args(&args)
            .timeout(super::LIMIT)
            .output()
            .unwrap();
        let (_, err) = texts(&out);
        assert!(err.contains("DEBUG"), "{args:?}: {err}");
        assert!(!err.contains('\x1b'), "{args:?}: {err:?}");
    }
}
