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
use read::{BlobWork, Read, pack_worker, read_counted, read_worker};
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
    /// The commits the walk started from (see [`Selection::tips`]): what a
    /// later scan may pass to [`history_since`]. Listed by
    /// [`history_since`] only.
    pub tips: Vec<String>,
    /// How an earlier scan's coverage was used, when one was given.
    pub resumed: Option<Resumed>,
}

/// How a scan given an earlier scan's coverage went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resumed {
    /// Only the commits made since were read.
    Since,
    /// The whole selection was read; why the earlier coverage could not be
    /// used (history rewritten, a commit gone, objects damaged).
    Whole(String),
}

/// Consecutive commits a worker takes at a time: neighbours share trees, so
/// this keeps each worker's object caches warm.
const CHUNK: usize = 64;

/// Scans the history `plan` selects, in three phases: walk the commits
/// (noting where each blob was introduced, scanning commit messages), read
/// and scan each new blob once, then join the blobs' hits with the commits
/// and paths that introduced them.
pub fn history(plan: &HistoryPlan, engine: &Engine) -> Result<GitOutput, src::Error> {
    scan_history(plan, engine, false, None)
}

/// [`history`], reading only the commits made since an earlier scan of the
/// same selection whose walk started from `earlier` (its
/// [`GitOutput::tips`]): those commits and their ancestors are left out.
/// Annotated tags are still read wherever they point. When a commit of
/// `earlier` is gone or no longer reachable (a force-push, a deleted
/// branch), the whole selection is read and [`GitOutput::resumed`] says
/// why.
pub fn history_since(
    plan: &HistoryPlan,
    engine: &Engine,
    earlier: Option<&[String]>,
) -> Result<GitOutput, src::Error> {
    scan_history(plan, engine, true, earlier)
}

/// [`history_since`]; the walk's starting commits are listed (every ref
/// peeled) only when `track` asks for them.
fn scan_history(
    plan: &HistoryPlan,
    engine: &Engine,
    track: bool,
    earlier: Option<&[String]>,
) -> Result<GitOutput, src::Error> {
    let repo = src::open(&plan.repo)?;
    tune_libgit2();
    let mut shared = Shared::new(plan, &repo, engine);
    let tips = if track && !shared.guard.affects_commits() {
        plan.selection.tips(&repo)?
    } else {
        Vec::new()
    };
    let mut selection = plan.selection.clone();
    let (resumed, old) = match earlier {
        None => (None, Vec::new()),
        Some(_) if shared.guard.affects_commits() => (
            Some(Resumed::Whole(
                "damaged objects: commits are listed without a revision walk".to_string(),
            )),
            Vec::new(),
        ),
        Some(earlier) => match covered(&repo, &tips, earlier) {
            Ok(old) => {
                selection
                    .exclude
                    .extend(old.iter().map(|id| src::Rev::Spec(id.to_string())));
                (Some(Resumed::Since), old)
            }
            Err(why) => (Some(Resumed::Whole(why)), Vec::new()),
        },
    };
    let threads = match plan.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, crate::source::MAX_THREADS);
    let git_dir = repo.path().to_path_buf();
    let started = std::time::Instant::now();
    let (commits, outs) = walk_commits(&selection, &repo, &shared, threads)?;
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
    joined.extend(tags::tag_messages(
        &repo,
        engine,
        &tagged_commits(&repo, &plan.selection, &commits, &old)?,
    ));
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
        tips: tips.iter().map(Oid::to_string).collect(),
        resumed,
    })
}

/// The commits of `earlier` when every one is still in the history `tips`
/// reach; otherwise why not.
fn covered(repo: &Repository, tips: &[Oid], earlier: &[String]) -> Result<Vec<Oid>, String> {
    if earlier.is_empty() {
        return Err("the earlier report records no commits for it".to_string());
    }
    let mut old = Vec::with_capacity(earlier.len());
    for hex in earlier {
        let id = Oid::from_str(hex)
            .ok()
            .filter(|id| repo.find_commit(*id).is_ok())
            .ok_or_else(|| {
                format!("commit {hex} of the earlier report is not in the repository")
            })?;
        if !src::still_reachable(repo, tips, id) {
            return Err(format!(
                "commit {hex} of the earlier report is no longer reachable (history rewritten \
                 or a branch deleted)"
            ));
        }
        old.push(id);
    }
    Ok(old)
}

