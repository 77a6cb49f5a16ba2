//! Resolution: turns the parsed arguments of a command into the one plan it
//! runs. Every flag, config file, ignore file, baseline, rules file,
//! endpoint, credential and environment variable a command depends on is
//! read and checked here, before any scanning starts; a bad one ends the
//! command here with exit code 2.

use super::args::{
    AuditArgs, AuditFormat, ColorChoice, DisableArgs, EnableArgs, GitScanArgs, GlobalArgs,
    NoiseArgs, ProviderArgs, RespondArgs, ScanArgs, TencentArgs, VerifyArgs, VerifyFormat,
};
use crate::audit::{self, CheckId};
use crate::config::{self, Noise};
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::report::{Format, ScanContext, VcsInfo};
use crate::rule::{self, RuleSet, VerifyWith};
use crate::rulecheck;
use crate::scan::ScanPlan;
use crate::scan::git::HistoryPlan;
use crate::scan::progress::Progress;
use crate::source::archive;
use crate::source::fs::{STDIN, WalkOptions};
use crate::source::git::{self as src, Rev, Selection};
use crate::verify::http;
use crate::verify::registry::Endpoints as ProviderEndpoints;
use crate::verify::tencent::credential::{self, Found};
use crate::verify::tencent::{Client, ClientOptions, Endpoints, Site};
use anyhow::Context;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A resolved `keyhound scan` (or `baseline create`).
#[derive(Debug)]
pub(crate) struct Scan {
    /// What to read.
    pub source: Source,
    /// The compiled rules: built-in, `--rules` files and the config's,
    /// minus the config's disabled ones.
    pub engine: Engine,
    /// What keeps a finding out of the report.
    pub noise: Noise,
    /// `--verify`, `--audit` or `--profile`: how to reach Tencent Cloud.
    pub verify: Option<Tencent>,
    /// With `verify`: where to check the keys of the providers on the seam.
    pub providers: Option<ProviderEndpoints>,
    /// Where and how to write the report.
    pub output: Output,
    /// Where the scan is rooted, for report paths.
    pub context: ScanContext,
    /// The identity of the repository the scanned paths are in, if any.
    pub repo_vcs: Option<VcsInfo>,
    /// What the scan counts as it goes, when a terminal shows its progress.
    pub progress: Option<Arc<Progress>>,
    /// The exit code for findings (`--exit-code`; default 1).
    pub findings_exit: Option<u8>,
}

/// What a scan reads.
#[derive(Debug)]
pub(crate) enum Source {
    /// Files and directories on disk.
    Files(ScanPlan),
    /// Git history (all of it, a branch, a range, what a push sends).
    History(HistoryPlan, Vcs),
    /// What `git commit` would commit.
    Staged {
        /// The repository.
        repo: PathBuf,
        /// Blobs larger than this are skipped.
        max_blob_size: u64,
        /// Open staged archives within these limits.
        archives: Option<archive::Limits>,
        /// CI identity for reports.
        vcs: Vcs,
        /// Only these paths (from the repository root), for the pre-commit
        /// framework's file names; every staged file when `None`.
        only: Option<std::collections::BTreeSet<String>>,
    },
    /// A push that sends no new commits: nothing to scan.
    Nothing,
    /// The histories of many repositories (`--repos`, several or remote
    /// `--git` paths), and the earlier report to read only what changed
    /// since (`--since-report`).
    Repos(crate::org::scan::OrgPlan, Option<PathBuf>),
}

/// What the environment says about the repository being scanned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vcs {
    /// The branch a CI job runs for, from its variables (for detached HEADs).
    pub ci_branch: Option<String>,
}

