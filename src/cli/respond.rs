//! `keyhound respond`: the one-step response a pipeline runs on every push
//! to a protected branch: `scan`, verification of every finding, `disable`
//! of the live keys of the user's own account (dry run unless `--yes`,
//! journaled), and the report with each finding's verdict and response.

use super::args::{GlobalArgs, RespondArgs};
use super::disable::{foreign, two_key_note};
use super::exit::Exit;
use super::{message, plan, tencent};
use crate::action::journal::{EntryResult, Journal};
use crate::action::{self, Change, Step, Target, unlisted};
use crate::diagnostic::Diagnostics;
use crate::finding::Finding;
use crate::finding::response::{Action, Response};
use crate::rule::{Rule, VerifyWith};
use crate::verify::Outcome;
use crate::verify::registry::Checkers;
use crate::verify::tencent::incident::left;
use crate::verify::tencent::{Auditor, Verifier};
use std::collections::HashMap;

/// `keyhound respond`.
pub(crate) fn run(g: &GlobalArgs, a: &RespondArgs) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let resolved = plan::respond(g, a, &diags);
    message::flush(&diags);
    let plan = resolved?;
    let mut report = super::scan::execute(&plan.scan, &diags)?;
    message::flush(&diags);
    let t = plan::tencent_of(&plan.scan.verifiers).expect("respond always verifies");
    let client = t.client_in(plan.credential.region.as_deref())?;
    // An auditor that cannot be read still leaves the report and the verdicts.
    let auditor = tencent::auditor(&client, &plan.credential)
        .map_err(|e| message::error(format!("{e:#}; verifying without it, nothing disabled")))
        .ok();
    let rules = report.rules.clone();
    let mut verifier = Verifier::new(client, auditor);
    verifier.verify_findings(&mut report.findings, |f| tencent::verifiable(&rules, f));
    if let Some(e) = plan::seam_of(&plan.scan.verifiers) {
        Checkers::new(e.clone()).verify_findings(&rules, &mut report.findings)?;
    }
    if let Some(aud) = verifier.auditor() {
        let left = left::findings(&report.findings, &aud.index);
        if !left.is_empty() {
            report.rules.extend(left::rules());
            report.findings.extend(left);
        }
    }
    let how = How {
        yes: plan.yes,
        persistence: plan.disable_persistence,
        journal: &plan.journal,
    };
    let responses = respond(&verifier, &report.findings, &report.rules, &how)?;
    for (f, r) in report.findings.iter_mut().zip(responses) {
        f.response = Some(r);
    }
    report.context.errors = message::errors();
    summarise(&report.findings, plan.yes, &plan.journal);
    let exit = if report.findings.iter().any(|f| {
        f.response
            .as_ref()
            .is_some_and(|r| r.action.needs_a_human())
    }) {
        Exit::Findings
    } else {
        Exit::Clean
    };
    match super::scan::write_report(&report, &plan.scan.output) {
        Err(e) if super::is_broken_pipe(&e) => Ok(exit),
        other => other.map(|()| exit),
    }
}

/// A response whose detail (which may quote a server or an error holding
/// the auditor's own SecretId) shows SecretIds shortened.
fn response(action: Action, detail: impl Into<String>) -> Response {
    Response {
        action,
        detail: crate::rule::echo::redact_ids(&detail.into()).into_owned(),
        request_id: None,
    }
}

fn provider(rules: &[Rule], f: &Finding) -> Option<VerifyWith> {
    rules.iter().find(|r| r.id == f.rule).and_then(|r| r.verify)
}

/// How `respond` acts: `--yes`, `--disable-persistence`, `--journal`.
struct How<'a> {
    yes: bool,
    persistence: bool,
    journal: &'a std::path::Path,
}

