//! `--verify` of `keyhound scan`, and `verify`, `disable`, `enable`. Owned by
//! the CAM work (issue 4).

use super::{Exit, GlobalArgs};
use crate::action::{self, Change, Step, Target, journal};
use crate::engine::Engine;
use crate::finding::{Finding, SecretKind, redact};
use crate::message;
use crate::rule::{Rule, RuleSet, VerifyWith};
use crate::verify::input::{ReportFinding, read_report};
use crate::verify::tencent::{
    AccountIndex, Auditor, Client, ClientOptions, Endpoints, Site, Verifier, credential,
    is_secret_id,
};
use crate::verify::{Outcome, Verification};
use anyhow::{Context, bail};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Where and as whom to talk to Tencent Cloud.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct TencentArgs {
    /// Send every Tencent API call to URL instead (https, or http to a
    /// loopback address only: for tests and local proxies).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_TENCENT_ENDPOINT",
        help_heading = "Tencent Cloud"
    )]
    pub endpoint: Option<String>,
    /// Use the international site (*.intl.tencentcloudapi.com).
    #[arg(long, help_heading = "Tencent Cloud")]
    pub intl: bool,
    /// Auditor mode: also look every found SecretId up in your own account,
    /// with TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY.
    #[arg(long, help_heading = "Tencent Cloud")]
    pub audit: bool,
    /// Auditor mode with tccli profile NAME (~/.tccli/NAME.credential).
    #[arg(long, value_name = "NAME", help_heading = "Tencent Cloud")]
    pub profile: Option<String>,
}

/// Verification options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct VerifyScanArgs {
    /// Check found Tencent keys live, each distinct pair once (only TC3
    /// signatures are sent, never a SecretKey). --audit and --profile imply it.
    #[arg(long, help_heading = "Tencent Cloud")]
    pub verify: bool,
    #[command(flatten)]
    pub tencent: TencentArgs,
}

/// Arguments of `keyhound verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The JSON report to check (written by `scan --format json`). A
    /// redacted report is completed by rescanning the files it lists.
    #[arg(long, value_name = "FILE", required = true)]
    pub from: PathBuf,
    /// Output: one line per finding, or the report again with `verification` filled in.
    #[arg(short, long, value_enum, default_value = "human")]
    pub format: VerifyFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rules used to rescan a redacted report's files (besides the built-in ones).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// The git repository of a redacted report's git locations (default:
    /// the one holding the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub tencent: TencentArgs,
}

/// `verify --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyFormat {
    /// One line per finding.
    Human,
    /// The input report with `verification` filled in.
    Json,
}

/// Arguments of `keyhound disable`.
#[derive(Debug, Args)]
#[command(
    after_help = "Keys are set Inactive, which `keyhound enable` undoes. keyhound never \
deletes keys. Only keys your own account lists are touched, never the credentials keyhound runs \
with. Needs auditor credentials (TENCENTCLOUD_SECRET_ID/_KEY or --profile) allowed to call \
cam:ListUsers, cam:ListAccessKeys and cam:UpdateAccessKey."
)]
pub(crate) struct DisableArgs {
    /// Disable the Tencent keys found in this JSON report.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Only the findings of --from with this fingerprint; may repeat.
    #[arg(long = "finding", value_name = "FINGERPRINT", requires = "from")]
    pub findings: Vec<String>,
    /// Disable this SecretId; may repeat.
    #[arg(long = "secret-id", value_name = "AKID…")]
    pub secret_ids: Vec<String>,
    /// The git repository of a redacted report's git locations (default:
    /// the one holding the current directory).
    #[arg(long, value_name = "DIR", requires = "from")]
    pub repo: Option<PathBuf>,
    /// Act; without it only the plan is printed.
    #[arg(long)]
    pub yes: bool,
    /// Append every action to FILE.
    #[arg(long, value_name = "FILE", default_value = journal::DEFAULT_JOURNAL)]
    pub journal: PathBuf,
    #[command(flatten)]
    pub tencent: TencentArgs,
}

