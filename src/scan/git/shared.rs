//! The state the workers of one history scan share: the commit feed the
//! revision walk fills, the set of blobs already claimed, the counters, and
//! the losses (unreadable objects) reported once each.

use super::{CHUNK, HistoryPlan, Read};
use crate::diagnostic::{Class, Diagnostics, Severity};
use crate::engine::Engine;
use crate::scan::ArchiveTally;
use crate::scan::progress::Progress;
use crate::source::git::{self as src, Selection};
use crate::source::{Counts, archive};
use git2::{Oid, Repository};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// The commits of a history scan, as the revision walk lists them; walk
/// workers take consecutive chunks while the listing goes on.
#[derive(Default)]
pub(super) struct CommitFeed {
    pub(super) state: Mutex<FeedState>,
    pub(super) more: std::sync::Condvar,
}

#[derive(Default)]
pub(super) struct FeedState {
    pub(super) ids: Vec<Oid>,
    pub(super) taken: usize,
    pub(super) done: bool,
}

impl CommitFeed {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn push(&self, batch: &[Oid]) {
        self.lock().ids.extend_from_slice(batch);
        self.more.notify_all();
    }

    pub(super) fn finish(&self) {
        self.lock().done = true;
        self.more.notify_all();
    }

    /// Copies the next chunk of commits into `chunk`, waiting for the walk to
    /// list them; the index of its first commit, or `None` once all are taken.
    pub(super) fn take(&self, chunk: &mut Vec<Oid>) -> Option<usize> {
        let mut st = self.lock();
        loop {
            let ready = st.ids.len() - st.taken;
            if ready >= CHUNK || (st.done && ready > 0) {
                let start = st.taken;
                let end = start + ready.min(CHUNK);
                chunk.clear();
                chunk.extend_from_slice(&st.ids[start..end]);
                st.taken = end;
                return Some(start);
            }
            if st.done {
                return None;
            }
            st = self.more.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Ends the feed when dropped, so workers stop waiting however the listing
/// ends.
pub(super) struct FinishFeed<'a>(&'a CommitFeed);

impl Drop for FinishFeed<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Lists the selected commits into the feed, a chunk at a time.
pub(super) fn list_commits(
    sel: &Selection,
    repo: &Repository,
    sh: &Shared<'_>,
) -> Result<(), src::Error> {
    let _finish = FinishFeed(&sh.feed);
    let mut batch = Vec::with_capacity(CHUNK);
    sel.each_commit_guarded(repo, &sh.guard, &mut |id| {
        batch.push(id);
        if batch.len() == CHUNK {
            sh.feed.push(&batch);
            batch.clear();
        }
    })?;
    sh.feed.push(&batch);
    Ok(())
}

/// Blob ids already claimed by a worker.
///
/// Blob ids are SHA-1 digests, so their first byte spreads them evenly over
/// 256 independently locked shards; two workers rarely wait on each other.
pub(super) struct SeenSet {
    pub(super) shards: Vec<Mutex<src::OidSet>>,
}

impl Default for SeenSet {
    fn default() -> SeenSet {
        SeenSet {
            shards: (0..256)
                .map(|_| Mutex::new(src::OidSet::default()))
                .collect(),
        }
    }
}

impl SeenSet {
    /// True the first time `id` is inserted.
    pub(super) fn insert(&self, id: Oid) -> bool {
        let shard = &self.shards[id.as_bytes()[0] as usize];
        shard.lock().unwrap_or_else(|p| p.into_inner()).insert(id)
    }
}

pub(super) struct Shared<'a> {
    pub(super) feed: CommitFeed,
    pub(super) seen: SeenSet,
    pub(super) counts: Counts,
    pub(super) archive: ArchiveTally,
    pub(super) since: Option<i64>,
    pub(super) max_blob_size: u64,
    pub(super) archives: Option<&'a archive::Limits>,
    pub(super) binary_strings: bool,
    pub(super) engine: &'a Engine,
    pub(super) losses: Losses,
    pub(super) gitlinks: Mutex<BTreeSet<String>>,
    pub(super) progress: std::sync::Arc<Progress>,
    pub(super) guard: src::Guard,
}

impl<'a> Shared<'a> {
    /// The state of a history scan of `repo`; warns about a shallow clone
    /// and damaged objects up front.
    pub(super) fn new(plan: &'a HistoryPlan, repo: &Repository, engine: &'a Engine) -> Shared<'a> {
        let losses = Losses {
            partial: src::is_partial_clone(repo),
            ..Losses::default()
        };
        if repo.is_shallow() {
            losses.diags.push_counted(
                Severity::Warning,
                Class::SHALLOW_CLONE,
                1,
                format_args!(
                    "{} is a shallow clone: history before its shallow boundary is missing, and \
                 the boundary commits are shown as introducing everything they contain",
                    plan.repo.display()
                ),
            );
        }
        let shared = Shared {
            feed: CommitFeed::default(),
            seen: SeenSet::default(),
            counts: Counts::default(),
            archive: ArchiveTally::default(),
            since: plan.selection.since,
            max_blob_size: plan.max_blob_size,
            archives: plan.archives.as_ref(),
            binary_strings: plan.binary_strings,
            engine,
            losses,
            gitlinks: Mutex::new(BTreeSet::new()),
            progress: plan.progress.clone().unwrap_or_default(),
            guard: src::Guard::check(repo.path(), plan.max_blob_size),
        };
        shared.report_damaged();
        shared.progress.start_commits();
        shared
    }

