//! SARIF 2.1.0 through `serde-sarif`, shaped for GitHub code scanning: one
//! rule entry per rule used, one result per file location (root-relative
//! URIs), `partialFingerprints` with GitHub's `primaryLocationLineHash` and
//! keyhound's content fingerprint, `automationDetails`, an `invocations`
//! entry carrying errors and notices, and `versionControlProvenance` for
//! repositories. Secrets are always redacted here.

mod location;
mod rule;

use super::{Report, redact_snippet};
use crate::diagnostic::Class;
use crate::finding::{Finding, Match};
use crate::rule::Rule;
use crate::source::Provenance;
use serde_json::{Value, json};
use serde_sarif::sarif;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning accepts at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;

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

fn physical(artifact: sarif::ArtifactLocation, region: sarif::Region) -> sarif::Location {
    sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact)
                .region(region)
                .build(),
        )
        .build()
}

fn message(text: impl Into<String>) -> sarif::Message {
    sarif::Message::builder().text(text.into()).build()
}

/// The result for match `m` of `f`, or `None` when `m` is in no file.
fn result(report: &Report, rule_index: usize, f: &Finding, m: &Match) -> Option<sarif::Result> {
    let artifact = location::artifact(&report.context, &m.provenance)?;
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
    let text = match (&m.member, &m.provenance) {
        (Some(member), _) => format!(
            "{text} Inside archive member {member}; line and column count inside the member."
        ),
        (None, Provenance::CommitMessage { commit }) => format!(
            "{text} In the message of commit {} (line {} of the message): rewriting that \
             commit's message removes it from the history.",
            commit.sha, m.location.line
        ),
        (None, _) => text,
    };
    let snippet = redact_snippet(m, f, report.values_redacted);
    let mut path = location::display_path(&report.context, &m.provenance);
    if let Some(member) = &m.member {
        path = format!("{path}!{member}");
    }
    let text = match m.binary {
        Some(offset) => format!("{text} In binary content, at byte offset {offset}."),
        None => text,
    };
    let l = m.location;
    let primary = match m.binary {
        // Lines mean nothing in a binary file: the region is its bytes.
        Some(offset) => {
            let mut r = sarif::Region::builder()
                .byte_offset(offset as i64)
                .byte_length(f.secret.expose().len() as i64)
                .build();
            r.snippet = Some(sarif::ArtifactContent::builder().text(snippet).build());
            physical(artifact.clone(), r)
        }
        None => physical(
            artifact.clone(),
            region(l.line, l.column, l.end_line, l.end_column, Some(snippet)),
        ),
    };
    // `primaryLocationLineHash` is what GitHub matches alerts on; computed
    // from the scanned content, it also covers blobs no checkout holds.
    // `keyhound/v1` is the finding's content fingerprint (the value ignore
    // files and baselines use); `keyhoundPath/v1` adds the path, so two
    // files holding the same secret stay two alerts.
    let mut h = Sha256::new();
    h.update(f.fingerprint.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    let mut fp = BTreeMap::new();
    if let Some(lh) = &m.line_hash {
        fp.insert("primaryLocationLineHash".to_string(), lh.clone());
    }
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
    if let Some(offset) = m.binary {
        p.insert("binary".to_string(), json!(true));
        p.insert("byteOffset".to_string(), json!(offset));
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
    if let Some(r) = &f.response {
        p.insert(
            "response".to_string(),
            serde_json::to_value(r).unwrap_or(Value::Null),
        );
    }
    let mut r = sarif::Result::builder()
        .rule_id(f.rule.clone())
        .rule_index(rule_index as i64)
        .level(rule::result_level(report.severity(&f.rule)))
        .message(message(text))
        .locations(vec![primary])
        .partial_fingerprints(fp)
        .properties(rule::props(p))
        .build();
    if let (Some(k), Some(kn), None) = (m.key_location, pair_name, m.binary) {
        let mut rel = physical(
            artifact,
            region(k.line, k.column, k.end_line, k.end_column, None),
        );
        rel.id = Some(1);
        rel.message = Some(message(format!("the paired {kn}")));
        r.related_locations = Some(vec![rel]);
    }
    Some(r)
}

/// The results of `report` in order.
struct Results {
    results: Vec<sarif::Result>,
    rules: Vec<sarif::ReportingDescriptor>,
    /// Results dropped over [`MAX_RESULTS`].
    dropped: usize,
}

fn collect(report: &Report, keep: &dyn Fn(&Match) -> bool) -> Results {
    let mut used: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.matches.iter().any(keep))
        .map(|f| f.rule.as_str())
        .collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<&Rule> = used.iter().filter_map(|id| report.rule(id)).collect();
    let index = |id: &str| rules.iter().position(|r| r.id == id);
    // Over the limit, GitHub rejects the upload: keep the most severe
    // results (a stable sort keeps the report's order within a severity).
    let mut order: Vec<&Finding> = report.findings.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(report.severity(&f.rule)));
    let mut out = Results {
        results: Vec::new(),
        rules: rules.iter().map(|r| rule::descriptor(r)).collect(),
        dropped: 0,
    };
    for f in order {
        let Some(i) = index(&f.rule) else { continue };
        for m in f.matches.iter().filter(|m| keep(m)) {
            if out.results.len() >= MAX_RESULTS {
                out.dropped += 1;
            } else if let Some(r) = result(report, i, f, m) {
                out.results.push(r);
            }
        }
    }
    out
}

