//! Git scans: history (every blob the selected commits introduced, read and
//! scanned once, with every commit and path that introduced it), commit
//! messages, and the staged change (matches on added lines only).

use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::finding::{self, Hit};
use crate::scan::progress::Progress;
use crate::scan::{ArchiveTally, BlobScanner, ScanOutput, Stats, Unit};
use crate::source::git::{self as src, Differ, EntryKind, ReadOutcome, Selection};
use crate::source::text;
use crate::source::{Counts, archive};
use git2::{Oid, Repository};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

mod provenance;
mod staged;

use provenance::{join_provenance, secrets_in_head};
pub use staged::staged;

/// A resolved history scan.
#[derive(Clone, Debug)]
pub struct HistoryPlan {
    /// The repository (work tree, `.git` dir or bare repository).
    pub repo: PathBuf,
    /// Which commits.
    pub selection: Selection,
    /// Blobs larger than this many bytes are skipped (and counted).
    pub max_blob_size: u64,
    /// Open archive blobs within these limits; `None` skips them as binary.
    pub archives: Option<archive::Limits>,
    /// Worker threads; 0 picks the number of cores.
    pub threads: usize,
    /// Counters to add commits and blobs to, for a progress display.
    pub progress: Option<std::sync::Arc<Progress>>,
}

/// What a git scan found, plus the repository's identity for reports.
#[derive(Debug, Default)]
pub struct GitOutput {
    /// Findings and counts.
    pub scan: ScanOutput,
    /// Remote, HEAD, branch.
    pub repo: src::RepoInfo,
}

/// Consecutive commits a worker takes at a time: neighbours share trees, so
/// this keeps each worker's object caches warm.
const CHUNK: usize = 64;

/// Scans the history `plan` selects, in three phases: walk the commits
/// (noting where each blob was introduced, scanning commit messages), read
/// and scan each new blob once, then join the blobs' hits with the commits
/// and paths that introduced them.
pub fn history(plan: &HistoryPlan, engine: &Engine) -> Result<GitOutput, src::Error> {
    let repo = src::open(&plan.repo)?;
    tune_libgit2();
    let mut shared = Shared::new(plan, &repo, engine);
    let threads = match plan.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, crate::source::MAX_THREADS);
    let git_dir = repo.path().to_path_buf();
    let started = std::time::Instant::now();
    let (commits, outs) = walk_commits(&plan.selection, &repo, &shared, threads)?;
    tracing::debug!(elapsed = ?started.elapsed(), "history walk done");
    let blob_hits = scan_blobs(&shared, &git_dir, &outs, threads)?;
    tracing::debug!(
        commits = commits.len(),
        introductions = outs.iter().map(|o| o.intros.len()).sum::<usize>(),
        blobs = blob_hits.len(),
        elapsed = ?started.elapsed(),
        "blobs scanned"
    );
    shared.report_notes();
    let in_head = secrets_in_head(&repo, &shared.guard, &blob_hits);
    let mut findings = finding::group(join_provenance(&repo, &commits, &outs, blob_hits));
    for f in &mut findings {
        f.in_head = Some(in_head.contains(&(f.rule.clone(), f.secret.clone(), f.key.clone())));
    }
    let diagnostics = std::mem::take(&mut shared.losses.diags);
    let mut stats = Stats::of(&shared.counts, Unit::Blob);
    std::mem::take(&mut shared.archive).finish(&mut stats, &diagnostics);
    Ok(GitOutput {
        scan: ScanOutput {
            findings,
            stats,
            diagnostics,
        },
        repo: src::repo_info(&repo, &shared.guard),
    })
}

/// Phase 1: lists the selected commits and, in `threads` workers started
/// while the listing goes on, notes where each blob was introduced, scans
/// commit messages and claims each new blob id once. Returns the commits in
/// walk order and each worker's notes.
fn walk_commits(
    selection: &Selection,
    repo: &Repository,
    shared: &Shared<'_>,
    threads: usize,
) -> Result<(Vec<Oid>, Vec<WorkerOut>), src::Error> {
    let git_dir = repo.path();
    let (listed, outs) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| walk_worker(shared, git_dir)))
            .collect();
        let listed = list_commits(selection, repo, shared);
        let outs = handles
            .into_iter()
            .map(|h| h.join().expect("history worker panicked"))
            .collect::<Result<Vec<WorkerOut>, _>>();
        (listed, outs)
    });
    listed?;
    let outs = outs?;
    let commits = std::mem::take(&mut shared.feed.lock().ids);
    Ok((commits, outs))
}