/// Arguments of `keyhound enable`.
#[derive(Debug, Args)]
#[command(
    after_help = "Re-activates the keys the journal shows keyhound disabled (and did not \
re-enable since), journaling that too."
)]
pub(crate) struct EnableArgs {
    /// The journal written by `keyhound disable`.
    #[arg(long, value_name = "FILE", default_value = journal::DEFAULT_JOURNAL)]
    pub journal: PathBuf,
    /// Act; without it only the plan is printed.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub tencent: TencentArgs,
}

pub(crate) fn client(t: &TencentArgs) -> anyhow::Result<Client> {
    let endpoints = match &t.endpoint {
        Some(url) => Endpoints::custom(url)?,
        None if t.intl => Endpoints::site(Site::International),
        None => Endpoints::site(Site::China),
    };
    Ok(Client::new(endpoints, ClientOptions::default())?)
}

/// Loads the auditor's credentials and indexes their account, when auditor
/// mode is on (or `required`).
fn auditor(t: &TencentArgs, client: &Client, required: bool) -> anyhow::Result<Option<Auditor>> {
    if !(required || t.audit || t.profile.is_some()) {
        return Ok(None);
    }
    let home = std::env::home_dir();
    let Some(cred) = credential::load(t.profile.as_deref(), home.as_deref(), |k| {
        std::env::var(k).ok()
    })?
    else {
        bail!(
            "auditor credentials needed: set {} and {}, or pass --profile NAME",
            credential::ENV_SECRET_ID,
            credential::ENV_SECRET_KEY
        );
    };
    let index = AccountIndex::build(client, &cred)?;
    for gap in &index.gaps {
        message::warn(gap);
    }
    Ok(Some(Auditor {
        credential: cred,
        index,
    }))
}

fn verifiable(rules: &[Rule], f: &Finding) -> bool {
    rules
        .iter()
        .any(|r| r.id == f.rule && r.verify == Some(VerifyWith::Tencent))
}

/// `scan --verify`: fills `verification` of the Tencent findings (those
/// left after allowlists, ignore entries and baselines).
/// Rejects a bad `--endpoint` before any scanning, so a long scan does not
/// end in an argument error (or pass silently when nothing was found).
pub(crate) fn check_args(a: &VerifyScanArgs) -> anyhow::Result<()> {
    if let Some(url) = &a.tencent.endpoint {
        Endpoints::custom(url)?;
    }
    Ok(())
}

pub(crate) fn verify_scan(
    a: &VerifyScanArgs,
    rules: &[Rule],
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    let t = &a.tencent;
    let wanted = a.verify || t.audit || t.profile.is_some();
    if !wanted || !findings.iter().any(|f| verifiable(rules, f)) {
        return Ok(());
    }
    let client = client(t)?;
    // A failing auditor must not cost the user the scan's report.
    let auditor = auditor(t, &client, false).unwrap_or_else(|e| {
        message::error(format!("{e:#}; verifying without auditor mode"));
        None
    });
    let mut v = Verifier::new(client, auditor);
    v.verify_findings(findings, |f| verifiable(rules, f));
    Ok(())
}

fn describe(v: &Verification) -> String {
    let mut s = format!("{}: {}", outcome_word(v.outcome), v.detail);
    if let Some(o) = &v.owner {
        let who = o.principal.as_deref().unwrap_or("owner");
        s.push_str(&format!("; {who}"));
        if let Some(n) = &o.name {
            s.push_str(&format!(" {n}"));
        }
        if let Some(u) = &o.uin {
            s.push_str(&format!(" uin {u}"));
        }
        if let Some(u) = &o.owner_uin {
            s.push_str(&format!(" of account {u}"));
        }
        if let Some(a) = o.app_id {
            s.push_str(&format!(" (AppId {a})"));
        }
    }
    if let Some(st) = &v.status {
        s.push_str(&format!("; status {st}"));
    }
    if let Some(c) = &v.created {
        s.push_str(&format!("; created {c}"));
    }
    if let Some(l) = &v.last_used {
        s.push_str(&format!("; last used {l}"));
    }
    if let Some(r) = &v.request_id {
        s.push_str(&format!("; RequestId {r}"));
    }
    s
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Live => "LIVE",
        Outcome::NotLive => "not live",
        Outcome::Unknown => "unknown",
        Outcome::Skipped => "skipped",
    }
}

fn shown_id(f: &ReportFinding) -> String {
    if f.redacted {
        f.secret.clone()
    } else {
        redact(&f.secret, SecretKind::Identifier)
    }
}

