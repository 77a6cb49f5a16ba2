//! What the checks of the providers on the verify seam (CDNetworks, Alibaba
//! Cloud, ...) share: `scan --verify`, and telling which report findings
//! they check.

use crate::finding::Finding;
use crate::report::json::DocFinding;
use crate::rule::{Rule, RuleSet};
use crate::verify::registry::{Checkers, Endpoints};

/// `scan --verify`: fills `verification` of the findings of every provider
/// on the seam (those left after allowlists, ignore entries and baselines).
pub(crate) fn verify_scan(
    endpoints: &Endpoints,
    rules: &[Rule],
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    Checkers::new(endpoints.clone()).verify_findings(rules, findings)?;
    Ok(())
}

/// Whether a report's finding is checked by a provider on the seam.
pub(crate) fn checked(rules: &RuleSet, f: &DocFinding) -> bool {
    Checkers::provider_of(&rules.rules, &f.rule).is_some()
}