    /// How this scan reads blobs.
    pub(super) fn reading(&self) -> Read<'_> {
        Read {
            max: self.max_blob_size,
            archives: self.archives.is_some(),
            strings: self.binary_strings,
            guard: &self.guard,
            counts: &self.counts,
            losses: &self.losses,
        }
    }

    pub(super) fn unreadable(&self, id: Oid, err: git2::Error) {
        if self.guard.damage(id).is_some() {
            // Counted and reported once, by `report_damaged`.
            return;
        }
        Counts::add(&self.counts.unreadable, 1);
        self.losses.report(id, &err);
    }

    /// One line per corrupt loose object, before the walk starts.
    pub(super) fn report_damaged(&self) {
        for (id, reason) in self.guard.corrupt() {
            Counts::add(&self.counts.unreadable, 1);
            let err = git2::Error::from_str(&format!("loose object {reason}"));
            self.losses.report(id, &err);
        }
    }

    pub(super) fn report_notes(&self) {
        let diags = &self.losses.diags;
        let missing = self
            .losses
            .missing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(first) = missing.iter().min() {
            let n = missing.len() as u64;
            diags.push_counted(
                Severity::Warning,
                Class::PARTIAL_CLONE,
                n,
                format_args!(
                    "partial clone: {n} objects are only on the promisor remote and were not \
                     scanned (first: {first})"
                ),
            );
        }
        for path in self
            .gitlinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            diags.push_counted(Severity::Warning, Class::SUBMODULE, 1, format_args!(
                "skipped submodule {path}: its content lives in another repository; scan that one separately"
            ));
        }
        let lfs = self.counts.lfs.load(Ordering::Relaxed);
        if lfs > 0 {
            diags.push_counted(
                Severity::Warning,
                Class::LFS_POINTER,
                lfs,
                format_args!(
                    "skipped {lfs} git LFS pointer files: their content lives on the LFS server"
                ),
            );
        }
    }
}

/// Objects a git scan could not read, and what it tells the user about them.
#[derive(Default)]
pub(super) struct Losses {
    /// A partial clone: missing objects are expected and summed up once.
    pub(super) partial: bool,
    /// Objects missing from a partial clone.
    pub(super) missing: Mutex<Vec<Oid>>,
    pub(super) diags: Diagnostics,
}

impl Losses {
    pub(super) fn report(&self, id: Oid, err: &git2::Error) {
        if err.code() == git2::ErrorCode::NotFound && self.partial {
            self.missing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id);
        } else if err.code() == git2::ErrorCode::NotFound {
            self.diags.push_counted(
                Severity::Error,
                Class::UNREADABLE,
                1,
                format_args!("object {id} is missing from the repository; not scanned"),
            );
        } else {
            self.diags.push_counted(
                Severity::Error,
                Class::UNREADABLE,
                1,
                format_args!("cannot read object {id}: {}; not scanned", err.message()),
            );
        }
    }
}
