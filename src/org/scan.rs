//! Scanning many repositories in one run: each repository's history scanned
//! on its own (remote ones through the clone cache), several at a time
//! within one thread budget, a failed repository one error and the run going
//! on, and the results joined into one report naming every location's
//! repository. Given an earlier report of the same scan, each repository
//! whose coverage it records is read only from the commits made since,
//! its earlier findings carried over.

use super::clone;
use super::list::RepoEntry;
use super::merge;
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::finding::Finding;
use crate::report::{Coverage, RepoSummary};
use crate::scan::Stats;
use crate::scan::git::{self as git_scan, HistoryPlan, Resumed};
use std::collections::BTreeMap;
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

/// An earlier report of the same scan, for a scan that reads only what
/// changed since.
#[derive(Debug, Default)]
pub struct Earlier {
    /// Per repository name, what its scan covered; a repository missing
    /// here is read whole.
    pub covered: BTreeMap<String, Coverage>,
    /// Per repository name, why its coverage cannot be used (a finding
    /// whose values could not be recovered): read whole.
    pub unusable: BTreeMap<String, String>,
    /// The earlier findings with their values, by repository name: each
    /// with only its locations in that repository.
    pub findings: BTreeMap<String, Vec<Finding>>,
}

impl Earlier {
    /// Adds an earlier finding under every repository it has locations in.
    pub fn add(&mut self, f: Finding) {
        let mut names: Vec<&str> = f.matches.iter().filter_map(|m| m.repo.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let mut here = Finding {
                verification: None,
                response: None,
                matches: Vec::new(),
                ..f.clone()
            };
            here.matches = f
                .matches
                .iter()
                .filter(|m| m.repo.as_deref() == Some(name))
                .cloned()
                .collect();
            self.findings
                .entry(name.to_string())
                .or_default()
                .push(here);
        }
    }
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

/// Scans every repository of `plan`; with `earlier`, only what changed
/// since in each repository it covered (the result is what a full scan
/// finds: earlier findings carried, their `in_head` read again).
pub fn run(plan: &OrgPlan, engine: &Engine, earlier: Option<&Earlier>) -> OrgOutput {
    let scope = scope(&plan.history, engine);
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
                    let job = Job {
                        plan,
                        entry,
                        threads: per_repo,
                        engine,
                        earlier,
                        scope: &scope,
                    };
                    let (summary, findings) = scan_one(&job, &diagnostics);
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

/// One repository's scan and what it needs.
struct Job<'a> {
    plan: &'a OrgPlan,
    entry: &'a RepoEntry,
    threads: usize,
    engine: &'a Engine,
    earlier: Option<&'a Earlier>,
    scope: &'a str,
}

/// A digest of everything besides the commits that decides what a
/// repository's scan finds: keyhound's version, the rules, the selection
/// and the limits.
fn scope(history: &HistoryPlan, engine: &Engine) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(env!("KEYHOUND_VERSION").as_bytes());
    h.update(serde_json::to_vec(&engine.rules().rules).unwrap_or_default());
    // Only configuration: the archive limits' shared memory pool is state.
    let archives = history.archives.as_ref().map(|a| {
        (
            a.max_depth,
            a.max_total,
            a.max_member,
            a.max_members,
            a.max_ratio,
        )
    });
    h.update(
        format!(
            "{:?}|{}|{archives:?}|{}",
            history.selection, history.max_blob_size, history.binary_strings
        )
        .as_bytes(),
    );
    hex::encode(h.finalize())
}

/// The earlier commits of `job`'s repository, or why it is read whole;
/// `None` without an earlier report.
fn earlier_tips<'a>(job: &Job<'a>) -> Option<Result<&'a [String], String>> {
    let earlier = job.earlier?;
    let name = &job.entry.name;
    Some(if let Some(why) = earlier.unusable.get(name) {
        Err(why.clone())
    } else {
        match earlier.covered.get(name) {
            None => Err("the earlier report does not cover it".to_string()),
            Some(c) if c.scope != job.scope => Err(
                "the earlier report was made with other rules, settings or keyhound version"
                    .to_string(),
            ),
            Some(c) => Ok(c.tips.as_slice()),
        }
    })
}

/// Scans one repository; a failure becomes its summary's `error` and one
/// error diagnostic.
fn scan_one(job: &Job<'_>, diags: &Diagnostics) -> (RepoSummary, Vec<Finding>) {
    let (plan, entry) = (job.plan, job.entry);
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
        threads: job.threads,
        progress: None,
        ..plan.history.clone()
    };
    let tips = earlier_tips(job);
    let out = match git_scan::history_since(
        &hp,
        job.engine,
        tips.as_ref().and_then(|t| t.as_ref().ok().copied()),
    ) {
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
    summary.covered = (!out.tips.is_empty()).then(|| Coverage {
        tips: out.tips,
        scope: job.scope.to_string(),
    });
    let mut findings = out.scan.findings;
    for f in &mut findings {
        for m in &mut f.matches {
            m.repo = Some(entry.name.clone());
        }
    }
    let whole = match (tips, out.resumed) {
        (Some(Err(why)), _) | (_, Some(Resumed::Whole(why))) => Some(why),
        _ => None,
    };
    if let Some(why) = whole {
        diags.note(format_args!("{}: read whole: {why}", entry.name));
        summary.incremental = Some(false);
    } else if let Some(earlier) = job.earlier {
        summary.incremental = Some(true);
        let mut carried = earlier
            .findings
            .get(&entry.name)
            .cloned()
            .unwrap_or_default();
        if let Err(e) = git_scan::mark_in_head(&hp.repo, &mut carried) {
            return failed(summary, format!("cannot read {}: {e}", entry.url), diags);
        }
        findings.extend(carried);
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
