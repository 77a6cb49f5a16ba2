//! What a push sends: git's pre-push hook input turned into the commits the
//! remote does not have yet.

use super::{Error, Rev, Selection};
use git2::Repository;

/// One line of pre-push input: `<local ref> <local sha> <remote ref> <remote sha>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushUpdate {
    /// The ref being pushed (`refs/heads/main`).
    pub local_ref: String,
    /// Its commit; all zeros when the push deletes the remote ref.
    pub local: String,
    /// The ref it updates on the remote.
    pub remote_ref: String,
    /// The remote's current commit; all zeros when the ref is new there.
    pub remote: String,
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

impl PushUpdate {
    /// The push deletes the remote ref: nothing to scan.
    pub fn is_delete(&self) -> bool {
        is_zero(&self.local)
    }

    /// The remote does not have this ref yet.
    pub fn is_new(&self) -> bool {
        is_zero(&self.remote)
    }
}

/// Parses pre-push hook input (blank lines ignored).
pub fn parse_pre_push(text: &str) -> Result<Vec<PushUpdate>, Error> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let sha =
            |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        if f.len() != 4 || !sha(f[1]) || !sha(f[3]) {
            return Err(Error::PrePushLine {
                line: crate::diagnostic::cut(line, 200),
            });
        }
        out.push(PushUpdate {
            local_ref: f[0].to_string(),
            local: f[1].to_string(),
            remote_ref: f[2].to_string(),
            remote: f[3].to_string(),
        });
    }
    Ok(out)
}

/// The commits a push sends: each pushed commit's history minus what the
/// remote already has. For a new remote ref (or a remote commit we do not
/// have locally) "what the remote has" is every remote-tracking ref. `None`
/// when the push only deletes refs.
pub fn push_selection(repo: &Repository, updates: &[PushUpdate]) -> Option<Selection> {
    let mut sel = Selection {
        include: Vec::new(),
        exclude: Vec::new(),
        since: None,
    };
    let remotes = Rev::Glob("refs/remotes/*".to_string());
    for u in updates.iter().filter(|u| !u.is_delete()) {
        sel.include.push(Rev::Spec(u.local.clone()));
        let known = !u.is_new()
            && git2::Oid::from_str(&u.remote)
                .ok()
                .is_some_and(|o| repo.find_commit(o).is_ok());
        let stop = if known {
            Rev::Spec(u.remote.clone())
        } else {
            remotes.clone()
        };
        if !sel.exclude.contains(&stop) {
            sel.exclude.push(stop);
        }
    }
    (!sel.include.is_empty()).then_some(sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_push_lines_parse() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let text =
            format!("refs/heads/x {a} refs/heads/x {z}\n\nrefs/heads/y {z} refs/heads/y {a}\n");
        let u = parse_pre_push(&text).unwrap();
        assert_eq!(u.len(), 2);
        assert!(u[0].is_new() && !u[0].is_delete());
        assert!(u[1].is_delete());
        assert!(parse_pre_push("refs/heads/x abc").is_err());
    }
}
