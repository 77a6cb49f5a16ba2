//! Baselines: the set of findings an earlier scan reported, so a scan can
//! report only what is new. Written as sorted JSON with one finding per line,
//! no timestamps and no secrets; read from that format or from any JSON,
//! JSONL or SARIF report of `keyhound scan`, by fingerprint.
//!
//! ```text
//! {
//!   "keyhound_baseline": 1,
//!   "findings": [
//!     {"fingerprint":"0f3c...","rule":"tencent.secret-id","path":"src/a.py","line":3},
//!     {"fingerprint":"9a8b...","rule":"tencent.secret-id","path":"x.env","line":1,"commit":"4e1f..."}
//!   ]
//! }
//! ```

use super::ConfigError;
use crate::finding::Fingerprint;
use serde::Serialize;
use std::collections::BTreeSet;

/// Version written in `keyhound_baseline`.
pub const VERSION: u32 = 1;

/// One line of a baseline: enough to recognise the finding and find it again.
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaselineEntry {
    /// The finding's fingerprint (what matching uses).
    pub fingerprint: String,
    /// Rule id.
    pub rule: String,
    /// First location's path, from the repo root.
    pub path: String,
    /// First location's line.
    pub line: u32,
    /// First location's commit, for history scans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// Renders a baseline: entries sorted by fingerprint, one per line.
pub fn render(mut entries: Vec<BaselineEntry>) -> String {
    entries.sort();
    entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    let mut out = format!("{{\n  \"keyhound_baseline\": {VERSION},\n  \"findings\": [");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&serde_json::to_string(e).expect("plain strings and numbers serialize"));
    }
    out.push_str(if entries.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    out
}

/// Fingerprints known to a baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    /// The file, as named in messages.
    pub origin: String,
    /// Its fingerprints.
    pub fingerprints: BTreeSet<Fingerprint>,
}

/// Reads a baseline, or a JSON, JSONL or SARIF report.
pub fn parse(text: &str, origin: &str) -> Result<Baseline, ConfigError> {
    let err = |m: String| ConfigError {
        message: format!("{origin}: {m}"),
    };
    let findings: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(doc)) if doc.contains_key("runs") => sarif_findings(&doc),
        Ok(serde_json::Value::Object(mut doc)) => match doc.remove("findings") {
            Some(serde_json::Value::Array(a)) => a,
            Some(serde_json::Value::Object(o)) if o.contains_key("fingerprint") => {
                vec![serde_json::Value::Object(o)]
            }
            None if doc.contains_key("fingerprint") => vec![serde_json::Value::Object(doc)],
            _ => {
                return Err(err(
                    "not a keyhound baseline or JSON report (no \"findings\" array)".into(),
                ));
            }
        },
        Ok(_) => return Err(err("not a keyhound baseline or JSON report".into())),
        Err(whole) => {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                out.push(serde_json::from_str(line).map_err(|_| {
                    err(format!(
                        "not a keyhound baseline, JSON or JSONL report: {whole} (line {} of JSONL)",
                        i + 1
                    ))
                })?);
            }
            out
        }
    };
    let mut fingerprints = BTreeSet::new();
    for (i, f) in findings.iter().enumerate() {
        let fp = f
            .get("fingerprint")
            .and_then(|v| v.as_str())
            .and_then(Fingerprint::from_hex)
            .ok_or_else(|| {
                err(format!(
                    "finding {} has no 32-hex-digit \"fingerprint\"",
                    i + 1
                ))
            })?;
        fingerprints.insert(fp);
    }
    Ok(Baseline {
        origin: origin.to_string(),
        fingerprints,
    })
}

/// The `keyhound/v1` partial fingerprints of a SARIF log's results, as
/// `{"fingerprint": ...}` objects (results without one are not keyhound's).
fn sarif_findings(doc: &serde_json::Map<String, serde_json::Value>) -> Vec<serde_json::Value> {
    let runs = doc.get("runs").and_then(|r| r.as_array());
    runs.into_iter()
        .flatten()
        .filter_map(|run| run.get("results").and_then(|r| r.as_array()))
        .flatten()
        .filter_map(|r| r.pointer("/partialFingerprints/keyhound~1v1"))
        .map(|fp| serde_json::json!({ "fingerprint": fp }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fp: char, path: &str) -> BaselineEntry {
        BaselineEntry {
            fingerprint: fp.to_string().repeat(32),
            rule: "r".into(),
            path: path.into(),
            line: 2,
            commit: None,
        }
    }

    #[test]
    fn render_is_sorted_and_reads_back() {
        let text = render(vec![entry('b', "x"), entry('a', "y"), entry('b', "z")]);
        assert_eq!(
            text,
            format!(
                "{{\n  \"keyhound_baseline\": 1,\n  \"findings\": [\n    \
                 {{\"fingerprint\":\"{a}\",\"rule\":\"r\",\"path\":\"y\",\"line\":2}},\n    \
                 {{\"fingerprint\":\"{b}\",\"rule\":\"r\",\"path\":\"x\",\"line\":2}}\n  ]\n}}\n",
                a = "a".repeat(32),
                b = "b".repeat(32)
            )
        );
        let b = parse(&text, "b.json").unwrap();
        assert_eq!(b.fingerprints.len(), 2);
        assert_eq!(
            render(vec![]),
            "{\n  \"keyhound_baseline\": 1,\n  \"findings\": []\n}\n"
        );
        assert!(parse(&render(vec![]), "b").unwrap().fingerprints.is_empty());
    }

    #[test]
    fn reads_json_and_jsonl_reports() {
        let fp = "c".repeat(32);
        let report = format!(
            "{{\"version\":1,\"suppressed\":0,\"findings\":[{{\"fingerprint\":\"{fp}\",\"rule\":\"r\"}}]}}"
        );
        assert_eq!(parse(&report, "r.json").unwrap().fingerprints.len(), 1);
        let jsonl = format!(
            "{{\"fingerprint\":\"{fp}\"}}\n{{\"fingerprint\":\"{}\"}}\n",
            "d".repeat(32)
        );
        assert_eq!(parse(&jsonl, "r.jsonl").unwrap().fingerprints.len(), 2);
    }

    #[test]
    fn rejects_what_is_not_a_report() {
        let e = parse("[1,2]", "x.json").unwrap_err();
        assert_eq!(e.message, "x.json: not a keyhound baseline or JSON report");
        let e = parse("{\"findings\":[{\"fingerprint\":\"zz\"}]}", "x.json").unwrap_err();
        assert_eq!(
            e.message,
            "x.json: finding 1 has no 32-hex-digit \"fingerprint\""
        );
        assert!(
            parse("hello", "x")
                .unwrap_err()
                .message
                .starts_with("x: not a keyhound baseline, JSON or JSONL")
        );
    }
}
