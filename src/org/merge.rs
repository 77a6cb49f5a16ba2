//! Joining the findings of many repositories and many reports: one finding
//! per credential (fingerprint) holding its locations in every repository,
//! one summary per repository, and JSON reports read back into a report
//! (`report merge`). The result depends only on the set of inputs, never
//! their order, and merging a report again changes nothing.

use crate::decode::Encoding;
use crate::diagnostic::Diagnostics;
use crate::finding::{Finding, Fingerprint, Location, Match, Secret, SecretKind, Snippet, redact};
use crate::report::json::{DocFinding, DocLocation, Document};
use crate::report::{RepoSummary, Report, redact_snippet};
use crate::rule::Rule;
use crate::scan::{Stats, Unit};
use crate::source::{CommitMeta, Provenance};
use std::collections::BTreeMap;

/// One finding per fingerprint: locations joined (each place once), sorted
/// by repository then place; `in_head` true when true anywhere. Findings
/// are ordered as [`crate::finding::sort`] says.
pub fn combine(findings: Vec<Finding>) -> Vec<Finding> {
    let mut by: BTreeMap<Fingerprint, Finding> = BTreeMap::new();
    for f in findings {
        match by.entry(f.fingerprint.clone()) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(f);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let e = o.get_mut();
                e.matches.extend(f.matches);
                e.in_head = match (e.in_head, f.in_head) {
                    (Some(a), Some(b)) => Some(a || b),
                    (a, b) => a.or(b),
                };
                e.token = match (e.token.take(), f.token) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                e.verification = pick_verification(e.verification.take(), f.verification);
            }
        }
    }
    let mut out: Vec<Finding> = by
        .into_values()
        .map(|mut f| {
            f.matches.sort_by(|a, b| a.place_key().cmp(&b.place_key()));
            f.matches.dedup_by(|a, b| a.place_key() == b.place_key());
            f
        })
        .collect();
    crate::finding::sort(&mut out);
    out
}

