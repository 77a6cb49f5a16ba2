//! What the checks of every provider share: `scan --verify` runs the
//! plan's verifiers in turn (Tencent Cloud, then the providers on the verify
//! seam), and telling which report findings the seam checks.

use super::plan::Verifier;
use super::tencent;
use crate::finding::Finding;
use crate::report::json::DocFinding;
use crate::rule::{Rule, RuleSet};
use crate::verify::registry::Checkers;

/// `scan --verify`: fills `verification` of the findings (those left after
/// allowlists, ignore entries and baselines) with each verifier of the plan.
pub(crate) fn verify_scan(
    verifiers: &[Verifier],
    rules: &[Rule],
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    for v in verifiers {
        match v {
            Verifier::Tencent(t) => tencent::verify_scan(t, rules, findings)?,
            Verifier::Seam(e) => Checkers::new(e.clone()).verify_findings(rules, findings)?,
        }
    }
    Ok(())
}

/// Whether a report's finding is checked by a provider on the seam.
pub(crate) fn checked(rules: &RuleSet, f: &DocFinding) -> bool {
    Checkers::provider_of(&rules.rules, &f.rule).is_some()
}
