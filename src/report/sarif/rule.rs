//! SARIF rule entries (`reportingDescriptor`): names, severities for GitHub
//! (`security-severity`, `level`), and help in text and markdown.

use crate::rule::{Rule, Severity};
use serde_json::{Value, json};
use serde_sarif::sarif;
use std::collections::BTreeMap;

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

/// The result level for a rule's severity.
pub fn result_level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

/// A property bag from a map.
pub fn props(map: BTreeMap<String, Value>) -> sarif::PropertyBag {
    sarif::PropertyBag::builder()
        .additional_properties(map)
        .build()
}

/// The rule entry for `rule`.
pub fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
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
    let precision = if rule.pair.is_some() {
        "very-high"
    } else {
        "high"
    };
    p.insert("precision".to_string(), json!(precision));
    let text = |t: String| sarif::MultiformatMessageString::builder().text(t).build();
    let mut b = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(camel(&rule.id))
        .short_description(text(rule.name.clone()))
        .full_description(text(desc))
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
    let mut help = text(format!(
        "{} found in the code. Treat it as compromised: disable or rotate it at the provider \
         (for Tencent Cloud: `keyhound disable`), then remove it from the code and its history.",
        rule.name
    ));
    help.markdown = Some(help_markdown(rule));
    b.help = Some(help);
    b
}

/// The rule's help as GitHub shows it under an alert.
fn help_markdown(rule: &Rule) -> String {
    let mut md = format!("# {}\n\n", rule.name);
    if !rule.description.is_empty() {
        md.push_str(&format!("{}\n\n", rule.description));
    }
    if let Some(pair) = &rule.pair {
        md.push_str(&format!(
            "keyhound looks for the matching {} next to it; a result marked `paired` holds both \
             halves of a working credential.\n\n",
            pair.name
        ));
    }
    md.push_str(
        "## What to do\n\n\
         1. Treat the credential as compromised: whoever can read this repository, or any \
         clone or fork of it, can use it.\n\
         2. Disable or rotate it at the provider. For Tencent Cloud keys, `keyhound verify` \
         tells who owns the key and when it was last used, and `keyhound disable` switches it \
         off (dry run first, journaled, undone with `keyhound enable`).\n\
         3. Remove it from the code and load it from the environment or a secret manager.\n\
         4. Removing it in a new commit leaves it in history: rewrite history if the repository \
         is public, and rotate in any case.\n\n\
         A value that is not a real secret (a test fixture, a documentation example) can be \
         allowed with a `keyhound:allow` comment on its line or an `[[allow]]` entry in \
         `.keyhound.toml`.\n",
    );
    if !rule.references.is_empty() {
        md.push_str("\n## References\n\n");
        for r in &rule.references {
            md.push_str(&format!("- <{r}>\n"));
        }
    }
    md
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_camel_case() {
        assert_eq!(camel("tencent.secret-id"), "TencentSecretId");
    }

    #[test]
    fn every_builtin_rule_has_markdown_help() {
        for rule in crate::rule::RuleSet::builtin().rules {
            let d = descriptor(&rule);
            let md = d.help.and_then(|h| h.markdown).unwrap_or_default();
            assert!(md.starts_with(&format!("# {}\n", rule.name)), "{}", rule.id);
            for r in &rule.references {
                assert!(md.contains(r.as_str()), "{}", rule.id);
            }
        }
    }
}
