//! Scanning many repositories in one run: each repository's history scanned
//! on its own (remote ones through the clone cache), several at a time
//! within one thread budget, a failed repository one error and the run going
//! on, and the results joined into one report naming every location's
//! repository.

use super::clone;
use super::list::RepoEntry;
use super::merge;
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::finding::Finding;
use crate::report::RepoSummary;
use crate::scan::Stats;
use crate::scan::git::{self as git_scan, HistoryPlan};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A resolved scan of many repositories.
#[derive(Clone, Debug)]
pub struct OrgPlan {
    /// The repositories, already deduplicated and sharded.
    pub repos: Vec<RepoEntry>,
    /// Where remote repositories are cloned.
    pub clone_dir: PathBuf,
    /// How each repository's history is scanned (its `repo` is replaced;
    /// `threads` is the budget of the whole run, 0 for one per core).
    pub history: HistoryPlan,
}

/// What a scan of many repositories found.
#[derive(Debug, Default)]
pub struct OrgOutput {
    /// Findings of every repository, one per credential, sorted.
    pub findings: Vec<Finding>,
    /// Counts over all repositories.
    pub stats: Stats,
    /// One summary per repository, sorted by name.
    pub repos: Vec<RepoSummary>,
    /// Warnings of every repository (prefixed with its name), and one
    /// error per repository that could not be scanned.
    pub diagnostics: Diagnostics,
}

/// Scans every repository of `plan`.
pub fn run(plan: &OrgPlan, engine: &Engine) -> OrgOutput {
    let budget = match plan.history.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, crate::source::MAX_THREADS);
    let workers = budget.min(plan.repos.len()).max(1);
    let per_repo = (budget / workers).max(1);
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, RepoSummary, Vec<Finding>)>> = Mutex::new(Vec::new());
    let diagnostics = Diagnostics::new();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(entry) = plan.repos.get(i) else {
                        break;
                    };
                    let (summary, findings) = scan_one(plan, entry, per_repo, engine, &diagnostics);
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, summary, findings));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _, _)| *i);
    let mut repos = Vec::with_capacity(done.len());
    let mut findings = Vec::new();
    for (_, summary, f) in done {
        repos.push(summary);
        findings.extend(f);
    }
    let findings = merge::combine(findings);
    let repos = merge::summarise(repos, &findings);
    OrgOutput {
        stats: merge::total(&repos),
        findings,
        repos,
        diagnostics,
    }
}

/// Scans one repository; a failure becomes its summary's `error` and one
/// error diagnostic.
fn scan_one(
    plan: &OrgPlan,
    entry: &RepoEntry,
    threads: usize,
    engine: &Engine,
    diags: &Diagnostics,
) -> (RepoSummary, Vec<Finding>) {
    let mut summary = RepoSummary {
        name: entry.name.clone(),
        url: entry.shown_url(),
        ..RepoSummary::default()
    };
    let path = if entry.is_remote() {
        match clone::sync(&plan.clone_dir, entry) {
            Ok((path, how)) => {
                tracing::info!(repo = %entry.name, ?how, "repository ready");
                path
            }
            Err(e) => return failed(summary, e.to_string(), diags),
        }
    } else {
        PathBuf::from(&entry.url)
    };
    let hp = HistoryPlan {
        repo: path,
        threads,
        progress: None,
        ..plan.history.clone()
    };
    let out = match git_scan::history(&hp, engine) {
        Ok(out) => out,
        Err(e) => return failed(summary, format!("cannot scan {}: {e}", entry.url), diags),
    };
    for d in out.scan.diagnostics.into_vec() {
        diags.push(d.severity, format_args!("{}: {}", entry.name, d.message));
    }
    let s = &out.scan.stats;
    summary.revision = out.repo.head;
    summary.branch = out.repo.branch;
    summary.scanned = s.scanned;
    summary.bytes = s.bytes;
    summary.skipped_binary = s.skipped_binary;
    summary.skipped_too_large = s.skipped_too_large;
    summary.unreadable = s.unreadable;
    summary.archives = s.archives;
    summary.archive_members = s.archive_members;
    let mut findings = out.scan.findings;
    for f in &mut findings {
        for m in &mut f.matches {
            m.repo = Some(entry.name.clone());
        }
    }
    (summary, findings)
}

fn failed(
    mut summary: RepoSummary,
    why: String,
    diags: &Diagnostics,
) -> (RepoSummary, Vec<Finding>) {
    diags.push_counted(
        crate::diagnostic::Severity::Error,
        crate::diagnostic::Class::UNREADABLE,
        1,
        format_args!("repository {}: {why}", summary.name),
    );
    summary.error = Some(why);
    (summary, Vec::new())
}