/// The commits whose annotated tags are read: those walked, and when an
/// earlier scan's commits were left out, those too (a tag made since may
/// point at an old commit).
fn tagged_commits(
    repo: &Repository,
    selection: &Selection,
    walked: &[Oid],
    old: &[Oid],
) -> Result<Vec<Oid>, src::Error> {
    let annotated = repo.references_glob("refs/tags/*").is_ok_and(|mut refs| {
        refs.any(|r| {
            r.ok()
                .and_then(|r| r.target())
                .is_some_and(|id| repo.find_tag(id).is_ok())
        })
    });
    if old.is_empty() || !annotated {
        return Ok(walked.to_vec());
    }
    let before = Selection {
        include: old
            .iter()
            .map(|id| src::Rev::Spec(id.to_string()))
            .collect(),
        ..selection.clone()
    };
    let mut all = walked.to_vec();
    all.extend(before.commits(repo)?);
    Ok(all)
}

/// Sets each finding's `in_head`: whether HEAD's tree holds, at one of the
/// finding's git locations, the blob that location's commit has there. For
/// findings carried from an earlier scan, whose blobs this one did not read.
pub fn mark_in_head(
    repo: &std::path::Path,
    findings: &mut [finding::Finding],
) -> Result<(), src::Error> {
    let repo = src::open(repo)?;
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    for f in findings {
        let in_head = head.as_ref().is_some_and(|head| {
            f.matches.iter().any(|m| {
                let crate::source::Provenance::Git { commit, path } = &m.provenance else {
                    return false;
                };
                let path = m
                    .member
                    .as_deref()
                    .and_then(|mem| path.strip_suffix(mem)?.strip_suffix('!'))
                    .unwrap_or(path);
                let at_head = head.get_path(std::path::Path::new(path)).map(|e| e.id());
                let then = Oid::from_str(&commit.sha)
                    .and_then(|id| repo.find_commit(id))
                    .and_then(|c| c.tree())
                    .and_then(|t| t.get_path(std::path::Path::new(path)).map(|e| e.id()));
                matches!((at_head, then), (Ok(a), Ok(b)) if a == b)
            })
        });
        f.in_head = Some(in_head);
    }
    Ok(())
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
    let packs = src::PackObjects::load(git_dir);
    let (listed, outs) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| walk_worker(shared, git_dir, &packs)))
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

/// Phase 2: reads and scans each blob claimed in phase 1 once: those in
/// pack files straight from the packs, each delta forest from its base
/// down, the rest through libgit2; the hits of every blob that has any.
fn scan_blobs(
    shared: &Shared<'_>,
    git_dir: &std::path::Path,
    outs: &[WorkerOut],
    threads: usize,
) -> Result<HashMap<Oid, Vec<Hit>>, src::Error> {
    let jobs: Vec<BlobJob> = outs
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
    shared.progress.start_blobs(jobs.len() as u64);
    let ids: Vec<Oid> = jobs.iter().map(|j| j.id).collect();
    // Loose objects the guard stopped are read (and refused) as before.
    let (packs, rest) =
        src::PackBlobs::plan(git_dir, &ids, &|id| shared.guard.damage(id).is_none());
    drop(ids);
    let mut work = BlobWork {
        jobs: &jobs,
        outs,
        packs: &packs,
        next_forest: AtomicUsize::new(0),
        rest,
        next_rest: AtomicUsize::new(0),
    };
    let mut found: Vec<(Oid, Vec<Hit>)> = Vec::new();
    let from_packs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| pack_worker(shared, &work)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("blob worker panicked"))
            .collect()
    });
    for (hits, rest) in from_packs {
        found.extend(hits);
        work.rest.extend(rest);
    }
    if !work.rest.is_empty() {
        let rest: Vec<Vec<(Oid, Vec<Hit>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| s.spawn(|| read_worker(shared, git_dir, &work)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("blob worker panicked"))
                .collect::<Result<_, _>>()
        })?;
        found.extend(rest.into_iter().flatten());
    }
    Ok(found.into_iter().collect())
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
            // Bound memory: parsed objects share 4 MiB (packed commits,
            // trees and blobs are read around libgit2; the revision walk
            // reads each commit once), and packs are mapped in 8 MiB
            // windows, at most 32 MiB at a time (the defaults map a whole
            // pack and cache 256 MiB per process). Mapped pack pages count
            // in the peak RSS: 160 MiB of windows put a git.git scan at
            // 276 MiB, 64 MiB at 205 MiB.
            let _ = git2::opts::set_cache_max_size(4 << 20);
            let _ = git2::opts::set_mwindow_size(8 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
        }
    });
}
