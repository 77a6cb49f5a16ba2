//! The rules and noise control of a scan: the built-in rules plus `--rules`
//! files, and the config, ignore files and baseline found for the scanned
//! paths (bounded when found in the scanned tree), gitleaks' included.

use super::super::args::NoiseArgs;
use crate::config::{self, Noise};
use crate::diagnostic::Diagnostics;
use crate::rule::{self, RuleSet};
use crate::rulecheck;
use crate::source::fs::WalkOptions;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The built-in rules plus every `--rules` file, each loaded and compiled
/// once; how a gitleaks config converted goes to `diags` as notes.
pub(crate) fn rules(files: &[PathBuf], diags: &Diagnostics) -> anyhow::Result<RuleSet> {
    Ok(rules_and_allowlists(files, diags)?.0)
}

/// What gitleaks configs add to noise control: their allowlists, and the
/// rules they disable (with the file naming each).
#[derive(Default)]
pub(super) struct GitleaksNoise {
    pub(super) allowlists: Vec<rule::gitleaks::GitleaksAllow>,
    pub(super) disabled_rules: Vec<(String, String)>,
}

impl GitleaksNoise {
    fn add(&mut self, file: &rule::load::RulesFile) {
        self.allowlists.extend(file.allowlists.iter().cloned());
        let named = file
            .disabled_rules
            .iter()
            .map(|id| (file.origin.clone(), id.clone()));
        self.disabled_rules.extend(named);
    }

    pub(super) fn append(&mut self, other: &mut GitleaksNoise) {
        self.allowlists.append(&mut other.allowlists);
        self.disabled_rules.append(&mut other.disabled_rules);
    }
}

/// [`rules`], and the allowlists and disabled rules of gitleaks `--rules`
/// files.
pub(super) fn rules_and_allowlists(
    files: &[PathBuf],
    diags: &Diagnostics,
) -> anyhow::Result<(RuleSet, GitleaksNoise)> {
    let mut set = RuleSet::builtin();
    let mut gitleaks = GitleaksNoise::default();
    for f in files {
        let file = rule::load::read_file(f)?;
        rulecheck::validate(&file)?;
        rulecheck::unique_ids(&file)?;
        file.report(diags);
        gitleaks.add(&file);
        set.extend(file.rules);
    }
    Ok((set, gitleaks))
}

/// Noise control found for a scan of `paths`: the config (with the file it
/// came from), ignore file and baseline.
pub(super) struct Settings {
    pub(super) noise: Noise,
    pub(super) config: Option<(PathBuf, config::Config)>,
    /// The config is a gitleaks one without `[extend] useDefault = true`:
    /// its rules replace the built-in ones, as they do gitleaks' defaults.
    pub(super) standalone: bool,
    /// A gitleaks config's allowlists and disabled rules.
    pub(super) gitleaks: GitleaksNoise,
}

pub(super) fn noise(
    a: &NoiseArgs,
    paths: &[PathBuf],
    diags: &Diagnostics,
) -> anyhow::Result<Settings> {
    let root = paths.first().and_then(|p| config::find_root(p));
    let at_root = |name: &str| root.as_ref().map(|r| r.join(name)).filter(|p| p.is_file());
    let found = || {
        at_root(config::CONFIG_FILE).or_else(|| {
            let p = at_root(config::GITLEAKS_CONFIG)?;
            diags.note(format_args!(
                "no {} at the root: reading gitleaks' {}",
                config::CONFIG_FILE,
                p.display()
            ));
            Some(p)
        })
    };
    let config_path = match (&a.config, a.no_config) {
        (_, true) => None,
        (Some(p), _) => Some(p.clone()),
        (None, _) => found(),
    };
    let mut noise = Noise {
        root: root.clone(),
        ..Noise::default()
    };
    let mut config = None;
    let mut standalone = false;
    let mut gitleaks = GitleaksNoise::default();
    // A config found in the scanned tree (not given by --config) may lower
    // limits, never raise them (docs/limits.md).
    let in_tree = a.config.is_none();
    if let Some(p) = config_path {
        let mut cfg = match gitleaks_config(&p, in_tree, diags)? {
            Some(file) => {
                standalone = !file.use_default;
                gitleaks.add(&file);
                config::Config {
                    rules: file.rules,
                    ..config::Config::default()
                }
            }
            None if in_tree => {
                let mut budget = rule::bound::Budget::default();
                let mut cfg = config::load_tree_config(&p, config_cap(true), &mut budget)?;
                bound_tree_config(&p, &mut cfg, &mut budget, diags);
                cfg
            }
            None => config::load_config_within(&p, config_cap(false))?,
        };
        if in_tree {
            clamp_tree_size(&p, &mut cfg, diags);
        }
        noise.allow = std::mem::take(&mut cfg.allow);
        config = Some((p, cfg));
    }
    let ignore_path = match (&a.ignore_file, a.no_ignore_file) {
        (_, true) => None,
        (Some(p), _) => Some(p.clone()),
        (None, _) => at_root(config::IGNORE_FILE),
    };
    if let Some(p) = ignore_path {
        noise.ignore = Some(config::load_ignore(&p, diags)?);
    }
    let gitleaks_ignore = match &a.gitleaks_ignore {
        Some(p) if p.is_dir() => {
            Some(p.join(config::gitleaks::IGNORE_FILE)).filter(|p| p.is_file())
        }
        Some(p) => Some(p.clone()),
        None => at_root(config::gitleaks::IGNORE_FILE),
    };
    if !a.no_ignore_file
        && let Some(p) = gitleaks_ignore
    {
        let places = config::load_gitleaks_ignore(&p, diags)?;
        diags.note(format_args!(
            "{}: {} gitleaks ignore entries",
            p.display(),
            places.len()
        ));
        noise.gitleaks.push(places);
    }
    if let Some(p) = &a.baseline {
        match config::load_baseline(p)? {
            config::AnyBaseline::Keyhound(b) => noise.baseline = Some(b),
            config::AnyBaseline::Gitleaks(g) => noise.gitleaks.push(g),
        }
    }
    Ok(Settings {
        noise,
        config,
        standalone,
        gitleaks,
    })
}