/// Where and how a report is written.
#[derive(Clone, Debug)]
pub(crate) struct Output {
    /// The format: `--format`, else the config's, else human.
    pub format: Format,
    /// `--output`, or standard output.
    pub path: Option<PathBuf>,
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// `--color`.
    pub color: ColorChoice,
    /// gitleaks' `--redact=N`.
    pub redact_percent: Option<u8>,
    /// Started through a gitleaks command: gitleaks' output conventions.
    pub gitleaks: Option<super::compat::GitleaksMode>,
}

/// How to reach Tencent Cloud, and as whom.
#[derive(Debug)]
pub(crate) struct Tencent {
    /// The API endpoints (the site, or `--endpoint`).
    pub endpoints: Endpoints,
    /// Auditor mode: the user's own credentials, or why they cannot be used.
    pub auditor: Option<Result<Found, anyhow::Error>>,
}

impl Tencent {
    /// An HTTP client for these endpoints, in the region the auditor's
    /// credentials name (STS needs one).
    pub fn client(&self) -> anyhow::Result<Client> {
        let region = match &self.auditor {
            Some(Ok(f)) => f.region.as_deref(),
            _ => None,
        };
        self.client_in(region)
    }

    /// An HTTP client for these endpoints with `region` (or the default).
    pub fn client_in(&self, region: Option<&str>) -> anyhow::Result<Client> {
        let mut opts = ClientOptions::default();
        if let Some(r) = region {
            opts.region = r.to_string();
        }
        Ok(Client::new(self.endpoints.clone(), opts)?)
    }
}

/// A resolved `keyhound verify`.
pub(crate) struct Verify {
    /// The report to check.
    pub from: PathBuf,
    /// How to write the result.
    pub format: VerifyFormat,
    /// `--output`, or standard output.
    pub output: Option<PathBuf>,
    /// Write the report's secrets in full (else redacted, whatever it holds).
    pub show_secrets: bool,
    /// Rules for rescanning a redacted report's files.
    pub rules: RuleSet,
    /// The repository of a redacted report's git locations.
    pub repo: Option<git2::Repository>,
    /// Tencent Cloud.
    pub tencent: Tencent,
    /// Where to check the keys of the providers on the seam.
    pub providers: ProviderEndpoints,
}

/// A resolved `keyhound disable`.
pub(crate) struct Disable {
    /// `--from`.
    pub from: Option<PathBuf>,
    /// `--finding`.
    pub findings: Vec<String>,
    /// `--secret-id`.
    pub secret_ids: Vec<String>,
    /// The repository of a redacted report's git locations.
    pub repo: Option<git2::Repository>,
    /// `--yes`.
    pub yes: bool,
    /// `--journal`.
    pub journal: PathBuf,
    /// Tencent Cloud, with the auditor's credentials.
    pub tencent: Tencent,
    /// The auditor's credentials.
    pub credential: Found,
}

/// A resolved `keyhound respond`.
pub(crate) struct Respond {
    /// The scan, always verifying (Tencent and CDNetworks).
    pub scan: Scan,
    /// The auditor's credentials: whose account's keys are disabled.
    pub credential: Found,
    /// `--yes`.
    pub yes: bool,
    /// `--disable-persistence`: also disable the keys a leak left behind.
    pub disable_persistence: bool,
    /// `--journal`.
    pub journal: PathBuf,
}

/// Resolves `keyhound respond`: a scan that verifies, and the auditor's
/// credentials, found before anything is scanned.
pub(crate) fn respond(
    g: &GlobalArgs,
    a: &RespondArgs,
    diags: &Diagnostics,
) -> anyhow::Result<Respond> {
    let t = &a.scan.verify.tencent;
    let credential = required_credential(t)?;
    let mut scan = scan(g, &a.scan, diags)?;
    scan.verify = Some(Tencent {
        endpoints: endpoints(t)?,
        auditor: None,
    });
    scan.providers = Some(provider_endpoints(&a.scan.verify.providers)?);
    if a.journal.is_none()
        && let Some(default) = crate::action::journal::default_path()
    {
        // The default must never land in the tree being scanned (and then
        // committed): a state directory inside it is refused.
        let here = [PathBuf::from(".")];
        let roots = if a.scan.paths.is_empty() {
            &here[..]
        } else {
            &a.scan.paths[..]
        };
        let inside = |p: &PathBuf| {
            let root = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            let probe = default
                .ancestors()
                .find_map(|d| std::fs::canonicalize(d).ok());
            root.is_dir() && probe.is_some_and(|d| d.starts_with(&root))
        };
        if roots.iter().any(inside) {
            anyhow::bail!(
                "the default journal {} is inside the scanned tree: pass --journal FILE outside it",
                default.display()
            );
        }
    }
    let journal = journal(&a.journal)?;
    Ok(Respond {
        scan,
        credential,
        yes: a.yes,
        disable_persistence: a.disable_persistence,
        journal,
    })
}