/// The repository `dir` names, or the one holding the current directory.
fn open_repo(dir: Option<&std::path::Path>) -> anyhow::Result<Option<git2::Repository>> {
    match dir {
        Some(d) => git2::Repository::open(d)
            .map(Some)
            .with_context(|| format!("cannot open git repository {}", d.display())),
        None => Ok(git2::Repository::discover(".").ok()),
    }
}

pub(crate) fn open_output(output: Option<&PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

/// `keyhound verify --from REPORT`.
pub(crate) fn run_verify(_g: &GlobalArgs, a: &VerifyArgs) -> anyhow::Result<Exit> {
    let (mut doc, findings) = read_report(&a.from)?;
    let rules = super::scan::load_rules(&a.rules)?;
    let engine = Engine::new(&rules)?;
    let repo = open_repo(a.repo.as_deref())?;
    let client = client(&a.tencent)?;
    let auditor = auditor(&a.tencent, &client, false)?;
    let mut verifier = Verifier::new(client, auditor);
    let mut lines = Vec::new();
    let mut live = false;
    let candidates: Vec<&ReportFinding> =
        findings.iter().filter(|f| is_tencent(&rules, f)).collect();
    let mut recovered = Vec::new();
    for f in candidates {
        let head = format!(
            "{} {}",
            &f.fingerprint[..f.fingerprint.len().min(12)],
            shown_id(f)
        );
        match f.recover(&engine, repo.as_ref()) {
            Ok(r) if is_secret_id(r.secret.expose()) => recovered.push((f, head, r)),
            Ok(_) => message::warn(format!("{head}: not a Tencent SecretId, skipped")),
            Err(why) => message::error(format!("{head}: cannot verify: {why}")),
        }
    }
    let mut ids: Vec<&str> = recovered
        .iter()
        .map(|(_, _, r)| r.secret.expose())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    verifier.prefetch_last_used(&ids);
    for (f, head, rec) in &recovered {
        let v = verifier.verify(rec.secret.expose(), rec.key.as_ref(), rec.token.as_ref());
        live |= v.outcome == Outcome::Live;
        lines.push(format!("{head}  {}", describe(&v)));
        doc.findings[f.index].verification = Some(v);
    }
    let mut w = open_output(a.output.as_ref())?;
    match a.format {
        VerifyFormat::Human => {
            for l in &lines {
                writeln!(w, "{}", crate::report::sanitize::sanitize(l))?;
            }
        }
        VerifyFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &doc)?;
            writeln!(w)?;
        }
    }
    w.flush()?;
    Ok(if live { Exit::Findings } else { Exit::Clean })
}

/// Whether a report's finding is a Tencent credential: its rule says so, or
/// its (unredacted or shortened) secret looks like a SecretId.
fn is_tencent(rules: &RuleSet, f: &ReportFinding) -> bool {
    rules
        .get(&f.rule)
        .is_some_and(|r| r.verify == Some(VerifyWith::Tencent))
        || f.secret.starts_with("AKID")
        || f.secret.starts_with("IKID")
}

/// The SecretId a report's finding names: the raw value, the value found
/// again in its files, or (failing that) its shortened form, which the
/// auditor's key list resolves.
fn report_id(
    f: &ReportFinding,
    engine: &Engine,
    repo: Option<&git2::Repository>,
) -> Result<String, String> {
    let shortened = f.secret.starts_with("AKID") || f.secret.starts_with("IKID");
    if !f.redacted && shortened {
        return Ok(f.secret.clone());
    }
    match f.recover(engine, repo) {
        Ok(r) => Ok(r.secret.expose().to_string()),
        Err(_) if shortened => Ok(f.secret.clone()),
        Err(why) => Err(why),
    }
}

