//! What the Tencent commands share: auditor mode (the user's own account
//! indexed), `scan --verify`, and telling which report findings are Tencent
//! keys.

use super::message;
use super::plan::Tencent;
use crate::engine::Engine;
use crate::finding::{Finding, SecretKind, redact};
use crate::report::json::DocFinding;
use crate::rule::{Rule, RuleSet, VerifyWith};
use crate::verify::input::recover;
use crate::verify::provider::Provider;
use crate::verify::tencent::credential::{self, Found};
use crate::verify::tencent::{AccountIndex, Auditor, Client, Verifier};

/// Assumes the role `found` names, if any, and indexes the account of the
/// resulting credentials; what it could not list is warned about.
pub(crate) fn auditor(client: &Client, found: &Found) -> anyhow::Result<Auditor> {
    let ready = credential::assume(client, found.clone())?;
    let index = AccountIndex::build(client, &ready.credential)?;
    for gap in &index.gaps {
        message::warn(gap);
    }
    Ok(Auditor {
        credential: ready.credential,
        index,
    })
}

/// The auditor of `t` when auditor mode is on; its credentials failing to
/// load is an error here.
pub(crate) fn optional_auditor(t: &Tencent, client: &Client) -> anyhow::Result<Option<Auditor>> {
    match &t.auditor {
        None => Ok(None),
        Some(Ok(cred)) => auditor(client, cred).map(Some),
        Some(Err(e)) => Err(anyhow::anyhow!("{e:#}")),
    }
}

/// Whether a finding's rule is checked with Tencent.
pub(crate) fn verifiable(rules: &[Rule], f: &Finding) -> bool {
    rules
        .iter()
        .any(|r| r.id == f.rule && r.verify == Some(VerifyWith::Tencent))
}

/// `scan --verify`: fills `verification` of the Tencent findings (those
/// left after allowlists, ignore entries and baselines).
pub(crate) fn verify_scan(
    t: &Tencent,
    rules: &[Rule],
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    if !findings.iter().any(|f| verifiable(rules, f)) {
        return Ok(());
    }
    let client = t.client()?;
    // A failing auditor must not cost the user the scan's report.
    let auditor = optional_auditor(t, &client).unwrap_or_else(|e| {
        message::error(format!("{e:#}; verifying without auditor mode"));
        None
    });
    let mut v: Box<dyn Provider> = Box::new(Verifier::new(client, auditor));
    v.verify_findings(findings, &|f| verifiable(rules, f));
    Ok(())
}

/// Whether a report's finding is a Tencent credential: its rule says so, or
/// its (unredacted or shortened) secret looks like a SecretId.
pub(crate) fn is_tencent(rules: &RuleSet, f: &DocFinding) -> bool {
    rules
        .get(&f.rule)
        .is_some_and(|r| r.verify == Some(VerifyWith::Tencent))
        || f.secret.starts_with("AKID")
        || f.secret.starts_with("IKID")
}

/// A report finding's SecretId as shown to the user: shortened.
pub(crate) fn shown_id(f: &DocFinding) -> String {
    if f.redacted {
        f.secret.clone()
    } else {
        redact(&f.secret, SecretKind::Identifier)
    }
}

/// The SecretId a report's finding names: the raw value, the value found
/// again in its files, or (failing that) its shortened form, which the
/// auditor's key list resolves.
pub(crate) fn report_id(
    f: &DocFinding,
    engine: &Engine,
    repo: &crate::verify::input::Sources<'_>,
) -> Result<String, String> {
    let shortened = f.secret.starts_with("AKID") || f.secret.starts_with("IKID");
    if !f.redacted && shortened {
        return Ok(f.secret.clone());
    }
    match recover(f, engine, repo) {
        Ok(r) => Ok(r.secret.expose().to_string()),
        Err(_) if shortened => Ok(f.secret.clone()),
        Err(why) => Err(why),
    }
}
