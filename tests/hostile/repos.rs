//! Repository lists as an attacker writes them: an entry that `git` would
//! read as an option never reaches it.

use super::{git, run, texts};
use crate::util::TestEnv;
use sha2::Digest;

/// Where keyhound caches the repository named `name` under `dir` (the
/// layout of `org::clone::cache_path`: `name` made safe, a short hash).
fn cached(dir: &std::path::Path, safe: &str, name: &str) -> std::path::PathBuf {
    let h = hex::encode(&sha2::Sha256::digest(name.as_bytes())[..4]);
    dir.join(format!("{safe}-{h}.git"))
}

#[test]
fn a_repository_list_entry_cannot_become_a_git_option() {
    let env = TestEnv::new();
    let origin = env.path().join("origin");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q", "-b", "main"]);
    env.write("origin/README", "hello\n");
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "init"]);
    // The cache already holds `host/org/app` (cloned from a local origin),
    // so the entry below, which names the same repository, is fetched.
    let cache = env.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let bare = cached(&cache, "host_org_app", "host/org/app");
    let url = format!("file://{}", origin.display());
    git(
        env.path(),
        &["clone", "-q", "--bare", &url, &bare.to_string_lossy()],
    );
    let marker = env.path().join("pwned");
    env.write(
        "repos.txt",
        format!(
            "--upload-pack=touch {};https://host/org/app\n",
            marker.display()
        ),
    );
    let out = run(
        &env,
        &[
            "scan",
            "--repos",
            "repos.txt",
            "--clone-dir",
            "cache",
            "-f",
            "json",
        ],
    );
    let (_, err) = texts(&out);
    assert!(!marker.exists(), "the list entry ran a command: {err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("repos.txt:1:"), "{err}");
    assert!(err.contains("left out"), "{err}");
}