/// `--journal`, else the default under the user's state directory (made
/// when missing; a `--journal` directory must exist).
fn journal(given: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    let p = crate::action::journal::default_path().context(
        "no state directory for the journal (set XDG_STATE_HOME or HOME, or pass --journal FILE)",
    )?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the journal's directory {}", dir.display()))?;
    }
    Ok(p)
}

/// A resolved `keyhound enable`.
#[derive(Debug)]
pub(crate) struct Enable {
    /// `--journal`.
    pub journal: PathBuf,
    /// `--yes`.
    pub yes: bool,
    /// Tencent Cloud.
    pub tencent: Tencent,
    /// The auditor's credentials.
    pub credential: Found,
}

/// Resolves `keyhound scan`. Warnings and notes of loading (rules files,
/// configs, ignore files) go to `diags`.
pub(crate) fn scan(g: &GlobalArgs, a: &ScanArgs, diags: &Diagnostics) -> anyhow::Result<Scan> {
    // An unusable --endpoint fails now, not after a long scan.
    let endpoints = endpoints(&a.verify.tencent)?;
    let others = provider_endpoints(&a.verify.providers)?;
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let stdin = paths.len() == 1 && paths[0].as_os_str() == STDIN;
    // Many repositories: a missing one is an error of the run, not of the plan.
    let many = super::org::many_repos(&a.git, &a.paths);
    for p in paths.iter().filter(|p| !many && p.as_os_str() != STDIN) {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("no such file or directory: {}", p.display());
        }
    }
    let (mut rules, mut gitleaks) = rules_and_allowlists(&a.rules, diags)?;
    let here = [PathBuf::from(".")];
    let mut settings = noise(&a.noise, if many { &here } else { &paths }, diags)?;
    if let Some((path, cfg)) = &settings.config {
        rules.extend(cfg.rules.clone());
        for id in &cfg.disabled_rules {
            if rules.get(id).is_none() {
                diags.warn(format_args!(
                    "{}: disabled_rules: no rule {id:?}",
                    path.display()
                ));
            }
        }
        rules.disable(&cfg.disabled_rules);
        if settings.standalone {
            let own: std::collections::HashSet<&str> =
                cfg.rules.iter().map(|r| r.id.as_str()).collect();
            let builtin: Vec<String> = RuleSet::builtin()
                .rules
                .into_iter()
                .map(|r| r.id)
                .filter(|id| !own.contains(id.as_str()))
                .collect();
            rules.disable(&builtin);
        }
        for id in settings.noise.allow.rule_ids() {
            if rules.get(id).is_none() && !cfg.disabled_rules.iter().any(|d| d == id) {
                diags.warn(format_args!(
                    "{}: allow.rules: no rule {id:?}; that allowlist never applies to it",
                    path.display()
                ));
            }
        }
    }
    gitleaks.append(&mut settings.gitleaks);
    for (origin, id) in &gitleaks.disabled_rules {
        let ids = [id.clone(), format!("{}{id}", rule::gitleaks::ID_PREFIX)];
        match ids.iter().find(|i| rules.get(i).is_some()) {
            Some(found) => rules.disable(std::slice::from_ref(found)),
            None => diags.note(format_args!(
                "{origin}: [extend] disabledRules: no rule {id:?} in force (gitleaks' default rule ids have no keyhound counterpart)"
            )),
        }
    }
    settings.noise.gitleaks_allow = config::gitleaks::Allowlists::new(&gitleaks.allowlists)?;
    let config_size = settings.config.as_ref().and_then(|(_, c)| c.max_file_size);
    let walk = WalkOptions {
        respect_gitignore: !a.no_gitignore,
        follow_links: a.follow_links,
        max_file_size: a
            .max_file_size
            .or(a.gitleaks.max_size())
            .or(config_size)
            .unwrap_or(WalkOptions::default().max_file_size),
        threads: a.threads.unwrap_or(0),
        binary_strings: !a.no_binary_strings,
        ..WalkOptions::default()
    };
    let (context, repo_vcs) =
        super::root::context(&a.git, &paths, stdin, a.sarif_category.clone(), ci_branch());
    let walk = WalkOptions {
        archives: archive_limits(a, walk.max_file_size),
        ..walk
    };
    // Progress on a terminal only: never in a pipe, a log or with --quiet.
    let progress = (!many && !g.quiet && std::io::stderr().is_terminal()).then(Arc::default);
    let source = if many {
        super::org::source(&a.git, &a.paths, &walk)?
    } else {
        source(&a.git, paths, walk, progress.clone())?
    };
    let t = &a.verify.tencent;
    let verifying = a.verify.verify || t.audit || t.profile.is_some();
    let verify = if verifying {
        Some(Tencent {
            endpoints,
            auditor: auditor_credential(t, false).transpose(),
        })
    } else {
        None
    };
    let config_format = settings.config.as_ref().and_then(|(_, c)| c.format);
    let mut engine = Engine::new(&rules)?;
    engine.set_decode_depth(a.decode_depth);
    Ok(Scan {
        source,
        engine,
        noise: settings.noise,
        verify,
        providers: verifying.then_some(others),
        output: Output {
            format: match (
                a.format
                    .map(Format::from)
                    .or(a.gitleaks.format())
                    .or(config_format)
                    .unwrap_or_default(),
                a.gitleaks_mode,
            ) {
                (Format::Json, Some(_)) => Format::GitleaksJson,
                (f, _) => f,
            },
            path: a.output.clone().or_else(|| a.gitleaks.report_path.clone()),
            show_secrets: a.show_secrets,
            color: g.color,
            redact_percent: a.gitleaks.redact,
            gitleaks: a.gitleaks_mode,
        },
        context,
        repo_vcs,
        progress,
        findings_exit: a.gitleaks.exit_code,
    })
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

