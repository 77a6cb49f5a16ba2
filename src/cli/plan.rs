//! Resolution: turns the parsed arguments of a command into the one plan it
//! runs. Every flag, config file, ignore file, baseline, rules file,
//! endpoint, credential and environment variable a command depends on is
//! read and checked here, before any scanning starts; a bad one ends the
//! command here with exit code 2.

use super::args::{
    AuditArgs, AuditFormat, ColorChoice, DisableArgs, EnableArgs, GlobalArgs, ProviderArgs,
    RespondArgs, ScanArgs, TencentArgs, VerifyArgs, VerifyFormat,
};
use crate::audit::{self, CheckId};
use crate::config::{self, Noise};
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::report::{Format, ScanContext, VcsInfo};
use crate::rule::{self, RuleSet, VerifyWith};
use crate::scan::ScanPlan;
use crate::scan::git::HistoryPlan;
use crate::scan::progress::Progress;
use crate::source::archive;
use crate::source::fs::{STDIN, WalkOptions};
use crate::verify::http;
use crate::verify::registry::Endpoints as ProviderEndpoints;
use crate::verify::tencent::credential::Found;
use crate::verify::tencent::{Client, ClientOptions, Endpoints};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod noise;
mod reach;
mod source;

pub(crate) use noise::rules;
use noise::{noise, rules_and_allowlists};
use reach::{auditor_credential, endpoints, provider_endpoints, required_credential};
pub(super) use source::history_selection;
use source::{ci_branch, source};

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
    /// `--verify`, `--audit` or `--profile`: the providers that check the
    /// findings, in order (empty when not verifying).
    pub verifiers: Vec<Verifier>,
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

/// One verifier of a run: how to reach a provider, and as whom.
#[derive(Debug)]
pub(crate) enum Verifier {
    /// Tencent Cloud, with auditor mode when asked for.
    Tencent(Box<Tencent>),
    /// The providers on the seam, each at its endpoint.
    Seam(ProviderEndpoints),
}

/// The Tencent Cloud verifier among `verifiers`.
pub(crate) fn tencent_of(verifiers: &[Verifier]) -> Option<&Tencent> {
    verifiers.iter().find_map(|v| match v {
        Verifier::Tencent(t) => Some(&**t),
        Verifier::Seam(_) => None,
    })
}

/// The endpoints of the providers on the seam among `verifiers`.
pub(crate) fn seam_of(verifiers: &[Verifier]) -> Option<&ProviderEndpoints> {
    verifiers.iter().find_map(|v| match v {
        Verifier::Seam(e) => Some(e),
        Verifier::Tencent(_) => None,
    })
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
    /// Tencent Cloud and the providers on the seam.
    pub verifiers: Vec<Verifier>,
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
    /// The auditor's credentials (needed once a Tencent key is a target).
    pub credential: anyhow::Result<Found>,
    /// Alibaba Cloud: STS's endpoint (RAM's beside it) and the user's own key.
    pub alibaba: Alibaba,
}

/// How to reach Alibaba Cloud to change a key's status, and as whom.
#[derive(Debug)]
pub(crate) struct Alibaba {
    /// STS's endpoint (`--provider-endpoint alibaba=URL`).
    pub endpoint: http::Endpoint,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET` (and `_SECURITY_TOKEN`),
    /// the variables Alibaba's own credential chain reads.
    pub key: Option<crate::verify::alibaba::ram::AuditorKey>,
}

/// The Alibaba Cloud side of `disable`/`enable`.
fn alibaba(a: &ProviderArgs) -> anyhow::Result<Alibaba> {
    let endpoints = provider_endpoints(a)?;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let key = match (
        var("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ) {
        (Some(id), Some(secret)) => Some(crate::verify::alibaba::ram::AuditorKey {
            id: id.trim().to_string(),
            secret: crate::finding::Secret::new(secret.trim(), crate::finding::SecretKind::Key),
            token: var("ALIBABA_CLOUD_SECURITY_TOKEN")
                .map(|t| crate::finding::Secret::new(t.trim(), crate::finding::SecretKind::Key)),
        }),
        (Some(_), None) | (None, Some(_)) => anyhow::bail!(
            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET go together: one \
             of them is not set"
        ),
        (None, None) => None,
    };
    Ok(Alibaba {
        endpoint: endpoints
            .get(VerifyWith::Alibaba)
            .cloned()
            .expect("Alibaba Cloud has an endpoint"),
        key,
    })
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
    scan.verifiers = vec![
        Verifier::Tencent(Box::new(Tencent {
            endpoints: endpoints(t)?,
            auditor: None,
        })),
        Verifier::Seam(provider_endpoints(&a.scan.verify.providers)?),
    ];
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
    /// The auditor's credentials (needed once a Tencent key is journaled).
    pub credential: anyhow::Result<Found>,
    /// Alibaba Cloud.
    pub alibaba: Alibaba,
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
    let verifiers = if verifying {
        vec![
            Verifier::Tencent(Box::new(Tencent {
                endpoints,
                auditor: auditor_credential(t, false).transpose(),
            })),
            Verifier::Seam(others),
        ]
    } else {
        Vec::new()
    };
    let config_format = settings.config.as_ref().and_then(|(_, c)| c.format);
    let mut engine = Engine::new(&rules)?;
    engine.set_decode_depth(a.decode_depth);
    Ok(Scan {
        source,
        engine,
        noise: settings.noise,
        verifiers,
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
        verifiers: vec![
            Verifier::Tencent(Box::new(tencent)),
            Verifier::Seam(provider_endpoints(&a.providers)?),
        ],
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
    let credential = required_credential(&a.tencent);
    Ok(Disable {
        alibaba: alibaba(&a.providers)?,
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
        credential: required_credential(&a.tencent),
        alibaba: alibaba(&a.providers)?,
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
        assert_eq!(chosen_checks(&[], &[]).unwrap().len(), 14);
        let only = chosen_checks(&s(&["mfa-off", "admin-key"]), &s(&["admin-key"])).unwrap();
        assert_eq!(only.into_iter().collect::<Vec<_>>(), [CheckId::MfaOff]);
        assert!(chosen_checks(&s(&["mfa-off"]), &s(&["mfa-off"])).is_err());
        let lib: Vec<&str> = CheckId::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(lib, super::super::args::CHECK_IDS);
    }
}
