//! `keyhound scan`: resolve the arguments into a plan, scan, filter, verify,
//! write the report, pick the exit code.

use super::cam::VerifyScanArgs;
use super::git::GitScanArgs;
use super::noise::{self, NoiseArgs};
use super::{ColorChoice, Exit, GlobalArgs};
use crate::engine::Engine;
use crate::report::{self, Format, Report, WriteOptions};
use crate::rule::RuleSet;
use crate::scan::{self, ScanPlan};
use crate::source::archive;
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
    /// Do not open archives and compressed files (zip, jar, tar, gz, bz2, xz,
    /// zst...); skip them as binary.
    #[arg(long, help_heading = "Files")]
    pub no_archives: bool,
    /// Open archives nested up to N levels deep (default: 5; 1 opens only
    /// the outer archive).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Files")]
    pub archive_depth: Option<u32>,
    /// Read at most SIZE uncompressed bytes from each archive, nested ones
    /// included (default: 512M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Files")]
    pub archive_max_size: Option<u64>,
    /// Read at most N members of each archive, nested ones included
    /// (default: 100000).
    #[arg(long, value_name = "N", help_heading = "Files")]
    pub archive_max_members: Option<u64>,
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

/// The archive limits `a` asks for; members obey the file size limit.
fn archive_limits(a: &ScanArgs, max_file_size: u64) -> Option<archive::Limits> {
    if a.no_archives {
        return None;
    }
    let mut limits = archive::Limits {
        max_member: max_file_size,
        ..archive::Limits::default()
    };
    if let Some(d) = a.archive_depth {
        limits.max_depth = d;
    }
    if let Some(n) = a.archive_max_size {
        limits.max_total = n;
    }
    if let Some(n) = a.archive_max_members {
        limits.max_members = n;
    }
    Some(limits)
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
    write_report(g, &report, format, a.output.as_deref(), a.show_secrets)?;
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
    walk.archives = archive_limits(a, walk.max_file_size);
    let engine = Engine::new(&rules)?;
    let (out, vcs) = match super::git::scan(g, a, &paths, &walk, &engine)? {
        Some(found) => found,
        None if stdin => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .context("cannot read standard input")?;
            let prov = crate::source::Provenance::Stdin;
            (
                scan::run_bytes(&engine, &bytes, &prov, walk.archives.as_ref()),
                None,
            )
        }
        None => (scan::run(&ScanPlan { paths, walk }, &engine), None),
    };
    for w in &out.warnings {
        crate::message::warn(w);
    }
    let mut report = Report {
        findings: out.findings,
        stats: out.stats,
        rules: rules.rules,
        vcs,
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