/// Phase 2: reads and scans each blob claimed in phase 1 once, in pack
/// order; the hits of every blob that has any.
fn scan_blobs(
    shared: &Shared<'_>,
    git_dir: &std::path::Path,
    outs: &[WorkerOut],
    threads: usize,
) -> Result<HashMap<Oid, Vec<Hit>>, src::Error> {
    let order = src::PackOrder::load(git_dir);
    let mut jobs: Vec<BlobJob> = outs
        .iter()
        .enumerate()
        .flat_map(|(w, o)| {
            o.new_blobs.iter().map(move |&(id, path)| BlobJob {
                id,
                worker: w as u32,
                path,
            })
        })
        .collect();
    jobs.sort_by_cached_key(|j| order.key(j.id));
    drop(order);
    shared.progress.start_blobs(jobs.len() as u64);
    let next = AtomicUsize::new(0);
    let found: Vec<Vec<(Oid, Vec<Hit>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| read_worker(shared, git_dir, &jobs, &next, outs)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("blob worker panicked"))
            .collect::<Result<_, _>>()
    })?;
    Ok(found.into_iter().flatten().collect())
}

// --- shared state of one history scan -------------------------------------

/// The commits of a history scan, as the revision walk lists them; walk
/// workers take consecutive chunks while the listing goes on.
#[derive(Default)]
struct CommitFeed {
    state: Mutex<FeedState>,
    more: std::sync::Condvar,
}

#[derive(Default)]
struct FeedState {
    ids: Vec<Oid>,
    taken: usize,
    done: bool,
}

impl CommitFeed {
    fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, batch: &[Oid]) {
        self.lock().ids.extend_from_slice(batch);
        self.more.notify_all();
    }

    fn finish(&self) {
        self.lock().done = true;
        self.more.notify_all();
    }

    /// Copies the next chunk of commits into `chunk`, waiting for the walk to
    /// list them; the index of its first commit, or `None` once all are taken.
    fn take(&self, chunk: &mut Vec<Oid>) -> Option<usize> {
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
struct FinishFeed<'a>(&'a CommitFeed);

impl Drop for FinishFeed<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Lists the selected commits into the feed, a chunk at a time.
fn list_commits(sel: &Selection, repo: &Repository, sh: &Shared<'_>) -> Result<(), src::Error> {
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
struct SeenSet {
    shards: Vec<Mutex<src::OidSet>>,
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
    fn insert(&self, id: Oid) -> bool {
        let shard = &self.shards[id.as_bytes()[0] as usize];
        shard.lock().unwrap_or_else(|p| p.into_inner()).insert(id)
    }
}

struct Shared<'a> {
    feed: CommitFeed,
    seen: SeenSet,
    counts: Counts,
    archive: ArchiveTally,
    since: Option<i64>,
    max_blob_size: u64,
    archives: Option<&'a archive::Limits>,
    engine: &'a Engine,
    losses: Losses,
    gitlinks: Mutex<BTreeSet<String>>,
    progress: std::sync::Arc<Progress>,
    guard: src::Guard,
}

