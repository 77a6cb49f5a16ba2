//! `keyhound disable`: sets the leaked keys of the user's own account
//! Inactive, after a dry run that shows the plan; every change journaled.

use super::args::DisableArgs;
use super::exit::Exit;
use super::tencent::{auditor, is_tencent, report_id};
use super::{message, plan};
use crate::action::journal::EntryResult;
use crate::action::{self, Change, Step, Target};
use crate::engine::Engine;
use crate::rule::RuleSet;
use crate::verify::input::{Sources, read_report, recover};
use anyhow::bail;
use std::io::Write;

/// `keyhound disable`.
pub(crate) fn run(a: &DisableArgs) -> anyhow::Result<Exit> {
    let plan = plan::disable(a)?;
    let targets = targets_from(&plan)?;
    act_all(
        &plan.tencent,
        plan.credential,
        &plan.alibaba,
        targets,
        Change::Disable,
        plan.yes,
        &plan.journal,
    )
}

/// Acts on each provider's targets in turn (Tencent Cloud, then Alibaba
/// Cloud), each in the account of the user's own credentials there; the
/// exit code is the worst of them.
pub(crate) fn act_all(
    t: &plan::Tencent,
    cred: anyhow::Result<crate::verify::tencent::credential::Found>,
    ali: &plan::Alibaba,
    targets: Vec<Target>,
    change: Change,
    yes: bool,
    journal_path: &std::path::Path,
) -> anyhow::Result<Exit> {
    let (alibaba, tencent): (Vec<Target>, Vec<Target>) = targets
        .into_iter()
        .partition(|t| super::alibaba::is_access_key_id(&t.id));
    let mut exit = Exit::Clean;
    if !tencent.is_empty() {
        exit = act(t, &cred?, tencent, change, yes, journal_path)?;
    }
    if !alibaba.is_empty() {
        let p = super::alibaba::plan(ali, &alibaba, change)?;
        let e = carry_out(&p.ram, &p.index, &p.items, change, yes, journal_path)?;
        if e != Exit::Clean {
            exit = e;
        }
    }
    Ok(exit)
}

fn targets_from(a: &plan::Disable) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    if let Some(from) = &a.from {
        let doc = read_report(from)?;
        let repo = Sources::of(&doc, a.repo.as_ref(), &crate::org::clone::default_dir());
        let findings = doc.findings;
        let rules = RuleSet::builtin();
        let engine = Engine::new(&rules)?;
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
            if !picked || !(is_tencent(&rules, &f) || super::alibaba::is_alibaba(&rules, &f)) {
                continue;
            }
            let origin = format!("finding {}", &f.fingerprint[..f.fingerprint.len().min(12)]);
            let found = recover(&f, &engine, &repo).ok();
            match report_id(&f, &engine, &repo) {
                Ok(id) => {
                    let found = found.filter(|r| r.secret.expose() == id);
                    out.push(Target {
                        id,
                        origin,
                        key: found.as_ref().and_then(|r| r.key.clone()),
                        token: found.and_then(|r| r.token),
                        claimed: None,
                    })
                }
                Err(why) => message::error(format!("{origin}: cannot tell which key: {why}")),
            }
        }
    }
    for id in &a.secret_ids {
        out.push(Target {
            id: id.trim().to_string(),
            origin: "--secret-id".to_string(),
            key: None,
            token: None,
            claimed: None,
        });
    }
    if out.is_empty() && !message::errored() {
        bail!("nothing to disable: give --from REPORT, --finding FINGERPRINT or --secret-id AKID…");
    }
    Ok(out)
}

/// What a printed plan holds: changes to make, and refusals of live keys of
/// other accounts.
#[derive(Default)]
struct Counts {
    changes: usize,
    foreign: usize,
}