/// Resolves `keyhound baseline create`.
pub(crate) fn baseline(g: &GlobalArgs, a: &ScanArgs, diags: &Diagnostics) -> anyhow::Result<Scan> {
    if a.format.is_some() || a.gitleaks.report_format.is_some() {
        anyhow::bail!("baseline create writes its own format; --format does not apply");
    }
    scan(g, a, diags)
}

/// Resolves `keyhound verify`.
pub(crate) fn verify(a: &VerifyArgs, diags: &Diagnostics) -> anyhow::Result<Verify> {
    let tencent = Tencent {
        endpoints: endpoints(&a.tencent)?,
        auditor: auditor_credential(&a.tencent, false)?.map(Ok),
    };
    Ok(Verify {
        from: a.from.clone(),
        format: a.format,
        output: a.output.clone(),
        show_secrets: a.show_secrets,
        rules: rules(&a.rules, diags)?,
        repo: open_repo(a.repo.as_deref())?,
        tencent,
        providers: provider_endpoints(&a.providers)?,
    })
}

/// Resolves `keyhound disable`.
pub(crate) fn disable(a: &DisableArgs) -> anyhow::Result<Disable> {
    if a.from.is_none() && a.secret_ids.is_empty() {
        anyhow::bail!(
            "nothing to disable: give --from REPORT, --finding FINGERPRINT or --secret-id AKID…"
        );
    }
    let endpoints = endpoints(&a.tencent)?;
    let repo = if a.from.is_some() {
        open_repo(a.repo.as_deref())?
    } else {
        None
    };
    let credential = required_credential(&a.tencent)?;
    Ok(Disable {
        from: a.from.clone(),
        findings: a.findings.clone(),
        secret_ids: a.secret_ids.clone(),
        repo,
        yes: a.yes,
        journal: journal(&a.journal)?,
        tencent: Tencent {
            endpoints,
            auditor: None,
        },
        credential,
    })
}

