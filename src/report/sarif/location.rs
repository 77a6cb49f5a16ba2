//! SARIF artifact locations: every path written relative to the scan's root
//! (`uriBaseId` `%SRCROOT%`, resolved by the run's `originalUriBaseIds`),
//! whatever directory keyhound ran from; paths outside the root become
//! absolute `file://` URIs.

use crate::report::ScanContext;
use crate::source::Provenance;
use serde_sarif::sarif;
use std::path::{Component, Path, PathBuf};

/// The base id every relative URI is written against.
pub const SRCROOT: &str = "%SRCROOT%";

/// The artifact name standard input is reported under (relative to the root).
pub const STDIN_NAME: &str = "stdin";

/// The directory commit messages are reported under: a commit's message
/// is the artifact `commit-message/<full sha>` (no such file exists in the
/// repository), lines and columns counting inside the message. Code
/// scanning takes only results with a file location; this one keeps every
/// message's alerts apart and names the commit in the path users see.
pub const COMMIT_MESSAGES: &str = "commit-message";

/// The directory annotated tag messages are reported under, as commit
/// messages are: `tag-message/<tag object id>`, lines and columns counting
/// inside the message.
pub const TAG_MESSAGES: &str = "tag-message";

/// Where a provenance's content lives, as an artifact location; a commit
/// message is [`COMMIT_MESSAGES`]`/<sha>`.
pub fn artifact(ctx: &ScanContext, prov: &Provenance) -> Option<sarif::ArtifactLocation> {
    match prov {
        Provenance::File { path } => Some(file(ctx, path)),
        Provenance::Git { path, .. } | Provenance::Staged { path } => Some(relative(path)),
        Provenance::Stdin => Some(relative(STDIN_NAME)),
        Provenance::CommitMessage { commit } => {
            Some(relative(&format!("{COMMIT_MESSAGES}/{}", commit.sha)))
        }
        Provenance::TagMessage { commit, .. } => {
            Some(relative(&format!("{TAG_MESSAGES}/{}", commit.sha)))
        }
    }
}

/// The path a provenance is reported under in SARIF (for fingerprints).
pub fn display_path(ctx: &ScanContext, prov: &Provenance) -> String {
    match artifact(ctx, prov) {
        Some(a) => a.uri.unwrap_or_default(),
        None => prov.path(),
    }
}

/// `originalUriBaseIds`: `%SRCROOT%` as an absolute directory URI.
pub fn base_ids(
    ctx: &ScanContext,
) -> Option<std::collections::BTreeMap<String, sarif::ArtifactLocation>> {
    if ctx.root.as_os_str().is_empty() {
        return None;
    }
    let mut root = file_uri(&ctx.root);
    if !root.ends_with('/') {
        root.push('/');
    }
    let loc = sarif::ArtifactLocation::builder().uri(root).build();
    Some([(SRCROOT.to_string(), loc)].into())
}

fn relative(path: &str) -> sarif::ArtifactLocation {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./");
    let mut loc = sarif::ArtifactLocation::builder().uri(encode(p)).build();
    loc.uri_base_id = Some(SRCROOT.to_string());
    loc
}

fn file(ctx: &ScanContext, path: &Path) -> sarif::ArtifactLocation {
    let abs = normalize(&ctx.cwd.join(path));
    let root = normalize(&ctx.root);
    match abs.strip_prefix(&root) {
        Ok(rel) if !ctx.root.as_os_str().is_empty() && abs.is_absolute() => {
            relative(&rel.to_string_lossy())
        }
        _ if abs.is_absolute() => sarif::ArtifactLocation::builder()
            .uri(file_uri(&abs))
            .build(),
        _ => relative(&path.to_string_lossy()),
    }
}

/// `.` and `..` resolved without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn file_uri(abs: &Path) -> String {
    let p = abs.to_string_lossy().replace('\\', "/");
    let p = if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    };
    format!("file://{}", encode(&p))
}

/// A path as a URI reference: forward slashes, everything but unreserved
/// characters and `/` percent-encoded.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(root: &str, cwd: &str) -> ScanContext {
        ScanContext {
            root: root.into(),
            cwd: cwd.into(),
            ..ScanContext::default()
        }
    }

    fn uri(ctx: &ScanContext, path: &str) -> (String, Option<String>) {
        let a = file(ctx, Path::new(path));
        (a.uri.unwrap(), a.uri_base_id)
    }

    #[test]
    fn file_paths_are_relative_to_the_root_whatever_the_cwd() {
        let base = Some(SRCROOT.to_string());
        let c = ctx("/repo", "/repo/sub");
        assert_eq!(uri(&c, ".env"), ("sub/.env".into(), base.clone()));
        assert_eq!(uri(&c, "./a b.py"), ("sub/a%20b.py".into(), base.clone()));
        assert_eq!(uri(&c, "../top.env"), ("top.env".into(), base.clone()));
        assert_eq!(uri(&c, "/repo/x/y.txt"), ("x/y.txt".into(), base));
        assert_eq!(uri(&c, "/tmp/x.env"), ("file:///tmp/x.env".into(), None));
        assert_eq!(uri(&c, "../../etc/h"), ("file:///etc/h".into(), None));
    }

    #[test]
    fn root_is_a_directory_uri() {
        let ids = base_ids(&ctx("/work/my repo", "/")).unwrap();
        assert_eq!(ids[SRCROOT].uri.as_deref(), Some("file:///work/my%20repo/"));
        assert!(base_ids(&ScanContext::default()).is_none());
    }
}
