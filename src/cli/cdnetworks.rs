//! What the CDNetworks checks share: `scan --verify`, and telling which
//! report findings are CDNetworks keys.

use crate::finding::Finding;
use crate::report::json::DocFinding;
use crate::rule::{Rule, RuleSet, VerifyWith};
use crate::verify::cdnetworks::{Checker, Endpoint};
use std::time::Duration;

/// Deadline of one HTTP exchange with CDNetworks.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A checker for `endpoint`.
pub(crate) fn checker(endpoint: &Endpoint) -> anyhow::Result<Checker> {
    Ok(Checker::new(endpoint.clone(), TIMEOUT)?)
}

/// Whether a finding's rule is checked with CDNetworks.
pub(crate) fn verifiable(rules: &[Rule], f: &Finding) -> bool {
    rules
        .iter()
        .any(|r| r.id == f.rule && r.verify == Some(VerifyWith::Cdnetworks))
}

/// `scan --verify`: fills `verification` of the CDNetworks findings (those
/// left after allowlists, ignore entries and baselines).
pub(crate) fn verify_scan(
    endpoint: &Endpoint,
    rules: &[Rule],
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    if !findings.iter().any(|f| verifiable(rules, f)) {
        return Ok(());
    }
    checker(endpoint)?.verify_findings(findings, |f| verifiable(rules, f));
    Ok(())
}

/// Whether a report's finding is a CDNetworks AccessKey.
pub(crate) fn is_cdnetworks(rules: &RuleSet, f: &DocFinding) -> bool {
    rules
        .get(&f.rule)
        .is_some_and(|r| r.verify == Some(VerifyWith::Cdnetworks))
}
