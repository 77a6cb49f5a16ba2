//! Git scans: history (every reachable blob once, with the commits that
//! introduced it), revision ranges, staged changes and commit messages.
//! Owned by the git-history work (issue 3).
