//! SARIF 2.1.0 through `serde-sarif`, shaped for GitHub code scanning: one
//! rule entry per rule used, one result per location, `partialFingerprints`
//! from the finding's fingerprint, `security-severity` on each rule, the
//! paired key as a related location, commits and `versionControlProvenance`
//! for git scans. Secrets are always redacted here.

use super::{Report, redact_snippet};
use crate::finding::{Finding, Match};
use crate::rule::{Rule, Severity};
use crate::source::Provenance;
use serde_json::{Value, json};
use serde_sarif::sarif;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/keyhound/keyhound";

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn result_level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

fn props(map: BTreeMap<String, Value>) -> sarif::PropertyBag {
    sarif::PropertyBag::builder()
        .additional_properties(map)
        .build()
}

fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let desc = if rule.description.is_empty() {
        rule.name.clone()
    } else {
        rule.description.clone()
    };
    let mut p = BTreeMap::new();
    p.insert(
        "security-severity".to_string(),
        json!(security_severity(rule.severity)),
    );
    p.insert(
        "tags".to_string(),
        json!(["security", "secret", "credential"]),
    );
    p.insert(
        "precision".to_string(),
        json!(if rule.pair.is_some() {
            "very-high"
        } else {
            "high"
        }),
    );
    let mut b = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(camel(&rule.id))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.name.clone())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(desc)
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(props(p))
        .build();
    if let Some(r) = rule.references.first() {
        b.help_uri = Some(r.clone());
    }
    b.help = Some(
        sarif::MultiformatMessageString::builder()
            .text(format!(
                "{} found in the code. Treat it as compromised: disable or rotate it at the provider \
                 (for Tencent Cloud: `keyhound disable`), then remove it from the code and its history.",
                rule.name
            ))
            .build(),
    );
    b
}

