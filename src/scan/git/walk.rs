//! Phase 1 of a history scan, one worker: diffs its chunk of commits
//! against their parents, notes where each blob was introduced, claims each
//! new blob id once and scans the commit messages.

use super::{CHUNK, Shared};
use crate::finding::Hit;
use crate::scan::BlobScanner;
use crate::source::git::{self as src, Differ, EntryKind};
use crate::source::git::{OidMap, RawCommit};
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::rc::Rc;

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
    packs: &src::PackObjects,
) -> Result<WorkerOut, src::Error> {
    let repo = open_git(git_dir)?;
    let mut differ = Differ::new(&repo, &sh.guard)
        .map_err(src::git_err("open the object database", git_dir))?
        .with_packs(src::ObjectReader::new(packs));
    let mut reader = src::ObjectReader::new(packs);
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", git_dir))?;
    let mut scanner = BlobScanner::new(sh.engine);
    let mut out = WorkerOut::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut commits: Vec<Option<(Rc<Vec<u8>>, RawCommit)>> = Vec::with_capacity(CHUNK);
    let mut trees: OidMap<Oid> = OidMap::default();
    let mut parents = Vec::new();
    while let Some(start) = sh.feed.take(&mut chunk) {
        // Each commit of the chunk is read and parsed once; its parents are
        // mostly in the same chunk, so their trees come from this map.
        commits.clear();
        trees.clear();
        for &id in &chunk {
            let read = sh
                .guard
                .readable(id)
                .then(|| read_commit(&odb, &mut reader, id));
            match read {
                None => commits.push(None),
                Some(Ok((obj, c))) => {
                    trees.insert(id, c.tree);
                    commits.push(Some((obj, c)));
                }
                Some(Err(e)) => {
                    sh.unreadable(id, e);
                    commits.push(None);
                }
            }
        }
        for (ci, commit) in (start..).zip(&commits) {
            let Some((obj, commit)) = commit else {
                continue;
            };
            if sh.since.is_some_and(|s| commit.time < s) {
                continue;
            }
            let found = scanner.scan(&obj[commit.message.clone()], None);
            if !found.is_empty() {
                out.message_hits.push((ci as u32, std::mem::take(found)));
            }
            parents.clear();
            for &p in commit.parents.iter().filter(|&&p| sh.guard.readable(p)) {
                let tree = match trees.get(&p) {
                    Some(&t) => Some(t),
                    None => read_commit(&odb, &mut reader, p).ok().map(|(_, c)| c.tree),
                };
                parents.extend(tree);
            }
            differ.introduced(
                commit.tree,
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

/// Reads (from the packs, else through libgit2) and parses commit `id`.
fn read_commit(
    odb: &git2::Odb<'_>,
    reader: &mut src::ObjectReader<'_>,
    id: Oid,
) -> Result<(Rc<Vec<u8>>, RawCommit), git2::Error> {
    let data = match reader.commit(id) {
        Some(data) => data,
        None => {
            let obj = odb.read(id)?;
            if obj.kind() != git2::ObjectType::Commit {
                return Err(git2::Error::from_str("not a commit"));
            }
            Rc::new(obj.data().to_vec())
        }
    };
    let commit =
        src::parse_commit(&data).ok_or_else(|| git2::Error::from_str("malformed commit object"))?;
    Ok((data, commit))
}
