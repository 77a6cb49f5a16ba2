//! `keyhound scan`: resolve the arguments into a plan, scan, filter, verify,
//! write the report, pick the exit code.

use super::cam::VerifyScanArgs;
use super::git::GitScanArgs;
use super::noise::{self, NoiseArgs};
use super::{ColorChoice, Exit, GlobalArgs};
use crate::engine::Engine;
use crate::report::{self, Format, Report, ScanContext, WriteOptions};
use crate::rule::RuleSet;
use crate::scan::{self, ScanPlan};
use crate::source::fs::WalkOptions;
use anyhow::Context;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `keyhound scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan (default: the current directory); `-`
    /// reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, help_heading = "Output")]
    pub format: Option<FormatArg>,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// SARIF `automationDetails.id` category, so GitHub keeps separate
    /// analyses apart (default: `keyhound/<kind>`, kind being files, stdin,
    /// history, staged or pre-push).
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub sarif_category: Option<String>,
    /// Show secrets in full in human, JSON and JSONL output (never in SARIF).
    #[arg(long, help_heading = "Output")]
    pub show_secrets: bool,
    /// Add the rules of this file (keyhound or gitleaks TOML); may repeat.
    #[arg(long = "rules", value_name = "FILE", help_heading = "Rules")]
    pub rules: Vec<PathBuf>,
    /// Scan files that .gitignore and .ignore files exclude.
    #[arg(long, help_heading = "Files")]
    pub no_gitignore: bool,
    /// Follow symbolic links.
    #[arg(long, help_heading = "Files")]
    pub follow_links: bool,
    /// Skip files larger than SIZE (bytes, or with K, M, G suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Files")]
    pub max_file_size: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", help_heading = "Files")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub git: GitScanArgs,
    #[command(flatten)]
    pub verify: VerifyScanArgs,
    #[command(flatten)]
    pub noise: NoiseArgs,
}

/// `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Readable text, colored on a terminal.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
        }
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    crate::config::file::parse_size(s)
        .ok_or_else(|| format!("invalid size {s:?} (expected bytes, or a number with K, M or G)"))
}

/// Loads the built-in rules plus every `--rules` file.
pub(crate) fn load_rules(files: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let mut set = RuleSet::builtin();
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read rules file {}", f.display()))?;
        set.extend(noise::rules_from_file(&text, f)?);
    }
    Ok(set)
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

pub(crate) fn run(g: &GlobalArgs, a: &ScanArgs) -> anyhow::Result<Exit> {
    super::cam::check_args(&a.verify)?;
    let (mut report, noise) = scan_filtered(g, a)?;
    super::cam::verify_scan(&a.verify, &report.rules, &mut report.findings)?;
    let format = a
        .format
        .map(Format::from)
        .or(noise.format)
        .unwrap_or_default();
    report.context.errors = crate::message::errors();
    if format == Format::Sarif {
        for w in report::sarif_warnings(&report) {
            crate::message::warn(w);
        }
    }
    let silent = g.quiet && format == Format::Human && a.output.is_none();
    if !(silent && report.findings.is_empty()) {
        write_report(g, &report, format, a.output.as_deref(), a.show_secrets)?;
    }
    Ok(if report.findings.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

/// Scans what `a` names (files, stdin or git) and applies noise control:
/// the report before verification and writing. `baseline create` stops here.
pub(crate) fn scan_filtered(
    g: &GlobalArgs,
    a: &ScanArgs,
) -> anyhow::Result<(Report, noise::Prepared)> {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let stdin = paths.len() == 1 && paths[0].as_os_str() == "-";
    for p in paths.iter().filter(|_| !stdin) {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("no such file or directory: {}", p.display());
        }
    }
    let mut rules = load_rules(&a.rules)?;
    let mut walk = WalkOptions {
        respect_gitignore: !a.no_gitignore,
        follow_links: a.follow_links,
        ..WalkOptions::default()
    };
    let noise = noise::prepare(&a.noise, &paths, &mut rules, &mut walk)?;
    if let Some(n) = a.max_file_size {
        walk.max_file_size = n;
    }
    if let Some(t) = a.threads {
        walk.threads = t;
    }
    let engine = Engine::new(&rules)?;
    let (root, repo_vcs) = super::git::scan_root(&paths, stdin);
    let (out, vcs) = match super::git::scan(g, a, &paths, &walk, &engine)? {
        Some(found) => found,
        None if stdin => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .context("cannot read standard input")?;
            let prov = crate::source::Provenance::Stdin;
            (scan::run_bytes(&engine, &bytes, &prov), None)
        }
        None => (scan::run(&ScanPlan { paths, walk }, &engine), None),
    };
    let context = ScanContext {
        root,
        cwd: std::env::current_dir().unwrap_or_default(),
        kind: super::git::scan_kind(&a.git, stdin),
        category: a.sarif_category.clone(),
        errors: Vec::new(),
    };
    let mut report = Report {
        findings: out.findings,
        stats: out.stats,
        rules: rules.rules,
        vcs: vcs.or(repo_vcs),
        context,
        ..Report::default()
    };
    noise::filter(&noise, &mut report);
    Ok((report, noise))
}

/// Writes `report` to `output` (or stdout) in `format`.
pub(crate) fn write_report(
    g: &GlobalArgs,
    report: &Report,
    format: Format,
    output: Option<&std::path::Path>,
    show_secrets: bool,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let opts = WriteOptions {
                show_secrets,
                color: use_color(g.color, false),
            };
            report::write(report, format, &opts, &mut w)?;
            w.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let opts = WriteOptions {
                show_secrets,
                color: use_color(g.color, stdout.is_terminal()),
            };
            let mut w = std::io::BufWriter::new(stdout.lock());
            report::write(report, format, &opts, &mut w)?;
            w.flush()?;
        }
    }
    Ok(())
}
