//! `keyhound scan`: runs the resolved plan (scan, noise control, verify),
//! writes the report and picks the exit code.

use super::args::{ColorChoice, GlobalArgs, ScanArgs};
use super::exit::Exit;
use super::plan::{self, Source, Vcs};
use super::{message, providers};
use crate::diagnostic::Diagnostics;
use crate::org::scan::OrgPlan;
use crate::report::{self, Format, Report, VcsInfo, WriteOptions};
use crate::scan::git::{self as git_scan, GitOutput};
use crate::scan::{self, ScanOutput};
use std::io::{IsTerminal, Write};

pub(crate) fn run(g: &GlobalArgs, a: &ScanArgs) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let resolved = plan::scan(g, a, &diags);
    message::flush(&diags);
    let plan = resolved?;
    let started = std::time::Instant::now();
    let mut report = execute(&plan, &diags)?;
    message::flush(&diags);
    providers::verify_scan(&plan.verifiers, &report.rules, &mut report.findings)?;
    report.context.errors = message::errors();
    report.duration = Some(started.elapsed());
    if plan.output.format == Format::Sarif {
        for w in report::sarif_warnings(&report) {
            message::warn(w);
        }
    }
    let exit = match (report.findings.is_empty(), plan.findings_exit) {
        (true, _) => Exit::Clean,
        (false, Some(code)) => Exit::FindingsCode(code),
        (false, None) => Exit::Findings,
    };
    if let Some(mode) = plan.output.gitleaks {
        return gitleaks_output(&report, &plan.output, mode, g.quiet).map(|()| exit);
    }
    // A hook run with --quiet says nothing when there is nothing to say.
    let silent = g.quiet && plan.output.format == Format::Human && plan.output.path.is_none();
    if silent && report.findings.is_empty() {
        return Ok(exit);
    }
    match write_report(&report, &plan.output) {
        // A reader that stopped early (`| head`) still gets the verdict.
        Err(e) if super::is_broken_pipe(&e) => Ok(exit),
        other => other.map(|()| exit),
    }
}

/// Scans what `plan` names and applies noise control: the report before
/// verification and writing. `baseline create` stops here.
pub(crate) fn execute(plan: &plan::Scan, diags: &Diagnostics) -> anyhow::Result<Report> {
    let engine = &plan.engine;
    let display = super::progress::Display::start(plan.progress.as_ref());
    let (out, vcs) = match &plan.source {
        Source::Files(p) => (scan::run(p, engine), None),
        Source::History(p, vcs) => git_out(git_scan::history(p, engine)?, vcs),
        Source::Staged {
            repo,
            max_blob_size,
            archives,
            vcs,
            only,
        } => {
            let mut out = git_scan::staged(repo, engine, *max_blob_size, archives.as_ref())?;
            if let Some(only) = only {
                let passed = |m: &crate::finding::Match| only.contains(&m.provenance.path());
                out.scan.findings.retain_mut(|f| {
                    f.matches.retain(passed);
                    !f.matches.is_empty()
                });
            }
            git_out(out, vcs)
        }
        Source::Nothing => (ScanOutput::default(), None),
        Source::Repos(org, since) => return execute_repos(org, since.as_deref(), plan, diags),
    };
    drop(display);
    let mut out = out;
    out.stats.warnings = out.diagnostics.counts();
    diags.append(out.diagnostics);
    let mut report = Report {
        findings: out.findings,
        stats: out.stats,
        rules: engine.rules().rules.clone(),
        vcs: vcs.or_else(|| plan.repo_vcs.clone()),
        context: plan.context.clone(),
        ..Report::default()
    };
    report.suppressed += plan.noise.filter(&mut report.findings, diags);
    Ok(report)
}

/// Scans many repositories and applies noise control to the whole.
fn execute_repos(
    org: &OrgPlan,
    since: Option<&std::path::Path>,
    plan: &plan::Scan,
    diags: &Diagnostics,
) -> anyhow::Result<Report> {
    let earlier = since
        .map(|p| super::org::earlier(p, org, &plan.engine))
        .transpose()?;
    let mut out = crate::org::scan::run(org, &plan.engine, earlier.as_ref());
    out.stats.warnings = out.diagnostics.counts();
    diags.append(out.diagnostics);
    let mut findings = out.findings;
    let suppressed = plan.noise.filter(&mut findings, diags);
    crate::finding::sort(&mut findings);
    let repos = crate::org::merge::summarise(out.repos, &findings);
    Ok(Report {
        findings,
        stats: out.stats,
        suppressed,
        rules: plan.engine.rules().rules.clone(),
        repos,
        ..Report::default()
    })
}

/// A git scan's output and the repository's identity for SARIF. Detached
/// HEADs (CI checkouts) take the branch from the CI's own variables.
fn git_out(out: GitOutput, vcs: &Vcs) -> (ScanOutput, Option<VcsInfo>) {
    let info = VcsInfo {
        repository_uri: out.repo.remote_url.clone(),
        revision: out.repo.head.clone(),
        branch: out.repo.branch.clone().or_else(|| vcs.ci_branch.clone()),
    };
    (out.scan, Some(info))
}

/// Whether to color output going to a terminal (or not) under `choice`.
pub(crate) fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// gitleaks' conventions: the report only where --report-path says, the
/// findings on standard output only with -v, and the verdict on stderr.
fn gitleaks_output(
    report: &Report,
    out: &plan::Output,
    mode: super::compat::GitleaksMode,
    quiet: bool,
) -> anyhow::Result<()> {
    let written = match &out.path {
        Some(_) => write_report(report, out),
        None => Ok(()),
    };
    if mode.verbose && out.path.as_deref() != Some(std::path::Path::new("-")) {
        let human = plan::Output {
            format: Format::Human,
            path: None,
            gitleaks: None,
            ..out.clone()
        };
        write_report(report, &human)?;
    }
    if !quiet {
        let n: usize = report.findings.iter().map(|f| f.matches.len()).sum();
        let verdict = if n == 0 {
            "no leaks found".to_string()
        } else {
            format!("leaks found: {n}")
        };
        eprintln!("keyhound: {verdict}");
    }
    match written {
        Err(e) if super::is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Writes `report` where and how `out` says.
pub(crate) fn write_report(report: &Report, out: &plan::Output) -> anyhow::Result<()> {
    match &out.path {
        Some(path) => {
            let opts = WriteOptions {
                show_secrets: out.show_secrets,
                color: use_color(out.color, false),
                redact_percent: out.redact_percent,
            };
            super::output::write_file_private(path, out.show_secrets, |w| {
                Ok(report::write(report, out.format, &opts, w)?)
            })?;
        }
        None => {
            let stdout = std::io::stdout();
            let opts = WriteOptions {
                show_secrets: out.show_secrets,
                color: use_color(out.color, stdout.is_terminal()),
                redact_percent: out.redact_percent,
            };
            let mut w = std::io::BufWriter::new(stdout.lock());
            report::write(report, out.format, &opts, &mut w)?;
            w.flush()?;
        }
    }
    Ok(())
}
