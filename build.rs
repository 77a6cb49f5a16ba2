//! Build script: stamps `keyhound --version` with the commit the binary was
//! built from, read from git; without git (a crate tarball, no git binary)
//! the version is the package version alone. Only this package's own
//! checkout counts: sources unpacked inside some other repository (a
//! vendored copy, a monorepo) would otherwise be stamped with that
//! repository's commit.
//!
//! It also turns the built-in rule files (`rules/*.toml`) into JSON, which
//! a run reads with serde_json: parsing the TOML at every start was a fifth
//! of a pre-commit scan's time. A rule file that is not TOML fails the
//! build here; the schema is checked where the JSON is read (every
//! built-in rule is loaded by the unit tests, and compared with its TOML).

use std::path::Path;
use std::process::Command;

fn main() {
    rules_json();
    let version = env!("CARGO_PKG_VERSION");
    let full = match commit() {
        Some((hash, date)) => format!("{version} (commit {hash} {date})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=KEYHOUND_VERSION={full}");
    println!("cargo:rerun-if-env-changed=KEYHOUND_BUILD_COMMIT");
    // Cargo counts a watched path that does not exist as changed, and
    // reruns this script (and recompiles the crate) on every build: watch
    // only what exists. A repository may have no packed-refs, or no loose
    // branch ref (after `git pack-refs`); a commit then creates the loose
    // ref unwatched, but it also appends to HEAD's reflog (logs/HEAD),
    // which moves with this worktree's HEAD only.
    // Without a reflog (core.logAllRefUpdates off) the branch's directory
    // is watched instead, at the cost of rebuilding on other branches'
    // commits.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    let reflog = git(&["rev-parse", "--git-path", "logs/HEAD"])
        .is_some_and(|p| std::path::Path::new(&p).exists());
    if reflog {
        watched.push("logs/HEAD".to_string());
    }
    if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if !reflog && let Some((dir, _)) = head_ref.rsplit_once('/') {
            watched.push(dir.to_string());
        }
        watched.push(head_ref);
    }
    for path in watched {
        if let Some(p) = git(&["rev-parse", "--git-path", &path])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}

/// The short hash and commit date of HEAD, or the `KEYHOUND_BUILD_COMMIT`
/// override (for packagers building outside a checkout).
fn commit() -> Option<(String, String)> {
    if let Ok(forced) = std::env::var("KEYHOUND_BUILD_COMMIT") {
        let forced = forced.trim().to_string();
        return (!forced.is_empty()).then(|| (forced, "unknown date".to_string()));
    }
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let here = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let same = |p: &std::ffi::OsStr| std::fs::canonicalize(p).ok();
    if same(top.as_ref()) != same(&here) || same(&here).is_none() {
        return None;
    }
    let out = git(&["log", "-1", "--format=%h %cs", "--abbrev=12"])?;
    let (hash, date) = out.split_once(' ')?;
    Some((hash.to_string(), date.to_string()))
}

fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Writes `OUT_DIR/NAME.json` for every `rules/NAME.toml` (the file's whole
/// table, as JSON) and `OUT_DIR/builtin_json.rs`, the list of
/// `(file name, JSON)` in file-name order that `rule::builtin` includes.
fn rules_json() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let (dir, out) = (Path::new(&manifest).join("rules"), Path::new(&out));
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ directory")
        .map(|e| {
            e.expect("rules/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut list = String::from("&[\n");
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("a readable rule file");
        let table: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("rules/{name} is not TOML: {e}"));
        let json = out.join(name.replace(".toml", ".json"));
        let text = serde_json::to_string(&table).expect("TOML values have a JSON form");
        std::fs::write(&json, text).expect("OUT_DIR is writable");
        list.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            json.display().to_string()
        ));
    }
    list.push_str("]\n");
    std::fs::write(out.join("builtin_json.rs"), list).expect("OUT_DIR is writable");
}