/// Warnings about what the SARIF of `report` leaves out (results over
/// GitHub's limit), for the caller to show.
pub fn warnings(report: &Report) -> Vec<String> {
    let r = collect(report, &|_| true);
    notices(&r).into_iter().map(|(_, text)| text).collect()
}

fn notices(r: &Results) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if r.dropped > 0 {
        out.push((
            "warning",
            format!(
                "{} results over GitHub code scanning's limit of {MAX_RESULTS} per run were left \
                 out of the SARIF (the most severe are kept); see the JSON report for all of them",
                r.dropped
            ),
        ));
    }
    out
}

fn invocation(report: &Report, r: &Results) -> sarif::Invocation {
    let mut notes: Vec<sarif::Notification> = report
        .context
        .errors
        .iter()
        .map(|e| {
            sarif::Notification::builder()
                .level(json!("error"))
                .message(message(e.clone()))
                .build()
        })
        .collect();
    for (level, text) in notices(r) {
        notes.push(
            sarif::Notification::builder()
                .level(json!(level))
                .message(message(text))
                .build(),
        );
    }
    let classes = warning_classes(report);
    for (i, (class, n)) in classes.iter().enumerate() {
        let level = if class.unread { "error" } else { "warning" };
        let mut note = sarif::Notification::builder()
            .level(json!(level))
            .message(message(format!("{n} {} ({})", class.what, class.name)))
            .build();
        note.descriptor = Some(
            sarif::ReportingDescriptorReference::builder()
                .id(class.name)
                .index(i as i64)
                .build(),
        );
        notes.push(note);
    }
    // Limits and choices leave things out on purpose; what could not be
    // read makes the run incomplete.
    let unread = classes.iter().any(|(c, _)| c.unread);
    let mut inv = sarif::Invocation::builder()
        .execution_successful(report.context.errors.is_empty() && !unread)
        .build();
    if !notes.is_empty() {
        inv.tool_execution_notifications = Some(notes);
    }
    inv
}

/// The classes of warning the scan counted, in name order, with their
/// counts (a class this keyhound does not know, from a merged report, as
/// `other`).
fn warning_classes(report: &Report) -> Vec<(Class, u64)> {
    report
        .stats
        .warnings
        .iter()
        .map(|(name, n)| (Class::named(name).unwrap_or(Class::OTHER), *n))
        .collect()
}

/// One notification descriptor per counted class, in the order of
/// [`warning_classes`] (notifications point at them by index).
fn notification_descriptors(report: &Report) -> Option<Vec<sarif::ReportingDescriptor>> {
    let classes = warning_classes(report);
    if classes.is_empty() {
        return None;
    }
    let descriptors = classes
        .iter()
        .map(|(class, _)| {
            let text = |t: String| sarif::MultiformatMessageString::builder().text(t).build();
            let kind = if class.unread {
                "could not be read: the scan is incomplete"
            } else {
                "left out by a limit or by choice"
            };
            sarif::ReportingDescriptor::builder()
                .id(class.name)
                .short_description(text(class.what.to_string()))
                .full_description(text(format!("{}: {kind}.", class.what)))
                .help(text(format!(
                    "keyhound's stderr names the first few; docs/limits.md lists the limits \
                     and the flags that raise them ({}).",
                    class.name
                )))
                .build()
        })
        .collect();
    Some(descriptors)
}

fn category(report: &Report) -> String {
    let mut id = match &report.context.category {
        Some(c) => c.clone(),
        None if !report.repos.is_empty() => "keyhound/repos".to_string(),
        None => format!("keyhound/{}", report.context.kind.name()),
    };
    if !id.ends_with('/') {
        id.push('/');
    }
    id
}

/// The category of one repository's run in a scan of many: the scan's
/// category and the repository's name as a path (`keyhound/repos/
/// github.com/org/app/`; a local path loses its leading and doubled `/`).
fn repo_category(report: &Report, name: &str) -> String {
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    format!("{}{}/", category(report), parts.join("/"))
}

