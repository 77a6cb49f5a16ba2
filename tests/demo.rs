//! The bundled demo tree, snapshotted: what the README's first command shows.
//! A change in rules, pairing or writers shows up here as a reviewable diff.

use crate::util::{RunExt, keyhound};

fn scan_demo(format: &str) -> (Option<i32>, String) {
    let out = keyhound()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "fixtures/demo", "--color", "never", "-f", format])
        .run();
    (Some(out.code), out.stdout)
}

#[test]
fn demo_human_stdout() {
    let (code, text) = scan_demo("human");
    assert_eq!(code, Some(1));
    // The one thing that differs between runs: how long the scan took.
    let took = regex::Regex::new(r", \d+\.\d\d s\)").unwrap();
    assert!(took.is_match(&text), "no duration in the summary: {text}");
    let text = took.replace(&text, ", [duration])");
    insta::assert_snapshot!("demo_human_stdout", text);
}

#[test]
fn demo_json_stdout() {
    let (code, text) = scan_demo("json");
    assert_eq!(code, Some(1));
    insta::assert_snapshot!("demo_json_stdout", text);
}