impl<'a> Shared<'a> {
    /// The state of a history scan of `repo`; warns about a shallow clone
    /// and damaged objects up front.
    fn new(plan: &'a HistoryPlan, repo: &Repository, engine: &'a Engine) -> Shared<'a> {
        let losses = Losses {
            partial: src::is_partial_clone(repo),
            ..Losses::default()
        };
        if repo.is_shallow() {
            losses.diags.warn(format_args!(
                "{} is a shallow clone: history before its shallow boundary is missing, and \
                 the boundary commits are shown as introducing everything they contain",
                plan.repo.display()
            ));
        }
        let shared = Shared {
            feed: CommitFeed::default(),
            seen: SeenSet::default(),
            counts: Counts::default(),
            archive: ArchiveTally::default(),
            since: plan.selection.since,
            max_blob_size: plan.max_blob_size,
            archives: plan.archives.as_ref(),
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

    fn unreadable(&self, id: Oid, err: git2::Error) {
        if self.guard.damage(id).is_some() {
            // Counted and reported once, by `report_damaged`.
            return;
        }
        Counts::add(&self.counts.unreadable, 1);
        self.losses.report(id, &err);
    }

    /// One line per corrupt loose object, before the walk starts.
    fn report_damaged(&self) {
        for (id, reason) in self.guard.corrupt() {
            Counts::add(&self.counts.unreadable, 1);
            let err = git2::Error::from_str(&format!("loose object {reason}"));
            self.losses.report(id, &err);
        }
    }

    fn report_notes(&self) {
        let diags = &self.losses.diags;
        let missing = self
            .losses
            .missing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(first) = missing.first() {
            diags.warn(format_args!(
                "partial clone: {} objects are only on the promisor remote and were not \
                 scanned (first: {first})",
                missing.len()
            ));
        }
        for path in self
            .gitlinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            diags.warn(format_args!(
                "skipped submodule {path}: its content lives in another repository; scan that one separately"
            ));
        }
        let lfs = self.counts.lfs.load(Ordering::Relaxed);
        if lfs > 0 {
            diags.warn(format_args!(
                "skipped {lfs} git LFS pointer files: their content lives on the LFS server"
            ));
        }
    }
}

/// Objects a git scan could not read, and what it tells the user about them.
#[derive(Default)]
struct Losses {
    /// A partial clone: missing objects are expected and summed up once.
    partial: bool,
    /// Objects missing from a partial clone.
    missing: Mutex<Vec<Oid>>,
    diags: Diagnostics,
}

impl Losses {
    fn report(&self, id: Oid, err: &git2::Error) {
        if err.code() == git2::ErrorCode::NotFound && self.partial {
            self.missing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id);
        } else if err.code() == git2::ErrorCode::NotFound {
            self.diags.error(format_args!(
                "object {id} is missing from the repository; not scanned"
            ));
        } else {
            self.diags.error(format_args!(
                "cannot read object {id}: {}; not scanned",
                err.message()
            ));
        }
    }
}

/// Sets libgit2's process-wide caches for a history walk.
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // PERF: libgit2 re-hashes every object it reads (collision-detecting
        // SHA-1, a third of a history scan's CPU). We only read, and a
        // corrupt object still fails to inflate or parse.
        git2::opts::strict_hash_verification(false);
        // SAFETY: these only set libgit2's global options; they run once,
        // before any repository handle of this scan reads objects.
        unsafe {
            // Bound memory: parsed objects share 16 MiB (trees and blobs are
            // read around this cache, so it holds commits; 32 MiB bought no
            // speed and ~15 MB of peak RSS on git.git), and packs are mapped
            // in 32 MiB windows, at most 160 MiB at a time (the defaults map
            // a whole pack and cache 256 MiB per process). PERF: at 128 MiB
            // git.git's 300 MB pack kept remapping windows (0.7 s more system
            // time); 160 MiB stops that.
            let _ = git2::opts::set_cache_max_size(16 << 20);
            let _ = git2::opts::set_mwindow_size(32 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(160 << 20);
        }
    });
}

// --- one worker ------------------------------------------------------------

#[derive(Default)]
pub(super) struct WorkerOut {
    /// (blob, commit index, path index): each place a blob was introduced.
    pub(super) intros: Vec<(Oid, u32, u32)>,
    pub(super) paths: Vec<Box<[u8]>>,
    path_ids: HashMap<Box<[u8]>, u32>,
    /// Blobs this worker claimed, with the path it first saw them at.
    new_blobs: Vec<(Oid, u32)>,
    /// Hits per commit message (commit index).
    pub(super) message_hits: Vec<(u32, Vec<Hit>)>,
}

/// One blob to read in phase 2; its path is `outs[worker].paths[path]`.
struct BlobJob {
    id: Oid,
    worker: u32,
    path: u32,
}

impl WorkerOut {
    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(path.into());
        self.path_ids.insert(path.into(), id);
        id
    }
}

fn open_git(git_dir: &std::path::Path) -> Result<Repository, src::Error> {
    Repository::open(git_dir).map_err(src::git_err("open the repository", git_dir))
}