fn print_plan(items: &[action::PlanItem], change: Change) -> anyhow::Result<Counts> {
    let mut out = std::io::stdout().lock();
    // Names and details come from the server and the report: each line is
    // shown the way diagnostics are (no controls, no full SecretId).
    let mut line = |text: String| writeln!(out, "{}", message::shown(&text));
    let mut n = Counts::default();
    for it in items {
        match &it.step {
            Step::Change(k) => {
                n.changes += 1;
                let who = match &k.name {
                    Some(n) => format!("{} {n}", k.principal),
                    None => k.principal.clone(),
                };
                line(format!(
                    "{} {}  {who} (uin {})  [{}]",
                    change.verb(),
                    action::short(&k.id),
                    k.uin,
                    it.target.origin
                ))?;
            }
            Step::NothingToDo(k) => line(format!(
                "nothing to do {}: already {}  [{}]",
                action::short(&k.id),
                k.status,
                it.target.origin
            ))?,
            Step::NotLive(why) => line(format!(
                "nothing to do {}: not live ({why})  [{}]",
                shown(&it.target.id),
                it.target.origin
            ))?,
            Step::Foreign(o) => {
                n.foreign += 1;
                line(format!(
                    "refused {}: {}  [{}]",
                    shown(&it.target.id),
                    foreign(o),
                    it.target.origin
                ))?;
            }
            Step::Refused(why) => message::error(format!(
                "{} [{}]: refused: {why}",
                shown(&it.target.id),
                it.target.origin
            )),
        }
    }
    Ok(n)
}

/// A target's id as printed: shortened, whatever the input held.
/// Why a live key of another account is refused, and what to do next.
pub(crate) fn foreign(o: &crate::verify::Owner) -> String {
    let quote = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    format!(
        "LIVE key of another account (owner uin {}, AppId {}, key uin {}); keyhound only \
         disables keys of your own account: notify the owner and quote these ids",
        quote(&o.owner_uin),
        o.app_id.map_or("?".to_string(), |a| a.to_string()),
        quote(&o.uin),
    )
}

/// The note after disabling a key of a user who holds `keys` keys.
pub(crate) fn two_key_note(uin: &str, keys: usize) -> Option<String> {
    (keys >= 2).then(|| {
        format!(
            "uin {uin} has {keys} keys, the most Tencent allows: to create a replacement, first \
             delete one (keyhound never deletes keys)"
        )
    })
}

fn shown(id: &str) -> String {
    if crate::finding::is_shortened_id(id) {
        id.to_string()
    } else {
        message::shown(&action::short(id))
    }
}

/// Plans `change` for `targets` in the account of `cred`, prints the plan,
/// and with `yes` applies it, journaling every call.
pub(crate) fn act(
    t: &plan::Tencent,
    cred: &crate::verify::tencent::credential::Found,
    targets: Vec<Target>,
    change: Change,
    yes: bool,
    journal_path: &std::path::Path,
) -> anyhow::Result<Exit> {
    let client = t.client_in(cred.region.as_deref())?;
    let aud = auditor(&client, cred)?;
    let mut items = action::plan(&aud.index, &targets, change);
    action::unlisted::settle(&client, &aud.index, &mut items);
    let api = action::TencentKeys {
        client: &client,
        auditor: &aud.credential,
    };
    carry_out(&api, &aud.index, &items, change, yes, journal_path)
}

/// Prints the plan `items` for the account `index` and, with `yes`, applies
/// it through `api`, journaling every call.
pub(crate) fn carry_out(
    api: &dyn action::KeyApi,
    index: &crate::verify::tencent::AccountIndex,
    items: &[action::PlanItem],
    change: Change,
    yes: bool,
    journal_path: &std::path::Path,
) -> anyhow::Result<Exit> {
    let counts = print_plan(items, change)?;
    let exit = if counts.foreign > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    };
    if !yes {
        println!(
            "dry run: nothing changed; run again with --yes to {} {} key(s)",
            change.verb(),
            counts.changes
        );
        return Ok(exit);
    }
    let shown_journal = message::shown(&journal_path.display().to_string());
    let mut journal = action::journal::Journal::open(journal_path)
        .map_err(|e| anyhow::anyhow!("{e}: nothing was changed"))?;
    let done = action::apply(api, index, items, change, &mut journal)
        .map_err(|e| anyhow::anyhow!("{e}: stopped before the next change"))?;
    for e in &done {
        let line = format!(
            "{} {}: {}{}{}",
            e.action.verb(),
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
        if e.result == EntryResult::Confirmed {
            println!("{}", message::shown(&line));
        } else {
            message::error(line);
        }
        let keys_of_user = index.keys.values().filter(|k| k.uin == e.uin).count();
        if e.result == EntryResult::Confirmed
            && change == Change::Disable
            && e.cloud == crate::action::journal::Cloud::Tencent
            && let Some(note) = two_key_note(&e.uin, keys_of_user)
        {
            println!("  note: {note}");
        }
    }
    if !done.is_empty() {
        println!("journal: {shown_journal}");
    }
    Ok(exit)
}
