//! Writing a finished [`Audit`] as human text, JSON or SARIF 2.1.0 (one rule
//! per check id, logical locations naming the account and the identity).
//! SecretIds are shortened unless `show_secrets` (and always in SARIF).

use super::checks::date;
use super::{Audit, CheckId, NotChecked, Problem};
use crate::finding::{SecretKind, redact};
use crate::report::sanitize::sanitize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// Output formats of `keyhound audit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Terminal text.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Writes `audit` as `format`.
pub fn write(
    audit: &Audit,
    format: Format,
    show_secrets: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human(audit, show_secrets, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &json_value(audit, show_secrets))?;
            writeln!(w)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif(audit))?;
            writeln!(w)
        }
    }
}

fn key_id(id: &str, show: bool) -> String {
    if show {
        id.to_string()
    } else {
        redact(id, SecretKind::Identifier)
    }
}

fn problem_json(p: &Problem, show: bool) -> Value {
    let ids: Vec<String> = p.keys.iter().map(|k| key_id(k, show)).collect();
    let mut v = json!({
        "check": p.check,
        "title": p.check.title(),
        "identity": p.identity,
        "access_key_ids": ids,
        "evidence": p.evidence,
        "advice": p.check.advice(),
    });
    if p.check.per_key() {
        v["access_key_id"] = json!(ids.first());
    }
    v
}

fn not_checked_json(n: &NotChecked) -> Value {
    json!({
        "check": n.check,
        "identity": n.identity,
        "action": n.gap.action,
        "needs": n.gap.needs,
        "reason": n.gap.reason,
    })
}

/// The JSON report.
pub fn json_value(a: &Audit, show_secrets: bool) -> Value {
    let mut by_check = serde_json::Map::new();
    for c in CheckId::ALL {
        let n = a.problems.iter().filter(|p| p.check == c).count();
        if a.settings.runs(c) {
            by_check.insert(c.id().to_string(), json!(n));
        }
    }
    json!({
        "tool": {"name": "keyhound", "version": env!("CARGO_PKG_VERSION")},
        "account": {
            "owner_uin": a.owner_uin,
            "app_id": a.app_id,
            "auditor_uin": a.auditor_uin,
        },
        "settings": {
            "date": date(a.settings.now),
            "checks": a.settings.checks.iter().map(|c| c.id()).collect::<Vec<_>>(),
            "max_unused_days": a.settings.max_unused_days,
            "max_key_age_days": a.settings.max_key_age_days,
        },
        "summary": {
            "identities": a.identities,
            "keys": a.keys,
            "problems": a.problems.len(),
            "not_checked": a.not_checked.len(),
            "by_check": by_check,
        },
        "problems": a.problems.iter().map(|p| problem_json(p, show_secrets)).collect::<Vec<_>>(),
        "not_checked": a.not_checked.iter().map(not_checked_json).collect::<Vec<_>>(),
    })
}

fn human(a: &Audit, show: bool, w: &mut dyn Write) -> io::Result<()> {
    let app = a
        .app_id
        .map(|x| format!(" (AppId {x})"))
        .unwrap_or_default();
    writeln!(
        w,
        "keyhound audit of account {}{app} as {}: {} identities, {} keys",
        sanitize(&a.owner_uin),
        sanitize(&a.auditor_uin),
        a.identities,
        a.keys
    )?;
    for c in CheckId::ALL {
        let ps: Vec<&Problem> = a.problems.iter().filter(|p| p.check == c).collect();
        if ps.is_empty() {
            continue;
        }
        writeln!(w)?;
        writeln!(w, "{c}: {} ({})", c.title(), ps.len())?;
        for p in ps {
            let keys: Vec<String> = p.keys.iter().map(|k| key_id(k, show)).collect();
            writeln!(
                w,
                "  {}  {}  {}",
                sanitize(&p.identity.label()),
                keys.join(", "),
                sanitize(&p.evidence)
            )?;
        }
        writeln!(w, "  advice: {}", c.advice())?;
    }
    if !a.not_checked.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "not checked ({}): the auditor could not answer these",
            a.not_checked.len()
        )?;
        for n in &a.not_checked {
            let who = n
                .identity
                .as_ref()
                .map_or_else(|| "whole account".to_string(), |s| s.label());
            writeln!(
                w,
                "  {}  {}: {} failed; needs {} ({})",
                n.check,
                sanitize(&who),
                n.gap.action,
                sanitize(&n.gap.needs),
                sanitize(&n.gap.reason)
            )?;
        }
    }
    writeln!(w)?;
    let checks = a
        .problems
        .iter()
        .map(|p| p.check)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    writeln!(
        w,
        "{} problem{} under {checks} check{}, {} not checked",
        a.problems.len(),
        if a.problems.len() == 1 { "" } else { "s" },
        if checks == 1 { "" } else { "s" },
        a.not_checked.len()
    )
}

fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn severity(c: CheckId) -> (&'static str, &'static str) {
    match c {
        CheckId::RootKeyActive | CheckId::AdminKey | CheckId::TencentAlarmOpen => ("error", "9.0"),
        CheckId::MfaOff
        | CheckId::MfaLoginOff
        | CheckId::MfaOperationOff
        | CheckId::KeyNotRotated
        | CheckId::KeyUnused
        | CheckId::ConsoleAndApi
        | CheckId::DutiesNotSeparated
        | CheckId::PolicyConditionMissing => ("warning", "6.0"),
        CheckId::KeyDisabled | CheckId::UserTwoKeys | CheckId::PolicyNotViaGroup => ("note", "3.0"),
    }
}