/// Resolves `keyhound enable`.
pub(crate) fn enable(a: &EnableArgs) -> anyhow::Result<Enable> {
    Ok(Enable {
        journal: journal(&a.journal)?,
        yes: a.yes,
        tencent: Tencent {
            endpoints: endpoints(&a.tencent)?,
            auditor: None,
        },
        credential: required_credential(&a.tencent)?,
    })
}

/// A resolved `keyhound audit`.
#[derive(Debug)]
pub(crate) struct Audit {
    /// The checks and their thresholds.
    pub settings: audit::Settings,
    /// How to write the report.
    pub format: audit::report::Format,
    /// `--output`, or standard output.
    pub output: Option<PathBuf>,
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// Tencent Cloud.
    pub tencent: Tencent,
    /// The auditor's credentials.
    pub credential: Found,
}

/// The checks `--check` names (default: all) minus those `--skip` names.
fn chosen_checks(
    checks: &[String],
    skips: &[String],
) -> anyhow::Result<std::collections::BTreeSet<CheckId>> {
    let parse = |ids: &[String]| -> anyhow::Result<std::collections::BTreeSet<CheckId>> {
        ids.iter()
            .map(|i| CheckId::parse(i).with_context(|| format!("unknown check id {i:?}")))
            .collect()
    };
    let mut set = if checks.is_empty() {
        CheckId::ALL.into_iter().collect()
    } else {
        parse(checks)?
    };
    for s in parse(skips)? {
        set.remove(&s);
    }
    if set.is_empty() {
        anyhow::bail!("--check/--skip leave no check to run");
    }
    Ok(set)
}

/// Resolves `keyhound audit` ("now" is read here, once).
pub(crate) fn audit(a: &AuditArgs) -> anyhow::Result<Audit> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let settings = audit::Settings {
        checks: chosen_checks(&a.checks, &a.skips)?,
        max_unused_days: a.max_unused,
        max_key_age_days: a.max_key_age,
        now,
    };
    let t = TencentArgs {
        endpoint: a.endpoint.clone(),
        other_site_endpoint: None,
        intl: a.intl,
        audit: true,
        profile: a.profile.clone(),
    };
    Ok(Audit {
        settings,
        format: match a.format {
            AuditFormat::Human => audit::report::Format::Human,
            AuditFormat::Json => audit::report::Format::Json,
            AuditFormat::Sarif => audit::report::Format::Sarif,
        },
        output: a.output.clone(),
        show_secrets: a.show_secrets,
        tencent: Tencent {
            endpoints: endpoints(&t)?,
            auditor: None,
        },
        credential: required_credential(&t)?,
    })
}

/// The built-in rules plus every `--rules` file, each loaded and compiled
/// once; how a gitleaks config converted goes to `diags` as notes.
pub(crate) fn rules(files: &[PathBuf], diags: &Diagnostics) -> anyhow::Result<RuleSet> {
    Ok(rules_and_allowlists(files, diags)?.0)
}

/// What gitleaks configs add to noise control: their allowlists, and the
/// rules they disable (with the file naming each).
#[derive(Default)]
struct GitleaksNoise {
    allowlists: Vec<rule::gitleaks::GitleaksAllow>,
    disabled_rules: Vec<(String, String)>,
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