/// Of two live-check results, the one whose JSON sorts last: a choice that
/// does not depend on which came first.
fn pick_verification<T: serde::Serialize>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let ja = serde_json::to_string(&a).unwrap_or_default();
            let jb = serde_json::to_string(&b).unwrap_or_default();
            Some(if jb > ja { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

/// One summary per repository name (of two different summaries of the same
/// repository, the greater), sorted by name, each counting the findings
/// with a location in it.
pub fn summarise(repos: Vec<RepoSummary>, findings: &[Finding]) -> Vec<RepoSummary> {
    let mut by: BTreeMap<String, RepoSummary> = BTreeMap::new();
    for mut r in repos {
        r.findings = 0;
        match by.get(&r.name) {
            Some(old) if *old >= r => {}
            _ => {
                by.insert(r.name.clone(), r);
            }
        }
    }
    for f in findings {
        let mut names: Vec<&str> = f.matches.iter().filter_map(|m| m.repo.as_deref()).collect();
        names.dedup();
        for n in names {
            if let Some(r) = by.get_mut(n) {
                r.findings += 1;
            }
        }
    }
    by.into_values().collect()
}

/// Counts over all repositories, in blobs.
pub fn total(repos: &[RepoSummary]) -> Stats {
    let mut s = Stats {
        unit: Unit::Blob,
        ..Stats::default()
    };
    for r in repos {
        s.scanned += r.scanned;
        s.bytes += r.bytes;
        s.skipped_binary += r.skipped_binary;
        s.skipped_too_large += r.skipped_too_large;
        s.unreadable += r.unreadable;
        s.archives += r.archives;
        s.archive_members += r.archive_members;
    }
    s
}

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A finding's fingerprint is not 32 hex digits.
    #[error("report {report}: finding {fingerprint:?} has an invalid fingerprint")]
    Fingerprint {
        /// Which input (its name as given).
        report: String,
        /// The value.
        fingerprint: String,
    },
    /// A location this keyhound cannot read back.
    #[error("report {report}: finding {fingerprint}: {what}")]
    Location {
        /// Which input.
        report: String,
        /// The finding.
        fingerprint: String,
        /// What is wrong.
        what: String,
    },
}

/// Merges JSON reports (each with the name to cite in errors) into one
/// report over `rules`. Identical inputs count once. When any input is
/// redacted, the result is: values of unredacted inputs are redacted too.
pub fn merge(
    docs: Vec<(String, Document)>,
    rules: Vec<Rule>,
) -> Result<(Report, Diagnostics), MergeError> {
    let diags = Diagnostics::new();
    // Order-free and idempotent: inputs sorted by content, repeats dropped.
    let mut docs: Vec<(String, String, Document)> = docs
        .into_iter()
        .map(|(name, d)| (serde_json::to_string(&d).unwrap_or_default(), name, d))
        .collect();
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    docs.dedup_by(|a, b| a.0 == b.0);
    let redacted = docs
        .iter()
        .any(|(_, _, d)| d.findings.iter().any(|f| f.redacted));
    let mut findings = Vec::new();
    let mut repos = Vec::new();
    let mut stats = Stats::default();
    let mut suppressed = 0;
    let mut unknown = std::collections::BTreeSet::new();
    for (_, name, d) in docs {
        for f in &d.findings {
            let rule = rules.iter().find(|r| r.id == f.rule);
            if rule.is_none() {
                unknown.insert(f.rule.clone());
            }
            findings.push(finding(&name, f, rule, redacted)?);
        }
        stats.scanned += d.stats.scanned;
        stats.bytes += d.stats.bytes;
        stats.skipped_binary += d.stats.skipped_binary;
        stats.skipped_too_large += d.stats.skipped_too_large;
        stats.unreadable += d.stats.unreadable;
        stats.archives += d.stats.archives;
        stats.archive_members += d.stats.archive_members;
        for (class, n) in &d.stats.warnings {
            *stats.warnings.entry(class.clone()).or_insert(0) += n;
        }
        suppressed += d.suppressed;
        repos.extend(d.repositories);
    }
    for id in unknown {
        diags.warn(format_args!(
            "rule {id} is not among the rules in force: its findings keep their id as name \
             and SARIF leaves them out (pass its file with --rules)"
        ));
    }
    let mut findings = combine(findings);
    if !redacted {
        remask(&mut findings);
    }
    let repos = summarise(repos, &findings);
    if !repos.is_empty() {
        stats = total(&repos);
    } else if findings
        .iter()
        .any(|f| f.matches.iter().any(|m| m.provenance.commit().is_some()))
    {
        stats.unit = Unit::Blob;
    }
    let report = Report {
        findings,
        stats,
        suppressed,
        vcs: None,
        rules,
        repos,
        values_redacted: redacted,
        context: Default::default(),
        duration: None,
    };
    Ok((report, diags))
}

/// A finding of JSON report `report` as the scan made it (values as the
/// report shows them).
pub fn read_finding(
    report: &str,
    f: &DocFinding,
    rule: Option<&Rule>,
) -> Result<Finding, MergeError> {
    finding(report, f, rule, false)
}

fn finding(
    report: &str,
    f: &DocFinding,
    rule: Option<&Rule>,
    redact_all: bool,
) -> Result<Finding, MergeError> {
    let fingerprint =
        Fingerprint::from_hex(&f.fingerprint).ok_or_else(|| MergeError::Fingerprint {
            report: report.to_string(),
            fingerprint: f.fingerprint.clone(),
        })?;
    let id_kind = if rule.is_some_and(|r| r.pair.is_some()) {
        SecretKind::Identifier
    } else {
        SecretKind::Key
    };
    let matches = f
        .locations
        .iter()
        .map(location)
        .collect::<Result<Vec<Match>, String>>()
        .map_err(|what| MergeError::Location {
            report: report.to_string(),
            fingerprint: f.fingerprint.clone(),
            what,
        })?;
    let mut out = Finding {
        fingerprint,
        rule: f.rule.clone(),
        secret: Secret::new(f.secret.as_str(), id_kind),
        key: f.key.as_deref().map(|k| Secret::new(k, SecretKind::Key)),
        token: f.token.as_deref().map(|t| Secret::new(t, SecretKind::Key)),
        matches,
        in_head: f.in_head,
        verification: f.verification.clone(),
        response: f.response.clone(),
    };
    if redact_all && !f.redacted {
        // Redact what this input showed, so the merged values are uniform.
        let snippets: Vec<String> = out
            .matches
            .iter()
            .map(|m| redact_snippet(m, &out, false))
            .collect();
        for (m, s) in out.matches.iter_mut().zip(snippets) {
            m.snippet = Snippet::new(s, Vec::new());
        }
        out.secret = hide(&out.secret);
        out.key = out.key.as_ref().map(hide);
        out.token = out.token.as_ref().map(hide);
    }
    Ok(out)
}

/// Masks every secret of the merge wherever a snippet shows it: a report
/// written with `--show-secrets` keeps no masks, and the merge must redact
/// like the scan did unless it is given `--show-secrets` itself.
fn remask(findings: &mut [Finding]) {
    let owned: Vec<Secret> = findings
        .iter()
        .flat_map(|f| [Some(&f.secret), f.key.as_ref(), f.token.as_ref()])
        .flatten()
        .cloned()
        .collect();
    let secrets: Vec<(&str, SecretKind)> = owned.iter().map(|s| (s.expose(), s.kind())).collect();
    for m in findings.iter_mut().flat_map(|f| f.matches.iter_mut()) {
        let text = m.snippet.expose().to_string();
        let masks = crate::finding::masks_of(&text, &secrets);
        m.snippet = Snippet::new(text, masks);
    }
}

/// `doc` with every value redacted as a scan without `--show-secrets`
/// writes it: each unredacted finding's secrets shortened and every
/// secret of the report masked in its snippets.
pub fn redact_document(doc: &mut Document, rules: &[Rule]) {
    let kind_of = |rule: &str| {
        if rules.iter().any(|r| r.id == rule && r.pair.is_some()) {
            SecretKind::Identifier
        } else {
            SecretKind::Key
        }
    };
    let secrets: Vec<(String, SecretKind)> = doc
        .findings
        .iter()
        .filter(|f| !f.redacted)
        .flat_map(|f| {
            [
                Some((f.secret.clone(), kind_of(&f.rule))),
                f.key.clone().map(|k| (k, SecretKind::Key)),
                f.token.clone().map(|t| (t, SecretKind::Key)),
            ]
        })
        .flatten()
        .collect();
    let shown: Vec<(&str, SecretKind)> = secrets.iter().map(|(s, k)| (s.as_str(), *k)).collect();
    for f in doc.findings.iter_mut().filter(|f| !f.redacted) {
        for l in &mut f.locations {
            let masks = crate::finding::masks_of(&l.snippet, &shown);
            l.snippet = Snippet::new(l.snippet.as_str(), masks).masked();
        }
        f.secret = redact(&f.secret, kind_of(&f.rule));
        f.key = f.key.as_deref().map(|k| redact(k, SecretKind::Key));
        f.token = f.token.as_deref().map(|t| redact(t, SecretKind::Key));
        f.redacted = true;
    }
}

/// A secret replaced by its redacted form.
fn hide(s: &Secret) -> Secret {
    Secret::new(redact(s.expose(), s.kind()), s.kind())
}

fn location(l: &DocLocation) -> Result<Match, String> {
    let commit = || {
        l.commit
            .as_ref()
            .map(|c| CommitMeta {
                time: c.time,
                sha: c.sha.clone(),
                author: c.author.clone(),
                email: c.email.clone(),
                summary: c.summary.clone(),
            })
            .ok_or_else(|| format!("{} location {} has no commit", l.kind, l.path))
    };
    let provenance = match l.kind.as_str() {
        "file" => Provenance::File {
            path: l.path.clone().into(),
        },
        "git" => Provenance::Git {
            commit: commit()?,
            path: l.path.clone(),
        },
        "commit_message" => Provenance::CommitMessage { commit: commit()? },
        "tag_message" => Provenance::TagMessage {
            tag: l
                .path
                .strip_prefix("<tag ")
                .and_then(|p| p.strip_suffix(" message>"))
                .unwrap_or(&l.path)
                .to_string(),
            commit: commit()?,
        },
        "staged" => Provenance::Staged {
            path: l.path.clone(),
        },
        "stdin" => Provenance::Stdin,
        other => return Err(format!("unknown location kind {other:?}")),
    };
    let decoded = l
        .decoded
        .iter()
        .map(|n| Encoding::from_name(n).ok_or_else(|| format!("unknown encoding {n:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Match {
        provenance,
        location: Location {
            line: l.line,
            column: l.column,
            end_line: l.end_line,
            end_column: l.end_column,
        },
        key_location: l.key_line.zip(l.key_column).map(|(line, column)| Location {
            line,
            column,
            end_line: line,
            end_column: column,
        }),
        snippet: Snippet::new(l.snippet.as_str(), Vec::new()),
        line_hash: None,
        binary: l.offset.filter(|_| l.binary),
        decoded,
        member: l.member.clone(),
        repo: l.repo.clone(),
    })
}
