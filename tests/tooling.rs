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
