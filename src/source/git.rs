//! Git sources: every blob reachable from refs or a range, commit messages,
//! and the staged change of a commit. Owned by the git-history work (issue 3).
