//! `--config`, `--baseline` and the other noise-control flags of `scan`, and
//! `keyhound baseline`. Owned by the noise-control work (issue 5).

use super::Exit;
use super::GlobalArgs;
use super::scan::ScanArgs;
use crate::config::{self, Noise};
use crate::message;
use crate::report::{Format, Report};
use crate::rule::{Rule, RuleSet};
use crate::source::fs::WalkOptions;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Noise-control options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct NoiseArgs {
    /// Read this config file instead of `.keyhound.toml` at the repo root.
    ///
    /// The root is the first scanned directory (or, for a file, the git work
    /// tree holding it). Keys: `format`, `max_file_size`, `disabled_rules`,
    /// `[[allow]]` tables (`rules`, `paths` globs, `regexes` and `stopwords`
    /// over the secret) and `[[rule]]` tables like rules/*.toml. A line
    /// holding `keyhound:allow` or `gitleaks:allow` is never reported.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub config: Option<PathBuf>,
    /// Read no config file.
    #[arg(long, conflicts_with = "config", help_heading = "Noise control")]
    pub no_config: bool,
    /// Read ignore entries from FILE instead of `.keyhoundignore` at the repo root.
    ///
    /// One finding per line: `FINGERPRINT [path=GLOB] [expires=YYYY-MM-DD]
    /// [owner=NAME] [# reason]`. Entries key on the secret, so they survive
    /// rebases and moved lines; expired entries warn and stop suppressing,
    /// entries matching nothing are noted.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub ignore_file: Option<PathBuf>,
    /// Read no ignore file.
    #[arg(long, conflicts_with = "ignore_file", help_heading = "Noise control")]
    pub no_ignore_file: bool,
    /// Report only findings that are not in FILE (a baseline or an earlier
    /// JSON, JSONL or SARIF report), compared by fingerprint.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub baseline: Option<PathBuf>,
}

/// `keyhound baseline ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Scan like `scan` and write the findings as a baseline: sorted, one
    /// per line, fingerprint, rule and first location, no secrets.
    Create(Box<ScanArgs>),
}

/// Runs `keyhound baseline`.
pub(crate) fn run_baseline(g: &GlobalArgs, c: &BaselineCommand) -> anyhow::Result<Exit> {
    let BaselineCommand::Create(a) = c;
    if a.format.is_some() {
        anyhow::bail!("baseline create writes its own format; --format does not apply");
    }
    let (report, prepared) = super::scan::scan_filtered(g, a)?;
    write_baseline(&prepared, &report, a.output.as_deref())?;
    Ok(Exit::Clean)
}

/// Noise control resolved for one scan.
#[derive(Debug)]
pub(crate) struct Prepared {
    noise: Noise,
    /// The config's default format.
    pub format: Option<Format>,
}

/// Finds and reads the config, ignore file and baseline for a scan of
/// `paths`; applies the config to the rules and walk options (command-line
/// flags applied after this call win).
pub(crate) fn prepare(
    a: &NoiseArgs,
    paths: &[PathBuf],
    rules: &mut RuleSet,
    walk: &mut WalkOptions,
) -> anyhow::Result<Prepared> {
    let root = paths.first().and_then(|p| config::find_root(p));
    let at_root = |name: &str| root.as_ref().map(|r| r.join(name)).filter(|p| p.is_file());
    let config_path = match (&a.config, a.no_config) {
        (_, true) => None,
        (Some(p), _) => Some(p.clone()),
        (None, _) => at_root(config::CONFIG_FILE),
    };
    let mut noise = Noise {
        root: root.clone(),
        ..Noise::default()
    };
    let mut format = None;
    if let Some(p) = config_path {
        let cfg = config::load_config(&p)?;
        rules.extend(cfg.rules);
        for id in &cfg.disabled_rules {
            if rules.get(id).is_none() {
                message::warn(format_args!(
                    "{}: disabled_rules: no rule {id:?}",
                    p.display()
                ));
            }
        }
        rules.disable(&cfg.disabled_rules);
        if let Some(n) = cfg.max_file_size {
            walk.max_file_size = n;
        }
        format = cfg.format;
        noise.allow = cfg.allow;
    }
    let ignore_path = match (&a.ignore_file, a.no_ignore_file) {
        (_, true) => None,
        (Some(p), _) => Some(p.clone()),
        (None, _) => at_root(config::IGNORE_FILE),
    };
    if let Some(p) = ignore_path {
        noise.ignore = Some(config::load_ignore(&p)?);
    }
    if let Some(p) = &a.baseline {
        noise.baseline = Some(config::load_baseline(p)?);
    }
    Ok(Prepared { noise, format })
}

/// Drops suppressed findings from `report` and counts them.
pub(crate) fn filter(p: &Prepared, report: &mut Report) {
    report.suppressed += p.noise.filter(&mut report.findings);
}

/// Writes the baseline of `report` to `output` (or stdout).
fn write_baseline(p: &Prepared, report: &Report, output: Option<&Path>) -> anyhow::Result<()> {
    let text = config::baseline::render(p.noise.baseline_entries(&report.findings));
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write baseline {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Reads the rules of one `--rules` file, keyhound or gitleaks format; for
/// gitleaks configs prints how many rules loaded and which were skipped.
pub(crate) fn rules_from_file(text: &str, file: &Path) -> anyhow::Result<Vec<Rule>> {
    let origin = file.display().to_string();
    let parsed = config::parse_rules_file(text, &origin)?;
    if let Some(imp) = &parsed.import {
        for n in &imp.notes {
            message::note(format_args!("{origin}: {n}"));
        }
        for (id, why) in &imp.skipped {
            tracing::info!("{origin}: skipped {id}: {why}");
        }
        let ids: Vec<&str> = imp.skipped.iter().map(|s| s.0.as_str()).collect();
        let list = if ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids.join(", "))
        };
        message::note(format_args!(
            "{origin}: loaded {} rules, skipped {}{list}",
            parsed.rules.len(),
            ids.len()
        ));
    }
    Ok(parsed.rules)
}
