//! Git scans: history (every blob the selected commits introduced, read and
//! scanned once, with every commit and path that introduced it), commit
//! and annotated tag messages, and the staged change (matches on added
//! lines only).

use crate::engine::Engine;
use crate::finding::{self, Hit};
use crate::scan::progress::Progress;
use crate::scan::{ScanOutput, Stats, Unit};
use crate::source::archive;
use crate::source::git::{self as src, Selection};
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;

mod provenance;
mod read;
mod shared;
mod staged;
mod tags;
mod walk;

use provenance::{join_provenance, secrets_in_head};
use read::{Read, read_counted, read_worker};
use shared::{Losses, Shared, list_commits};
pub use staged::staged;
use walk::{BlobJob, WorkerOut, open_git, walk_worker};

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
    /// Read binary blobs for their printable strings; otherwise they are
    /// skipped (and counted).
    pub binary_strings: bool,
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
    let mut joined = join_provenance(&repo, &commits, &outs, blob_hits);
    joined.extend(tags::tag_messages(&repo, engine, &commits));
    let mut findings = finding::group(joined);
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
            // Bound memory: parsed objects share 16 MiB (the walk reads
            // commits and trees around this cache; blobs too), and packs are
            // mapped in 16 MiB windows, at most 64 MiB at a time (the
            // defaults map a whole pack and cache 256 MiB per process).
            // Mapped pack pages count in the peak RSS: 160 MiB of windows
            // put a git.git scan at 276 MiB, 64 MiB at 205 MiB. Blobs are
            // read in pack order, so small windows are mostly replaced
            // front to back.
            let _ = git2::opts::set_cache_max_size(16 << 20);
            let _ = git2::opts::set_mwindow_size(8 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
        }
    });
}