fn rule(c: CheckId) -> Value {
    let (level, score) = severity(c);
    json!({
        "id": c.id(),
        "name": camel(c.id()),
        "shortDescription": {"text": c.title()},
        "fullDescription": {"text": c.title()},
        "help": {"text": c.advice()},
        "defaultConfiguration": {"level": level},
        "properties": {"security-severity": score, "tags": ["security", "cloud", "tencent-cloud", "cam"]},
    })
}

/// The SARIF log (SecretIds always shortened).
pub fn sarif(a: &Audit) -> Value {
    let rules: Vec<CheckId> = a.settings.checks.iter().copied().collect();
    let account = format!("tencent-cloud/account/{}", a.owner_uin);
    let results: Vec<Value> = a
        .problems
        .iter()
        .map(|p| {
            let keys: Vec<String> = p.keys.iter().map(|k| key_id(k, false)).collect();
            let who = format!("{account}/{}/{}", p.identity.kind.name(), p.identity.uin);
            let mut h = Sha256::new();
            h.update(format!("{}\0{}\0{}", p.check.id(), p.identity.uin, p.keys.join(",")));
            let fp = hex::encode(&h.finalize()[..16]);
            json!({
                "ruleId": p.check.id(),
                "ruleIndex": rules.iter().position(|r| *r == p.check),
                "level": severity(p.check).0,
                "message": {"text": format!(
                    "{}: {} {}: {}. {}",
                    p.check.title(), p.identity.label(), keys.join(", "), p.evidence, p.check.advice()
                )},
                // GitHub code scanning needs a physical location too: a
                // repository-relative name for the account, no file behind it.
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": account}},
                    "logicalLocations": [
                    {"name": a.owner_uin, "fullyQualifiedName": account, "kind": "namespace"},
                    {"name": p.identity.name.clone().unwrap_or_else(|| p.identity.uin.clone()),
                     "fullyQualifiedName": who, "kind": "member",
                     "properties": {"uin": p.identity.uin, "type": p.identity.kind.name()}},
                ]}],
                "partialFingerprints": {"keyhoundAudit/v1": fp},
                "properties": {"access_key_ids": keys, "evidence": p.evidence},
            })
        })
        .collect();
    let notifications: Vec<Value> = a
        .not_checked
        .iter()
        .map(|n| {
            let who = n
                .identity
                .as_ref()
                .map_or_else(|| "whole account".into(), |s| s.label());
            json!({
                "level": "warning",
                "message": {"text": format!("{} not checked for {who}: {} failed; needs {}",
                    n.check, n.gap.action, n.gap.needs)},
                "descriptor": {"id": n.check.id()},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keyhound",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": crate::report::INFORMATION_URI,
                "rules": rules.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
            }},
            "automationDetails": {"id": format!("keyhound-audit/{}/", a.owner_uin)},
            "invocations": [{"executionSuccessful": true, "toolConfigurationNotifications": notifications}],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::{IdentityKind, Settings, Subject};
    use super::*;

    fn audit() -> Audit {
        Audit {
            owner_uin: "100000000001".into(),
            app_id: Some(1250000000),
            auditor_uin: "100000000001".into(),
            settings: Settings::new(1_767_225_600),
            identities: 1,
            keys: 1,
            problems: vec![Problem {
                check: CheckId::RootKeyActive,
                identity: Subject {
                    kind: IdentityKind::Root,
                    uin: "100000000001".into(),
                    name: None,
                },
                keys: vec!["AKIDtestAAAAAAAAAAAAAAAAAAAAAAAAAAA1".into()],
                evidence: "Active root key".into(),
            }],
            not_checked: vec![],
        }
    }

    #[test]
    fn ids_are_shortened_unless_asked() {
        let a = audit();
        for (f, show) in [
            (Format::Human, false),
            (Format::Json, false),
            (Format::Sarif, false),
            (Format::Sarif, true),
        ] {
            let mut out = Vec::new();
            write(&a, f, show, &mut out).unwrap();
            let s = String::from_utf8(out).unwrap();
            assert!(
                !s.contains("AKIDtestAAAAAAAAAAAAAAAAAAAAAAAAAAA1"),
                "{f:?}: {s}"
            );
            assert!(s.contains("AKIDtest…AAA1"), "{f:?}: {s}");
        }
        let v = json_value(&a, true);
        assert_eq!(
            v["problems"][0]["access_key_id"],
            "AKIDtestAAAAAAAAAAAAAAAAAAAAAAAAAAA1"
        );
    }

    #[test]
    fn sarif_has_one_rule_per_check_and_logical_locations() {
        let s = sarif(&audit());
        let typed: serde_sarif::sarif::Sarif =
            serde_json::from_value(s.clone()).expect("a SARIF 2.1.0 log");
        assert_eq!(typed.runs[0].results.as_ref().map(Vec::len), Some(1));
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 14);
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "root-key-active");
        assert_eq!(
            run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "root-key-active"
        );
        let locs = r["locations"][0]["logicalLocations"].as_array().unwrap();
        assert_eq!(
            locs[0]["fullyQualifiedName"],
            "tencent-cloud/account/100000000001"
        );
        assert_eq!(
            locs[1]["fullyQualifiedName"],
            "tencent-cloud/account/100000000001/root/100000000001"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "tencent-cloud/account/100000000001"
        );
    }
}
