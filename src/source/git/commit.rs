//! A commit's tree, parents, committer time and raw message, read straight
//! from the commit object's bytes.
//!
//! PERF: a history walk needs nothing else of a commit, and libgit2's
//! `git_commit` parses signatures and the message into allocations and
//! keeps every commit in its object cache; the walk read each commit that
//! way and each of its parents again only for their tree ids.

use git2::Oid;
use std::ops::Range;

/// The parts of a commit object a history walk uses.
#[derive(Debug, PartialEq, Eq)]
pub struct RawCommit {
    /// Its tree.
    pub tree: Oid,
    /// Its parents, in order.
    pub parents: Vec<Oid>,
    /// Committer time, seconds since the epoch (0 when unreadable).
    pub time: i64,
    /// Where the raw message (everything after the header) is in the bytes.
    pub message: Range<usize>,
}

/// Parses a commit object's bytes; `None` when the `tree` line is missing
/// or malformed.
pub fn parse(data: &[u8]) -> Option<RawCommit> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    let mut at = 0;
    let message;
    loop {
        let Some(nl) = memchr::memchr(b'\n', &data[at..]) else {
            message = data.len()..data.len();
            break;
        };
        let line = &data[at..at + nl];
        at += nl + 1;
        if line.is_empty() {
            message = at..data.len();
            break;
        }
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = Some(oid(hex)?);
        } else if let Some(hex) = line.strip_prefix(b"parent ") {
            parents.push(oid(hex)?);
        } else if let Some(sig) = line.strip_prefix(b"committer ") {
            time = signature_time(sig).unwrap_or(0);
        }
    }
    Some(RawCommit {
        tree: tree?,
        parents,
        time,
        message,
    })
}

fn oid(hex: &[u8]) -> Option<Oid> {
    if hex.len() != 40 {
        return None;
    }
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

/// The seconds of `Name <email> 1700000000 +0100`: the number after the
/// last `>`.
fn signature_time(sig: &[u8]) -> Option<i64> {
    let after = &sig[memchr::memrchr(b'>', sig)? + 1..];
    let digits = after.trim_ascii_start();
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_message_are_read_like_libgit2() {
        let repo_dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(repo_dir.path()).unwrap();
        let sig = git2::Signature::new("A B", "a@b", &git2::Time::new(1_700_000_123, 60)).unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let first = repo
            .commit(None, &sig, &sig, "first\n\nbody", &tree, &[])
            .unwrap();
        let first = repo.find_commit(first).unwrap();
        let second = repo
            .commit(None, &sig, &sig, "second\n", &tree, &[&first])
            .unwrap();
        let merge = repo
            .commit(
                None,
                &sig,
                &sig,
                "merge",
                &tree,
                &[&repo.find_commit(second).unwrap(), &first],
            )
            .unwrap();
        let odb = repo.odb().unwrap();
        for id in [first.id(), second, merge] {
            let c = repo.find_commit(id).unwrap();
            let obj = odb.read(id).unwrap();
            let raw = parse(obj.data()).unwrap();
            assert_eq!(raw.tree, c.tree_id());
            assert_eq!(raw.parents, c.parent_ids().collect::<Vec<_>>());
            assert_eq!(raw.time, c.time().seconds());
            assert_eq!(&obj.data()[raw.message], c.message_raw_bytes());
        }
    }

    #[test]
    fn malformed_commits_are_refused() {
        assert_eq!(parse(b"author x\n\nmsg"), None, "no tree");
        assert_eq!(parse(b"tree 12\n\nmsg"), None, "short id");
        let raw = b"tree 0123456789012345678901234567890123456789\ncommitter a <b> x\n";
        let ok = parse(raw).unwrap();
        assert_eq!(
            (ok.time, ok.message),
            (0, raw.len()..raw.len()),
            "no message"
        );
    }
}