/// The size cap of a config: smaller for one found in the scanned tree.
fn config_cap(in_tree: bool) -> u64 {
    if in_tree {
        crate::input::Kind::TreeConfig.cap()
    } else {
        crate::input::Kind::Config.cap()
    }
}

/// A config found in the scanned tree keeps its `max_file_size` only when
/// it lowers the limit.
fn clamp_tree_size(path: &Path, cfg: &mut config::Config, diags: &Diagnostics) {
    let default = WalkOptions::default().max_file_size;
    if let Some(size) = cfg.max_file_size.filter(|s| *s > default) {
        diags.warn(format_args!(
            "{}: max_file_size = {size} ignored: a config in the scanned tree cannot raise the limit above the default {default} (use --config or --max-file-size)",
            path.display()
        ));
        cfg.max_file_size = None;
    }
}

/// Bounds a keyhound config found in the scanned tree ([`rule::bound`]):
/// its `[[allow]]` tables were bounded as it was read, against `budget`;
/// its rules are bounded after them, each kind left out with a warning.
fn bound_tree_config(
    path: &Path,
    cfg: &mut config::Config,
    budget: &mut rule::bound::Budget,
    diags: &Diagnostics,
) {
    let (lists, regexes) = cfg.allow_left_out;
    let total = cfg.rules.len();
    let out = rule::bound::LeftOut {
        allowlists: lists,
        allow_regexes: regexes,
        ..rule::bound::bound_within(budget, &mut Vec::new(), &mut cfg.rules)
    };
    warn_left_out(path, total, out, diags);
}

/// Bounds the rules and allowlists of a gitleaks config found in the
/// scanned tree, with one warning per kind of thing left out.
fn bound_tree_rules(
    path: &Path,
    allowlists: &mut Vec<rule::gitleaks::GitleaksAllow>,
    rules: &mut Vec<rule::Rule>,
    diags: &Diagnostics,
) {
    let total = rules.len();
    let out = rule::bound::bound(allowlists, rules);
    warn_left_out(path, total, out, diags);
}

/// One warning per kind of thing [`rule::bound`] left out of `path`, a
/// config of `total` rules.
fn warn_left_out(path: &Path, total: usize, out: rule::bound::LeftOut, diags: &Diagnostics) {
    use rule::bound::{MAX_TREE_ALLOW_REGEXES, MAX_TREE_PATTERN_BYTES, MAX_TREE_RULES};
    let bounded = "a config in the scanned tree is bounded (use --config to load more)";
    let budget = format!(
        "past {MAX_TREE_ALLOW_REGEXES} allowlist regexes or {} KiB of patterns",
        MAX_TREE_PATTERN_BYTES / 1024
    );
    if out.rules_over_count > 0 {
        diags.warn(format_args!(
            "{}: {total} rules, only the first {MAX_TREE_RULES} used: {bounded}",
            path.display()
        ));
    }
    if out.allowlists > 0 {
        diags.warn(format_args!(
            "{}: {} allowlists ({} regexes) left out: {budget}, {bounded}",
            path.display(),
            out.allowlists,
            out.allow_regexes,
        ));
    }
    if out.rules_over_size > 0 {
        diags.warn(format_args!(
            "{}: {} rules left out: {budget}, {bounded}",
            path.display(),
            out.rules_over_size,
        ));
    }
}

/// `path` read as a gitleaks config, when it is one.
fn gitleaks_config(
    path: &Path,
    in_tree: bool,
    diags: &Diagnostics,
) -> anyhow::Result<Option<rule::load::RulesFile>> {
    let text = crate::input::read_text_within(path, config_cap(in_tree)).with_context(|| {
        format!(
            "cannot read config {}{}",
            path.display(),
            if in_tree {
                " (found in the scanned tree; pass it with --config to lift the bound)"
            } else {
                ""
            }
        )
    })?;
    if !rule::gitleaks::is_gitleaks(&text) {
        return Ok(None);
    }
    let mut file = rule::load::read_file(path)?;
    if in_tree {
        bound_tree_rules(path, &mut file.allowlists, &mut file.rules, diags);
    }
    rulecheck::validate(&file)?;
    file.report(diags);
    if file.use_default {
        diags.note(format_args!(
            "{}: [extend] useDefault: keyhound's built-in rules stand for gitleaks' default rules",
            path.display()
        ));
    } else {
        diags.note(format_args!(
            "{}: no [extend] useDefault = true: only its rules are used, as gitleaks would",
            path.display()
        ));
    }
    Ok(Some(file))
}