/// Writes the SARIF log, pretty-printed, with a final newline.
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let runs = if report.repos.is_empty() {
        let r = collect(report, &|_| true);
        let mut run = run(report, r, category(report));
        if let Some(v) = &report.vcs
            && let Some(uri) = &v.repository_uri
        {
            let mut d = sarif::VersionControlDetails::builder()
                .repository_uri(repository_uri(uri))
                .build();
            d.revision_id = v.revision.clone();
            d.branch = v.branch.clone();
            if run.original_uri_base_ids.is_some() {
                let mut root = sarif::ArtifactLocation::builder().build();
                root.uri_base_id = Some(location::SRCROOT.to_string());
                d.mapped_to = Some(root);
            }
            run.version_control_provenance = Some(vec![d]);
        }
        vec![run]
    } else {
        // Many repositories: one run each, with its own provenance.
        report
            .repos
            .iter()
            .map(|repo| {
                let keep = |m: &Match| m.repo.as_deref() == Some(repo.name.as_str());
                let r = collect(report, &keep);
                let mut run = run(report, r, repo_category(report, &repo.name));
                let mut d = sarif::VersionControlDetails::builder()
                    .repository_uri(repository_uri(&repo.url))
                    .build();
                d.revision_id = repo.revision.clone();
                d.branch = repo.branch.clone();
                run.version_control_provenance = Some(vec![d]);
                run
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

fn run(report: &Report, r: Results, id: String) -> sarif::Run {
    let mut driver = sarif::ToolComponent::builder()
        .name("keyhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(super::INFORMATION_URI)
        .rules(r.rules.clone())
        .build();
    driver.notifications = notification_descriptors(report);
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation(report, &r)])
        .automation_details(sarif::RunAutomationDetails::builder().id(id).build())
        .results(r.results)
        .build();
    run.original_uri_base_ids = location::base_ids(&report.context);
    run
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
    let path = abs.to_string_lossy().replace('\\', "/");
    let path = percent_encoding::utf8_percent_encode(&path, FILE_PATH);
    if path.to_string().starts_with('/') {
        format!("file://{path}")
    } else {
        format!("file:///{path}")
    }
}

/// Characters a `file:` URI path cannot carry as they are.
const FILE_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_uris_are_absolute_uris_for_every_remote_form() {
        assert_eq!(
            repository_uri("https://github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            repository_uri("git@github.com:o/r.git"),
            "ssh://git@github.com/o/r.git"
        );
        assert_eq!(repository_uri("/check/repo.git"), "file:///check/repo.git");
        assert_eq!(
            repository_uri("/tmp/my repo#1.git"),
            "file:///tmp/my%20repo%231.git"
        );
    }
    use crate::finding::{Fingerprint, Location, Secret, SecretKind};
    use crate::rule::RuleSet;

    fn finding(rule: &str, n: usize) -> Finding {
        let secret = Secret::new(format!("value-{n:08}"), SecretKind::Key);
        Finding {
            fingerprint: Fingerprint::of(rule, &secret, None),
            rule: rule.to_string(),
            secret,
            key: None,
            token: None,
            matches: vec![Match {
                member: None,
                repo: None,
                provenance: Provenance::File {
                    path: format!("f{n}.txt").into(),
                },
                location: Location {
                    line: 1,
                    column: 1,
                    end_line: 1,
                    end_column: 15,
                },
                key_location: None,
                snippet: Default::default(),
                line_hash: None,
                binary: None,
                decoded: Vec::new(),
            }],
            in_head: None,
            verification: None,
            response: None,
        }
    }

    #[test]
    fn results_over_github_s_limit_keep_the_most_severe_and_warn() {
        let rules = RuleSet::builtin().rules;
        let lowest = rules.iter().min_by_key(|r| r.severity).unwrap();
        let highest = rules.iter().max_by_key(|r| r.severity).unwrap();
        assert!(lowest.severity < highest.severity);
        let (low, critical) = (lowest.id.clone(), highest.id.clone());
        let mut findings: Vec<Finding> = (0..MAX_RESULTS).map(|n| finding(&low, n)).collect();
        findings.push(finding(&critical, MAX_RESULTS));
        findings.push(finding(&low, MAX_RESULTS + 1));
        let report = Report {
            findings,
            rules,
            ..Report::default()
        };
        let r = collect(&report, &|_| true);
        assert_eq!(r.results.len(), MAX_RESULTS);
        assert_eq!(r.dropped, 2);
        assert_eq!(r.results[0].rule_id.as_deref(), Some(critical.as_str()));
        let w = warnings(&report);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("2 results over"), "{w:?}");
    }
}