fn walk_worker(sh: &Shared<'_>, git_dir: &std::path::Path) -> Result<WorkerOut, src::Error> {
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

/// Block of consecutive jobs (in pack order) a blob worker takes at a time.
const BLOB_CHUNK: usize = 256;

fn read_worker(
    sh: &Shared<'_>,
    git_dir: &std::path::Path,
    jobs: &[BlobJob],
    next: &AtomicUsize,
    outs: &[WorkerOut],
) -> Result<Vec<(Oid, Vec<Hit>)>, src::Error> {
    let repo = open_git(git_dir)?;
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", git_dir))?;
    let mut scanner = BlobScanner::new(sh.engine);
    let mut hits = Vec::new();
    loop {
        let start = next.fetch_add(BLOB_CHUNK, Ordering::Relaxed);
        if start >= jobs.len() {
            return Ok(hits);
        }
        let end = (start + BLOB_CHUNK).min(jobs.len());
        let mut bytes = 0u64;
        for job in &jobs[start..end] {
            if matches!(sh.guard.damage(job.id), Some(src::Damage::Corrupt { .. })) {
                continue;
            }
            let raw_path = &outs[job.worker as usize].paths[job.path as usize];
            let read = Read {
                max: sh.max_blob_size,
                archives: sh.archives.is_some(),
                guard: &sh.guard,
                counts: &sh.counts,
                losses: &sh.losses,
            };
            let Some((obj, format)) = read_counted(&odb, job.id, raw_path, &read) else {
                continue;
            };
            bytes += obj.data().len() as u64;
            let path = String::from_utf8_lossy(raw_path);
            if let (Some(format), Some(limits)) = (format, sh.archives) {
                let mut found = Vec::new();
                let exp = scanner.scan_archive(format, &path, obj.data(), limits, &mut found);
                sh.archive.add(exp);
                if !found.is_empty() {
                    hits.push((job.id, found));
                }
                continue;
            }
            let found = scanner.scan(obj.data(), Some(&path));
            if !found.is_empty() {
                hits.push((job.id, std::mem::take(found)));
            }
        }
        sh.progress.add((end - start) as u64, bytes);
    }
}

/// How to read blobs, and where to count and report what is skipped.
struct Read<'a> {
    max: u64,
    /// Let archives through (with their format) rather than skip them as binary.
    archives: bool,
    guard: &'a src::Guard,
    counts: &'a Counts,
    losses: &'a Losses,
}

/// Reads the blob `id` (at `path`) for scanning, counting what is skipped
/// and why, with its archive format when it is one. `None`: skip it.
fn read_counted<'o>(
    odb: &'o git2::Odb<'o>,
    id: Oid,
    path: &[u8],
    r: &Read<'_>,
) -> Option<(Blob<'o>, Option<archive::Format>)> {
    let (counts, losses) = (r.counts, r.losses);
    let obj = match src::read_blob(odb, id, r.max, r.guard) {
        ReadOutcome::Data(obj) => obj,
        ReadOutcome::TooLarge(_) => {
            Counts::add(&counts.too_large, 1);
            return None;
        }
        ReadOutcome::Missing => {
            Counts::add(&counts.unreadable, 1);
            let err = git2::Error::new(git2::ErrorCode::NotFound, git2::ErrorClass::Odb, "missing");
            losses.report(id, &err);
            return None;
        }
        ReadOutcome::Failed(err) => {
            Counts::add(&counts.unreadable, 1);
            losses.report(id, &err);
            return None;
        }
    };
    let bytes = obj.data();
    if src::is_lfs_pointer(bytes) {
        Counts::add(&counts.lfs, 1);
        return None;
    }
    let format = if r.archives {
        archive::detect(path, bytes)
    } else {
        None
    };
    let transcoded = format.is_none().then(|| text::utf16(bytes)).flatten();
    if format.is_none() && transcoded.is_none() && text::is_binary(bytes) {
        Counts::add(&counts.binary, 1);
        return None;
    }
    let blob = match transcoded {
        Some(s) => Blob::Text(s),
        None => Blob::Object(obj),
    };
    Counts::add(&counts.scanned, 1);
    Counts::add(&counts.bytes, blob.data().len() as u64);
    Some((blob, format))
}

/// A blob's content to scan: as stored, or UTF-16 transcoded to UTF-8.
enum Blob<'o> {
    Object(git2::OdbObject<'o>),
    Text(String),
}

impl Blob<'_> {
    fn data(&self) -> &[u8] {
        match self {
            Blob::Object(o) => o.data(),
            Blob::Text(s) => s.as_bytes(),
        }
    }
}