/// `tencent.secret-id` → `TencentSecretId`.
fn camel(id: &str) -> String {
    id.split(['.', '-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A relative path as a URI reference (forward slashes, percent-encoded).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./");
    let (prefix, rest) = if p.starts_with('/') {
        ("file://", p)
    } else {
        ("", p)
    };
    let mut out = String::from(prefix);
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    snippet: Option<String>,
) -> sarif::Region {
    let mut r = sarif::Region::builder()
        .start_line(line as i64)
        .start_column(column as i64)
        .end_line(end_line as i64)
        .end_column(end_column as i64)
        .build();
    r.snippet = snippet.map(|s| sarif::ArtifactContent::builder().text(s).build());
    r
}

fn physical(path: &str, region: sarif::Region) -> sarif::Location {
    sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(sarif::ArtifactLocation::builder().uri(uri(path)).build())
                .region(region)
                .build(),
        )
        .build()
}

fn result(report: &Report, rule_index: usize, f: &Finding, m: &Match) -> sarif::Result {
    let name = report.rule_name(&f.rule);
    let pair_name = report
        .rule(&f.rule)
        .and_then(|r| r.pair.as_ref())
        .map(|p| p.name.as_str());
    let text = match (&f.key, pair_name) {
        (Some(_), Some(k)) => format!(
            "{name} {} found with its {k} (paired).",
            report.redacted(&f.secret)
        ),
        (None, Some(k)) => format!(
            "{name} {} found; no {k} found next to it.",
            report.redacted(&f.secret)
        ),
        _ => format!("{name} {} found.", report.redacted(&f.secret)),
    };
    let text = match &m.member {
        Some(member) => format!(
            "{text} Inside archive member {member}; line and column count inside the member."
        ),
        None => text,
    };
    let snippet = redact_snippet(&m.snippet, f, report.values_redacted);
    let path = m.provenance.path();
    let l = m.location;
    let location = match &m.provenance {
        Provenance::CommitMessage { commit } => sarif::Location::builder()
            .logical_locations(vec![
                sarif::LogicalLocation::builder()
                    .name(format!("commit {} message", commit.sha))
                    .kind("object")
                    .build(),
            ])
            .build(),
        _ => physical(
            &path,
            region(l.line, l.column, l.end_line, l.end_column, Some(snippet)),
        ),
    };
    // One result per location. `keyhound/v1` is the finding's content
    // fingerprint (the value ignore files and baselines use), so alerts follow
    // the secret across moved lines and rebases; `keyhoundPath/v1` adds the
    // path, so two files holding the same secret stay two alerts.
    let mut h = Sha256::new();
    h.update(f.fingerprint.as_str().as_bytes());
    h.update([0]);
    h.update(m.path().as_bytes());
    let mut fp = BTreeMap::new();
    fp.insert("keyhound/v1".to_string(), f.fingerprint.to_string());
    fp.insert(
        "keyhoundPath/v1".to_string(),
        hex::encode(&h.finalize()[..16]),
    );
    let mut p = BTreeMap::new();
    p.insert("paired".to_string(), json!(f.key.is_some()));
    if let Some(member) = &m.member {
        p.insert("archiveMember".to_string(), json!(member));
    }
    if !m.decoded.is_empty() {
        let chain: Vec<&str> = m.decoded.iter().map(|e| e.name()).collect();
        p.insert("decoded".to_string(), json!(chain));
        p.insert(
            "decrypted".to_string(),
            json!(m.decoded.iter().any(|e| e.is_decryption())),
        );
    }
    if let Some(in_head) = f.in_head {
        p.insert("inHead".to_string(), json!(in_head));
    }
    if let Some(c) = m.provenance.commit() {
        p.insert(
            "commit".to_string(),
            json!({"sha": c.sha, "author": c.author, "email": c.email,
                   "date": super::json::rfc3339(c.time), "summary": c.summary}),
        );
    }
    if let Some(v) = &f.verification {
        p.insert(
            "verification".to_string(),
            serde_json::to_value(v).unwrap_or(Value::Null),
        );
    }
    let mut r = sarif::Result::builder()
        .rule_id(f.rule.clone())
        .rule_index(rule_index as i64)
        .level(result_level(report.severity(&f.rule)))
        .message(sarif::Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fp)
        .properties(props(p))
        .build();
    if let (Some(k), Some(kn), false) = (
        m.key_location,
        pair_name,
        matches!(m.provenance, Provenance::CommitMessage { .. }),
    ) {
        let mut rel = physical(
            &path,
            region(k.line, k.column, k.end_line, k.end_column, None),
        );
        rel.id = Some(1);
        rel.message = Some(
            sarif::Message::builder()
                .text(format!("the paired {kn}"))
                .build(),
        );
        r.related_locations = Some(vec![rel]);
    }
    r
}

/// Writes the SARIF log, pretty-printed, with a final newline: one run, or
/// one run per repository (with its `versionControlProvenance`) for scans of
/// many repositories and merged reports.
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let runs = if report.repos.is_empty() {
        let vcs = report.vcs.as_ref().and_then(|v| {
            let uri = v.repository_uri.clone()?;
            let mut d = sarif::VersionControlDetails::builder()
                .repository_uri(uri)
                .build();
            d.revision_id = v.revision.clone();
            d.branch = v.branch.clone();
            Some(d)
        });
        vec![run(report, |_| true, vcs)]
    } else {
        report
            .repos
            .iter()
            .map(|r| {
                let mut d = sarif::VersionControlDetails::builder()
                    .repository_uri(repository_uri(&r.url))
                    .build();
                d.revision_id = r.revision.clone();
                d.branch = r.branch.clone();
                run(report, |m| m.repo.as_deref() == Some(&r.name), Some(d))
            })
            .collect()
    };
    let log = sarif::Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    serde_json::to_writer_pretty(&mut *w, &log)?;
    writeln!(w)
}

/// A repository's URL as an absolute URI: URLs as they are, scp-like
/// addresses (`git@host:org/repo`) as `ssh://`, local paths as `file://`.
fn repository_uri(url: &str) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    if let Some((user_host, path)) = url.split_once(':')
        && user_host.contains('@')
        && !user_host.contains('/')
    {
        return format!("ssh://{user_host}/{path}");
    }
    let abs = std::path::absolute(url).unwrap_or_else(|_| std::path::PathBuf::from(url));
    uri(&abs.to_string_lossy())
}

/// One SARIF run over the matches `keep` selects.
fn run(
    report: &Report,
    keep: impl Fn(&Match) -> bool,
    vcs: Option<sarif::VersionControlDetails>,
) -> sarif::Run {
    let kept = |f: &&Finding| f.matches.iter().any(&keep);
    let mut used: Vec<&str> = report
        .findings
        .iter()
        .filter(kept)
        .map(|f| f.rule.as_str())
        .collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<&Rule> = used.iter().filter_map(|id| report.rule(id)).collect();
    let index = |id: &str| rules.iter().position(|r| r.id == id);
    let mut results = Vec::new();
    for f in &report.findings {
        let Some(i) = index(&f.rule) else { continue };
        for m in f.matches.iter().filter(|m| keep(m)) {
            results.push(result(report, i, f, m));
        }
    }
    let driver = sarif::ToolComponent::builder()
        .name("keyhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFO_URI)
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .build();
    run.version_control_provenance = vcs.map(|d| vec![d]);
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("./src/a b.py"), "src/a%20b.py");
        assert_eq!(uri("/tmp/x.env"), "file:///tmp/x.env");
        assert_eq!(camel("tencent.secret-id"), "TencentSecretId");
    }
}