/// The response to a key or identity a leak left behind, or `None` for a
/// live key to plan (with `--disable-persistence`).
fn left_behind(f: &Finding, persistence: bool) -> Option<Option<Response>> {
    let live = f
        .verification
        .as_ref()
        .is_some_and(|v| v.outcome == Outcome::Live);
    Some(match f.rule.as_str() {
        left::KEY_RULE if live && persistence => None,
        left::KEY_RULE if live => Some(response(
            Action::NotActed,
            "created by the leaked key and Active: not disabled by default, as the owner may \
             have rotated; check it, then run respond --disable-persistence --yes",
        )),
        left::KEY_RULE => Some(response(
            Action::NothingToDo,
            "created by the leaked key, already Inactive",
        )),
        left::USER_RULE => Some(response(
            Action::NotActed,
            "created by the leaked key: check it and remove it in the CAM console \
             (keyhound never deletes identities)",
        )),
        _ => return None,
    })
}

/// The response to every finding, in order: live Tencent keys are planned
/// for `disable` as `keyhound disable` plans them, and disabled with `yes`;
/// keys a leak left behind too, with `--disable-persistence`.
fn respond(
    verifier: &Verifier,
    findings: &[Finding],
    rules: &[Rule],
    how: &How<'_>,
) -> anyhow::Result<Vec<Response>> {
    let (yes, journal) = (how.yes, how.journal);
    let mut out: Vec<Option<Response>> = findings
        .iter()
        .map(|f| left_behind(f, how.persistence).unwrap_or_else(|| settled(f, provider(rules, f))))
        .collect();
    let Some(aud) = verifier.auditor() else {
        for r in out.iter_mut().filter(|r| r.is_none()) {
            *r = Some(response(
                Action::Refused,
                "live, but the auditor's account could not be read: nothing disabled",
            ));
        }
        return Ok(out.into_iter().flatten().collect());
    };
    // One target per SecretId, however many findings show it.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut targets = Vec::new();
    for (i, f) in findings
        .iter()
        .enumerate()
        .filter(|(i, _)| out[*i].is_none())
    {
        let id = f.secret.expose();
        if !by_id.contains_key(id) {
            targets.push(Target {
                id: id.to_string(),
                origin: format!("finding {}", &f.fingerprint.as_str()[..12]),
                key: f.key.clone(),
                token: f.token.clone(),
                claimed: None,
            });
        }
        by_id.entry(id).or_default().push(i);
    }
    let mut items = action::plan(&aud.index, &targets, Change::Disable);
    for it in &mut items {
        let unlisted =
            matches!(it.step, Step::Refused(_)) && aud.index.resolve(&it.target.id).is_err();
        let first = by_id.get(it.target.id.as_str()).and_then(|v| v.first());
        // Settled with the verdict just reached, not with another call.
        if let (true, Some(v)) = (
            unlisted,
            first.and_then(|&i| findings[i].verification.as_ref()),
        ) {
            it.step = unlisted::step_for(v, &aud.index);
        }
    }
    let done = if yes && items.iter().any(|it| matches!(it.step, Step::Change(_))) {
        let mut j =
            Journal::open(journal).map_err(|e| anyhow::anyhow!("{e}: nothing was changed"))?;
        let api = action::TencentKeys {
            client: verifier.client(),
            auditor: &aud.credential,
        };
        action::apply(&api, &aud.index, &items, Change::Disable, &mut j)
            .map_err(|e| anyhow::anyhow!("{e}: stopped before the next change"))?
    } else {
        Vec::new()
    };
    for it in &items {
        let r = step_response(it, aud, &done, yes);
        if r.action == Action::Failed {
            message::error(format!("{}: {}", it.target.origin, r.detail));
        }
        for &i in by_id.get(it.target.id.as_str()).into_iter().flatten() {
            out[i] = Some(r.clone());
        }
    }
    Ok(out
        .into_iter()
        .map(|r| r.unwrap_or_else(|| response(Action::NotActed, "not planned")))
        .collect())
}

