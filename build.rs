//! Build script: stamps `keyhound --version` with the commit the binary was
//! built from, read from git; without git (a crate tarball, no git binary)
//! the version is the package version alone.

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match commit() {
        Some((hash, date)) => format!("{version} (commit {hash} {date})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=KEYHOUND_VERSION={full}");
    println!("cargo:rerun-if-env-changed=KEYHOUND_BUILD_COMMIT");
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &head_ref])
    {
        println!("cargo:rerun-if-changed={p}");
    }
}

/// The short hash and commit date of HEAD, or the `KEYHOUND_BUILD_COMMIT`
/// override (for packagers building outside a checkout).
fn commit() -> Option<(String, String)> {
    if let Ok(forced) = std::env::var("KEYHOUND_BUILD_COMMIT") {
        let forced = forced.trim().to_string();
        return (!forced.is_empty()).then(|| (forced, "unknown date".to_string()));
    }
    let out = git(&["log", "-1", "--format=%h %cs", "--abbrev=12"])?;
    let (hash, date) = out.split_once(' ')?;
    Some((hash.to_string(), date.to_string()))
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}
