//! `keyhound verify --from REPORT`: checks the Tencent and CDNetworks keys
//! of a JSON report live and prints one line per finding, or the report
//! with `verification` filled in.

use super::args::{VerifyArgs, VerifyFormat};
use super::exit::Exit;
use super::providers;
use super::tencent::{is_tencent, optional_auditor, shown_id};
use super::{message, plan};
use crate::diagnostic::Diagnostics;
use crate::engine::Engine;
use crate::finding::incident::Incident;
use crate::verify::input::{Sources, leaked_since, read_report, recover};
use crate::verify::registry::Checkers;
use crate::verify::tencent::{Verifier, is_secret_id};
use crate::verify::{Outcome, Verification};
use std::io::Write;

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
        if let Some(r) = &o.arn {
            s.push_str(&format!(" arn {r}"));
        }
    }
    if let Some(st) = &v.status {
        s.push_str(&format!("; status {st}"));
    }
    if let Some(c) = &v.created {
        s.push_str(&format!("; created {c}"));
    }
    if let Some(l) = &v.last_used {
        s.push_str(&format!("; last used {l} UTC"));
        if let Some(n) = &v.last_used_note {
            s.push_str(&format!(" ({n})"));
        }
    } else if let Some(n) = &v.last_used_note {
        s.push_str(&format!("; {n}"));
    }
    if let Some(r) = &v.request_id {
        s.push_str(&format!("; RequestId {r}"));
    }
    s
}

/// The incident picture under a finding's line, one indented line each.
fn incident_lines(i: &Incident) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = &i.activity {
        out.push(format!("    activity:    {}", a.summary()));
    }
    if let Some(a) = &i.access {
        out.push(format!("    can do:      {}", a.summary()));
    }
    if let Some(p) = &i.persistence {
        out.push(format!("    persistence: {}", p.summary()));
    }
    if let Some(a) = &i.alarms {
        out.push(format!(
            "    alarms:      {}",
            crate::finding::incident::alarms_summary(a)
        ));
    }
    for g in &i.gaps {
        out.push(format!("    not read:    {g}"));
    }
    out
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Live => "LIVE",
        Outcome::NotLive => "not live",
        Outcome::WrongKey => "wrong key",
        Outcome::Unknown => "unknown",
        Outcome::Skipped => "skipped",
    }
}

/// `keyhound verify --from REPORT`.
pub(crate) fn run(a: &VerifyArgs) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let resolved = plan::verify(a, &diags);
    message::flush(&diags);
    let a = resolved?;
    let rules = &a.rules;
    let mut doc = read_report(&a.from)?;
    let repo = Sources::of(&doc, a.repo.as_ref(), &crate::org::clone::default_dir());
    let engine = Engine::new(rules)?;
    let tencent = plan::tencent_of(&a.verifiers).expect("verify has a Tencent verifier");
    let client = tencent.client()?;
    let auditor = optional_auditor(tencent, &client)?;
    let mut verifier = Verifier::new(client, auditor);
    let mut lines = Vec::new();
    let mut live = false;
    let mut recovered = Vec::new();
    for (index, f) in doc.findings.iter().enumerate() {
        if !is_tencent(rules, f) {
            continue;
        }
        let head = format!(
            "{} {}",
            &f.fingerprint[..f.fingerprint.len().min(12)],
            shown_id(f)
        );
        match recover(f, &engine, &repo) {
            Ok(r) if is_secret_id(r.secret.expose()) => recovered.push((index, head, r)),
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
    for (index, _, rec) in &recovered {
        if let Some(before) = &doc.findings[*index].verification {
            verifier.remember(rec.secret.expose(), before);
        }
    }
    verifier.prefetch_last_used(&ids);
    for (index, head, rec) in &recovered {
        let mut v = verifier.verify(rec.secret.expose(), rec.key.as_ref(), rec.token.as_ref());
        let leaked = leaked_since(&doc.findings[*index]);
        verifier.conclude(rec.secret.expose(), &mut v, leaked);
        live |= v.outcome == Outcome::Live;
        lines.push((*index, format!("{head}  {}", describe(&v))));
        if let Some(i) = &v.incident {
            lines.extend(incident_lines(i).into_iter().map(|l| (*index, l)));
        }
        doc.findings[*index].verification = Some(v);
    }
    let on_seam: Vec<usize> = (0..doc.findings.len())
        .filter(|&i| providers::checked(rules, &doc.findings[i]))
        .collect();
    let mut checkers = Checkers::new(
        plan::seam_of(&a.verifiers)
            .cloned()
            .expect("verify has the seam's verifiers"),
    );
    for index in on_seam {
        let f = &doc.findings[index];
        let head = format!(
            "{} {}",
            &f.fingerprint[..f.fingerprint.len().min(12)],
            shown_id(f)
        );
        let Some(with) = Checkers::provider_of(&rules.rules, &f.rule) else {
            continue;
        };
        match recover(f, &engine, &repo) {
            Ok(r) => {
                let Some(v) = checkers.check(with, &r.secret, r.key.as_ref(), r.token.as_ref())
                else {
                    continue;
                };
                let v = v?;
                live |= v.outcome == Outcome::Live;
                lines.push((index, format!("{head}  {}", describe(&v))));
                doc.findings[index].verification = Some(v);
            }
            Err(why) => message::error(format!("{head}: cannot verify: {why}")),
        }
    }
    lines.sort_by_key(|(i, _)| *i);
    if !a.show_secrets {
        crate::org::merge::redact_document(&mut doc, &rules.rules);
    }
    let write = |w: &mut dyn Write| -> anyhow::Result<()> {
        match a.format {
            VerifyFormat::Human => {
                for (_, l) in &lines {
                    writeln!(w, "{}", crate::report::sanitize::sanitize(l))?;
                }
            }
            VerifyFormat::Json => {
                serde_json::to_writer_pretty(&mut *w, &doc)?;
                writeln!(w)?;
            }
        }
        Ok(w.flush()?)
    };
    let exit = if live { Exit::Findings } else { Exit::Clean };
    let written = match &a.output {
        Some(p) => super::output::write_file_private(p, a.show_secrets, |f| write(f)),
        None => write(&mut std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match written {
        Err(e) if super::is_broken_pipe(&e) => Ok(exit),
        other => other.map(|()| exit),
    }
}
