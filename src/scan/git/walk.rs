//! Phase 1 of a history scan, one worker: diffs its chunk of commits
//! against their parents, notes where each blob was introduced, claims each
//! new blob id once and scans the commit messages.

use super::{CHUNK, Shared};
use crate::finding::Hit;
use crate::scan::BlobScanner;
use crate::source::git::{self as src, Differ, EntryKind};
use git2::{Oid, Repository};
use std::collections::HashMap;

/// What one walk worker noted: where blobs were introduced, the blobs it
/// claimed, the hits in commit messages.
#[derive(Default)]
pub(super) struct WorkerOut {
    /// (blob, commit index, path index): each place a blob was introduced.
    pub(super) intros: Vec<(Oid, u32, u32)>,
    pub(super) paths: Vec<Box<[u8]>>,
    path_ids: HashMap<Box<[u8]>, u32>,
    /// Blobs this worker claimed, with the path it first saw them at.
    pub(super) new_blobs: Vec<(Oid, u32)>,
    /// Hits per commit message (commit index).
    pub(super) message_hits: Vec<(u32, Vec<Hit>)>,
}

/// One blob to read in phase 2; its path is `outs[worker].paths[path]`.
pub(super) struct BlobJob {
    pub(super) id: Oid,
    pub(super) worker: u32,
    pub(super) path: u32,
}

impl WorkerOut {
    pub(super) fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(path.into());
        self.path_ids.insert(path.into(), id);
        id
    }
}

pub(super) fn open_git(git_dir: &std::path::Path) -> Result<Repository, src::Error> {
    Repository::open(git_dir).map_err(src::git_err("open the repository", git_dir))
}

pub(super) fn walk_worker(
    sh: &Shared<'_>,
    git_dir: &std::path::Path,
) -> Result<WorkerOut, src::Error> {
    let repo = open_git(git_dir)?;
    let mut differ =
        Differ::new(&repo, &sh.guard).map_err(src::git_err("open the object database", git_dir))?;
    let mut scanner = BlobScanner::new(sh.engine);
    let mut out = WorkerOut::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    while let Some(start) = sh.feed.take(&mut chunk) {
        for (ci, &id) in (start..).zip(&chunk) {
            if !sh.guard.readable(id) {
                continue;
            }
            let commit = match repo.find_commit(id) {
                Ok(c) => c,
                Err(e) => {
                    sh.unreadable(id, e);
                    continue;
                }
            };
            if sh.since.is_some_and(|s| commit.time().seconds() < s) {
                continue;
            }
            let found = scanner.scan(commit.message_raw_bytes(), None);
            if !found.is_empty() {
                out.message_hits.push((ci as u32, std::mem::take(found)));
            }
            let parents: Vec<Oid> = commit
                .parent_ids()
                .filter(|&p| sh.guard.readable(p))
                .filter_map(|p| repo.find_commit(p).ok())
                .map(|p| p.tree_id())
                .collect();
            differ.introduced(
                commit.tree_id(),
                &parents,
                &mut |e| match e.kind {
                    EntryKind::Gitlink => {
                        let path = String::from_utf8_lossy(e.path).into_owned();
                        sh.gitlinks
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(path);
                    }
                    EntryKind::Blob => {
                        let pid = out.intern(e.path);
                        out.intros.push((e.id, ci as u32, pid));
                        if sh.seen.insert(e.id) {
                            out.new_blobs.push((e.id, pid));
                        }
                    }
                },
                &mut |id, err| sh.unreadable(id, err),
            );
        }
        sh.progress.add(chunk.len() as u64, 0);
    }
    Ok(out)
}