/// The response a finding gets without planning a disable, or `None` when
/// it is a live Tencent key to plan.
fn settled(f: &Finding, provider: Option<VerifyWith>) -> Option<Response> {
    let Some(v) = &f.verification else {
        return Some(response(
            Action::NotActed,
            "keyhound cannot check or disable this provider's keys: rotate it by hand",
        ));
    };
    match (v.outcome, provider) {
        (Outcome::Live, Some(VerifyWith::Tencent)) => None,
        (Outcome::Live, _) => Some(response(
            Action::NotActed,
            "live: keyhound does not disable CDNetworks keys; disable it in the CDNetworks \
             console (API Information Management, AccessKey Management)",
        )),
        (Outcome::NotLive, _) => Some(response(
            Action::NothingToDo,
            format!("not live: {}", v.detail),
        )),
        (o, _) => Some(response(
            Action::NotActed,
            format!(
                "the verdict is {}: check it by hand ({})",
                serde_json::to_value(o)
                    .ok()
                    .and_then(|x| x.as_str().map(str::to_string))
                    .unwrap_or_default(),
                v.detail
            ),
        )),
    }
}

fn step_response(
    it: &action::PlanItem,
    aud: &Auditor,
    done: &[action::journal::Entry],
    yes: bool,
) -> Response {
    match &it.step {
        Step::Change(k) => {
            let who = match &k.name {
                Some(n) => format!("{} {n}, uin {}", k.principal, k.uin),
                None => format!("{}, uin {}", k.principal, k.uin),
            };
            if !yes {
                return response(
                    Action::WouldDisable,
                    format!("dry run: run with --yes to set it Inactive ({who})"),
                );
            }
            let Some(e) = done.iter().find(|e| e.key == action::short(&k.id)) else {
                return response(Action::NothingToDo, "already Inactive when checked again");
            };
            let keys = aud.index.keys.values().filter(|x| x.uin == k.uin).count();
            let mut r = match e.result {
                EntryResult::Confirmed => response(
                    Action::Disabled,
                    match two_key_note(&k.uin, keys) {
                        Some(n) => format!("set Inactive ({who}); {n}"),
                        None => format!("set Inactive ({who})"),
                    },
                ),
                other => response(
                    Action::Failed,
                    format!(
                        "disable {other}: {}",
                        e.detail.as_deref().unwrap_or("no detail")
                    ),
                ),
            };
            r.request_id = e.request_id.clone();
            r
        }
        Step::NothingToDo(k) => response(
            Action::NothingToDo,
            format!("already {} in your account", k.status),
        ),
        Step::NotLive(why) => response(Action::NothingToDo, format!("not live: {why}")),
        Step::Foreign(o) => response(Action::Refused, foreign(o)),
        Step::Refused(why) => response(Action::Refused, why.clone()),
    }
}

/// One line on stderr: what was done, and what is left.
fn summarise(findings: &[Finding], yes: bool, journal: &std::path::Path) {
    let mut counts: Vec<(Action, usize)> = Vec::new();
    for f in findings {
        let Some(r) = &f.response else { continue };
        match counts.iter_mut().find(|(a, _)| *a == r.action) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.action, 1)),
        }
    }
    if counts.is_empty() {
        return;
    }
    counts.sort_by_key(|(a, _)| a.word());
    let parts: Vec<String> = counts
        .iter()
        .map(|(a, n)| format!("{n} {}", a.word()))
        .collect();
    let tail = if yes {
        if counts
            .iter()
            .any(|(a, _)| *a == Action::Disabled || *a == Action::Failed)
        {
            format!(
                "; journal: {}",
                message::shown(&journal.display().to_string())
            )
        } else {
            String::new()
        }
    } else {
        "; dry run: nothing changed, run again with --yes to disable".to_string()
    };
    message::warn(format!("respond: {}{tail}", parts.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_detail_shows_secret_ids_shortened() {
        let id = "AKIDq2Zc7Wm4Xv9Bn3Lk8Jh5Gf1Ds6Ap0Qw3";
        let r = response(
            Action::Failed,
            format!("disable failed: AuthFailure: SecretId {id} has no permission"),
        );
        assert_eq!(
            r.detail,
            "disable failed: AuthFailure: SecretId AKIDq2Zc…0Qw3 has no permission"
        );
    }
}