fn targets_from(a: &DisableArgs) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    if let Some(from) = &a.from {
        let (_, findings) = read_report(from)?;
        let rules = super::scan::load_rules(&[])?;
        let engine = Engine::new(&rules)?;
        let repo = open_repo(a.repo.as_deref())?;
        for fp in &a.findings {
            if !findings
                .iter()
                .any(|f| f.fingerprint.eq_ignore_ascii_case(fp))
            {
                message::error(format!(
                    "{}: no finding with fingerprint {fp}",
                    from.display()
                ));
            }
        }
        for f in findings {
            let picked = a.findings.is_empty()
                || a.findings
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(&f.fingerprint));
            if !picked || !is_tencent(&rules, &f) {
                continue;
            }
            let origin = format!("finding {}", &f.fingerprint[..f.fingerprint.len().min(12)]);
            match report_id(&f, &engine, repo.as_ref()) {
                Ok(id) => out.push(Target { id, origin }),
                Err(why) => message::error(format!("{origin}: cannot tell which key: {why}")),
            }
        }
    }
    for id in &a.secret_ids {
        out.push(Target {
            id: id.trim().to_string(),
            origin: "--secret-id".to_string(),
        });
    }
    if out.is_empty() && !message::errored() {
        bail!("nothing to disable: give --from REPORT, --finding FINGERPRINT or --secret-id AKID…");
    }
    Ok(out)
}

fn print_plan(items: &[action::PlanItem], change: Change) -> anyhow::Result<usize> {
    let mut out = std::io::stdout().lock();
    let mut changes = 0;
    for it in items {
        match &it.step {
            Step::Change(k) => {
                changes += 1;
                let who = match &k.name {
                    Some(n) => format!("{} {n}", k.principal),
                    None => k.principal.clone(),
                };
                writeln!(
                    out,
                    "{} {}  {who} (uin {})  [{}]",
                    change.verb(),
                    action::short(&k.id),
                    k.uin,
                    it.target.origin
                )?;
            }
            Step::NothingToDo(k) => writeln!(
                out,
                "nothing to do {}: already {}  [{}]",
                action::short(&k.id),
                k.status,
                it.target.origin
            )?,
            Step::Refused(why) => message::error(format!(
                "{} [{}]: refused: {why}",
                shown(&it.target.id),
                it.target.origin
            )),
        }
    }
    Ok(changes)
}

fn shown(id: &str) -> String {
    if id.contains('…') {
        id.to_string()
    } else {
        action::short(id)
    }
}

fn act(
    t: &TencentArgs,
    targets: Vec<Target>,
    change: Change,
    yes: bool,
    journal_path: &std::path::Path,
) -> anyhow::Result<Exit> {
    let client = client(t)?;
    let Some(aud) = auditor(t, &client, true)? else {
        bail!("auditor credentials needed");
    };
    let items = action::plan(&aud.index, &targets, change);
    let changes = print_plan(&items, change)?;
    if !yes {
        println!(
            "dry run: nothing changed; run again with --yes to {} {changes} key(s)",
            change.verb()
        );
        return Ok(Exit::Clean);
    }
    let done = action::apply(
        &client,
        &aud.credential,
        &aud.index,
        &items,
        change,
        journal_path,
    )?;
    for e in &done {
        let line = format!(
            "{} {}: {}{}{}",
            e.action,
            e.key,
            e.result,
            e.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            e.request_id
                .as_deref()
                .map(|r| format!(", RequestId {r}"))
                .unwrap_or_default()
        );
        if e.result == "confirmed" {
            println!("{line}");
        } else {
            message::error(line);
        }
    }
    if !done.is_empty() {
        println!("journal: {}", journal_path.display());
    }
    Ok(Exit::Clean)
}

/// `keyhound disable`.
pub(crate) fn run_disable(_g: &GlobalArgs, a: &DisableArgs) -> anyhow::Result<Exit> {
    let targets = targets_from(a)?;
    act(&a.tencent, targets, Change::Disable, a.yes, &a.journal)
}

/// `keyhound enable`.
pub(crate) fn run_enable(_g: &GlobalArgs, a: &EnableArgs) -> anyhow::Result<Exit> {
    let entries = journal::read(&a.journal)?;
    let targets: Vec<Target> = journal::disabled_by_us(&entries)
        .into_iter()
        .map(|(key, _, uin)| Target {
            id: key,
            origin: format!("journal, uin {uin}"),
        })
        .collect();
    if targets.is_empty() {
        println!(
            "{}: no key disabled by keyhound to re-enable",
            a.journal.display()
        );
        return Ok(Exit::Clean);
    }
    act(&a.tencent, targets, Change::Enable, a.yes, &a.journal)
}