    fn append(&mut self, other: &mut GitleaksNoise) {
        self.allowlists.append(&mut other.allowlists);
        self.disabled_rules.append(&mut other.disabled_rules);
    }
}

/// [`rules`], and the allowlists and disabled rules of gitleaks `--rules`
/// files.
fn rules_and_allowlists(
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
struct Settings {
    noise: Noise,
    config: Option<(PathBuf, config::Config)>,
    /// The config is a gitleaks one without `[extend] useDefault = true`:
    /// its rules replace the built-in ones, as they do gitleaks' defaults.
    standalone: bool,
    /// A gitleaks config's allowlists and disabled rules.
    gitleaks: GitleaksNoise,
}

fn noise(a: &NoiseArgs, paths: &[PathBuf], diags: &Diagnostics) -> anyhow::Result<Settings> {
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
            None => config::load_config_within(&p, config_cap(in_tree))?,
        };
        if in_tree {
            bound_tree_config(&p, &mut cfg, diags);
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

/// The most rules a config found in the scanned tree adds; only `--config`
/// raises it.
pub const MAX_TREE_RULES: usize = 1000;

/// Clamps a config found in the scanned tree to the defaults: its
/// `max_file_size` is only kept when it lowers the limit, and its rules past
/// [`MAX_TREE_RULES`] are left out, each with a warning.
fn bound_tree_config(path: &Path, cfg: &mut config::Config, diags: &Diagnostics) {
    let default = WalkOptions::default().max_file_size;
    if let Some(size) = cfg.max_file_size.filter(|s| *s > default) {
        diags.warn(format_args!(
            "{}: max_file_size = {size} ignored: a config in the scanned tree cannot raise the limit above the default {default} (use --config or --max-file-size)",
            path.display()
        ));
        cfg.max_file_size = None;
    }
    truncate_tree_rules(path, &mut cfg.rules, diags);
}

fn truncate_tree_rules(path: &Path, rules: &mut Vec<rule::Rule>, diags: &Diagnostics) {
    if rules.len() > MAX_TREE_RULES {
        diags.warn(format_args!(
            "{}: {} rules, only the first {MAX_TREE_RULES} used: a config in the scanned tree is bounded (use --config to load more)",
            path.display(),
            rules.len()
        ));
        rules.truncate(MAX_TREE_RULES);
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
        truncate_tree_rules(path, &mut file.rules, diags);
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

fn source(
    git: &GitScanArgs,
    paths: Vec<PathBuf>,
    walk: WalkOptions,
    progress: Option<Arc<Progress>>,
) -> anyhow::Result<Source> {
    if git.pre_commit {
        return pre_commit_source(paths, walk, progress);
    }
    if !(git.history() || git.staged || git.pre_push) {
        return Ok(Source::Files(ScanPlan {
            paths,
            walk,
            progress,
        }));
    }
    let [repo] = &paths[..] else {
        anyhow::bail!("git scans take one repository path, got {}", paths.len());
    };
    let vcs = Vcs {
        ci_branch: ci_branch(),
    };
    if git.staged {
        return Ok(Source::Staged {
            repo: repo.clone(),
            max_blob_size: walk.max_file_size,
            archives: walk.archives,
            vcs,
            only: None,
        });
    }
    let selection = if git.pre_push {
        match pre_push_selection(repo)? {
            Some(s) => s,
            None => return Ok(Source::Nothing),
        }
    } else {
        history_selection(git)?
    };
    if let Some(p) = &progress {
        p.start_commits();
    }
    let plan = HistoryPlan {
        repo: repo.clone(),
        selection,
        max_blob_size: walk.max_file_size,
        archives: walk.archives,
        binary_strings: walk.binary_strings,
        threads: walk.threads,
        progress,
    };
    Ok(Source::History(plan, vcs))
}

/// `--pre-commit`: inside `git commit` (git sets `GIT_INDEX_FILE` for its
/// hooks), the lines the commit adds to exactly the files passed (the
/// framework's `exclude:`/`files:` already applied), or every staged file
/// when none is; otherwise (`pre-commit run --all-files`, `--files F`, where
/// the framework has stashed unstaged changes) the files passed, in full.
fn pre_commit_source(
    paths: Vec<PathBuf>,
    walk: WalkOptions,
    progress: Option<Arc<Progress>>,
) -> anyhow::Result<Source> {
    let defaulted = paths.len() == 1 && paths[0].as_os_str() == ".";
    let committing = std::env::var_os("GIT_INDEX_FILE").is_some();
    if !(defaulted || committing) {
        return Ok(Source::Files(ScanPlan {
            paths,
            walk,
            progress,
        }));
    }
    let only = if defaulted {
        None
    } else {
        let repo = src::open(Path::new("."))?;
        let root = repo.workdir().map(std::fs::canonicalize).transpose()?;
        let cwd = std::env::current_dir()?;
        let rel = |p: &PathBuf| {
            let abs = std::path::absolute(cwd.join(p)).unwrap_or_else(|_| cwd.join(p));
            let rel = root.as_ref().and_then(|r| abs.strip_prefix(r).ok())?;
            Some(rel.to_string_lossy().replace('\\', "/"))
        };
        Some(paths.iter().filter_map(rel).collect())
    };
    Ok(Source::Staged {
        repo: PathBuf::from("."),
        max_blob_size: walk.max_file_size,
        archives: walk.archives,
        vcs: Vcs {
            ci_branch: ci_branch(),
        },
        only,
    })
}

/// The branch a CI job runs for, from its variables.
fn ci_branch() -> Option<String> {
    ["GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"]
        .iter()
        .find_map(|k| env(k))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

pub(super) fn history_selection(git: &GitScanArgs) -> anyhow::Result<Selection> {
    let mut sel = match (&git.range, &git.branch) {
        (Some(r), _) => Selection::range(r)?,
        (None, Some(b)) => Selection {
            include: vec![Rev::Spec(b.clone())],
            ..Selection::default()
        },
        (None, None) => Selection::default(),
    };
    sel.since = git.since;
    Ok(sel)
}

/// The most pre-push hook input read: a line per pushed ref is ~100 bytes,
/// so this allows hundreds of thousands of refs and stops a flood.
const MAX_PRE_PUSH_INPUT: u64 = 64 << 20;

/// The commits a push sends: from the pre-commit framework's variables, or
/// git's pre-push hook input on stdin. `None` when the push sends nothing new.
fn pre_push_selection(repo: &Path) -> anyhow::Result<Option<Selection>> {
    if let Some(to) = env("PRE_COMMIT_TO_REF") {
        let exclude = match env("PRE_COMMIT_FROM_REF") {
            Some(from) if !from.bytes().all(|b| b == b'0') => Rev::Spec(from),
            _ => Rev::Glob("refs/remotes/*".into()),
        };
        return Ok(Some(Selection {
            include: vec![Rev::Spec(to)],
            exclude: vec![exclude],
            since: None,
        }));
    }
    // The framework has read git's input itself; on a first push (the root
    // commit included) it sets no refs, only the local branch.
    if env("PRE_COMMIT").is_some() || env("PRE_COMMIT_REMOTE_NAME").is_some() {
        let Some(local) = env("PRE_COMMIT_LOCAL_BRANCH") else {
            anyhow::bail!(
                "cannot tell which commits are being pushed: the pre-commit framework set \
                 neither PRE_COMMIT_TO_REF nor PRE_COMMIT_LOCAL_BRANCH; blocking the push \
                 (scan it with `keyhound scan --range <remote>..HEAD`, then push with \
                 `--no-verify`)"
            );
        };
        return Ok(Some(Selection {
            include: vec![Rev::Spec(local)],
            exclude: vec![Rev::Glob("refs/remotes/*".into())],
            since: None,
        }));
    }
    if std::io::stdin().is_terminal() {
        anyhow::bail!(
            "--pre-push reads git's pre-push hook input on stdin; run it from a pre-push hook"
        );
    }
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_PRE_PUSH_INPUT + 1)
        .read_to_end(&mut input)
        .context("cannot read the pre-push hook input on stdin")?;
    if input.len() as u64 > MAX_PRE_PUSH_INPUT {
        anyhow::bail!(
            "the pre-push hook input on stdin is over {} MiB; git sends one short line per pushed ref",
            MAX_PRE_PUSH_INPUT >> 20
        );
    }
    let updates = src::parse_pre_push(&String::from_utf8_lossy(&input))?;
    let repo = src::open(repo)?;
    Ok(src::push_selection(&repo, &updates))
}

fn endpoints(t: &TencentArgs) -> anyhow::Result<Endpoints> {
    Ok(match &t.endpoint {
        Some(url) => match &t.other_site_endpoint {
            Some(other) => Endpoints::custom(url)?.with_other_site(other)?,
            None => Endpoints::custom(url)?,
        },
        None if t.intl => Endpoints::site(Site::International),
        None => Endpoints::site(Site::China),
    })
}

fn provider_endpoints(a: &ProviderArgs) -> anyhow::Result<ProviderEndpoints> {
    let mut e = ProviderEndpoints::resolve(&a.provider_endpoint)?;
    if let Some(url) = &a.cdnetworks_endpoint {
        e.set(VerifyWith::Cdnetworks, http::Endpoint::custom(url)?);
    }
    Ok(e)
}

/// The auditor's credentials when auditor mode is on (or `required`):
/// `Ok(None)` when it is off. Found the way Tencent's SDKs and tccli find
/// them ([`credential`]); a role they name is assumed when the command runs.
fn auditor_credential(t: &TencentArgs, required: bool) -> anyhow::Result<Option<Found>> {
    if !(required || t.audit || t.profile.is_some()) {
        return Ok(None);
    }
    let places = credential::Places::system();
    let Some(found) = credential::load(t.profile.as_deref(), &places, |k| std::env::var(k).ok())?
    else {
        anyhow::bail!(
            "auditor credentials needed: set {} and {}, pass --profile NAME, or configure \
             tccli's default profile or ~/.tencentcloud/credentials",
            credential::ENV_SECRET_ID,
            credential::ENV_SECRET_KEY
        );
    };
    Ok(Some(found))
}

fn required_credential(t: &TencentArgs) -> anyhow::Result<Found> {
    auditor_credential(t, true)?.context("auditor credentials needed")
}

/// The repository `dir` names, or the one holding the current directory.
fn open_repo(dir: Option<&Path>) -> anyhow::Result<Option<git2::Repository>> {
    match dir {
        Some(d) => git2::Repository::open(d).map(Some).map_err(|e| {
            if e.code() == git2::ErrorCode::NotFound {
                anyhow::anyhow!("not a git repository: {}", d.display())
            } else {
                anyhow::anyhow!(
                    "cannot open git repository {}: {}",
                    d.display(),
                    e.message()
                )
            }
        }),
        None => Ok(git2::Repository::discover(".").ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_check_and_skip_combine() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(chosen_checks(&[], &[]).unwrap().len(), 12);
        let only = chosen_checks(&s(&["mfa-off", "admin-key"]), &s(&["admin-key"])).unwrap();
        assert_eq!(only.into_iter().collect::<Vec<_>>(), [CheckId::MfaOff]);
        assert!(chosen_checks(&s(&["mfa-off"]), &s(&["mfa-off"])).is_err());
        let lib: Vec<&str> = CheckId::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(lib, super::super::args::CHECK_IDS);
    }
}
