//! Reading a keyhound JSON report back for `verify --from` and `disable
//! --from`, and recovering the secrets of a redacted report by rescanning
//! the files it lists and matching fingerprints.

use crate::engine::Engine;
use crate::finding::{Fingerprint, Secret, SecretKind};
use crate::scan::BlobScanner;
use crate::source::Provenance;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One finding of a report, as written.
#[derive(Clone, Debug)]
pub struct ReportFinding {
    /// Its position in the report's `findings` array.
    pub index: usize,
    /// The fingerprint.
    pub fingerprint: String,
    /// The rule id.
    pub rule: String,
    /// The secret as written (redacted or raw).
    pub secret: String,
    /// The key as written (redacted or raw).
    pub key: Option<String>,
    /// The token as written (redacted or raw).
    pub token: Option<String>,
    /// Whether the report redacted the values.
    pub redacted: bool,
    /// `(kind, path)` of every location.
    pub locations: Vec<(String, String)>,
}

/// The credential values of a finding, recovered.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The identifier (SecretId).
    pub secret: Secret,
    /// Its key.
    pub key: Option<Secret>,
    /// Its session token.
    pub token: Option<Secret>,
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file cannot be read.
    #[error("cannot read report {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Not a keyhound JSON report.
    #[error("{0} is not a keyhound JSON report: {1}")]
    Format(PathBuf, String),
}

/// Reads a JSON report: the document (to write back with verifications) and
/// its findings.
pub fn read_report(path: &Path) -> Result<(Value, Vec<ReportFinding>), ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::Io(path.to_path_buf(), e))?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ReportError::Format(path.to_path_buf(), e.to_string()))?;
    let bad = |why: &str| ReportError::Format(path.to_path_buf(), why.to_string());
    if doc.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(bad("expected \"version\": 1"));
    }
    let list = doc
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no \"findings\" array"))?;
    let mut out = Vec::new();
    for (index, f) in list.iter().enumerate() {
        let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(fingerprint), Some(rule), Some(secret)) =
            (s("fingerprint"), s("rule"), s("secret"))
        else {
            return Err(bad(&format!(
                "finding {index} lacks fingerprint, rule or secret"
            )));
        };
        let locations = f
            .get("locations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| {
                let kind = l.get("kind")?.as_str()?.to_string();
                let path = l.get("path")?.as_str()?.to_string();
                Some((kind, path))
            })
            .collect();
        out.push(ReportFinding {
            index,
            fingerprint,
            rule,
            secret,
            key: s("key"),
            token: s("token"),
            redacted: f.get("redacted").and_then(Value::as_bool).unwrap_or(true),
            locations,
        });
    }
    Ok((doc, out))
}

impl ReportFinding {
    /// The values: taken from the report when it shows secrets, else found
    /// again by rescanning its file locations and matching the fingerprint.
    /// The error is one line saying why not.
    pub fn recover(&self, engine: &Engine) -> Result<Recovered, String> {
        if !self.redacted {
            let r = Recovered {
                secret: Secret::new(self.secret.as_str(), SecretKind::Identifier),
                key: self.key.as_deref().map(|k| Secret::new(k, SecretKind::Key)),
                token: self
                    .token
                    .as_deref()
                    .map(|t| Secret::new(t, SecretKind::Key)),
            };
            let fp = Fingerprint::of(&self.rule, &r.secret, r.key.as_ref());
            return if fp.as_str() == self.fingerprint {
                Ok(r)
            } else {
                Err("the values in the report do not match its fingerprint".to_string())
            };
        }
        let mut tried = Vec::new();
        let mut scanner = BlobScanner::new(engine);
        for (kind, path) in &self.locations {
            if kind != "file" {
                continue;
            }
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    tried.push(format!("{path}: {e}"));
                    continue;
                }
            };
            let prov = Provenance::File {
                path: PathBuf::from(path),
            };
            for h in scanner.scan(&bytes, Some(path), &prov).drain(..) {
                if h.rule == self.rule
                    && Fingerprint::of(&h.rule, &h.secret, h.key.as_ref()).as_str()
                        == self.fingerprint
                {
                    return Ok(Recovered {
                        secret: h.secret,
                        key: h.key,
                        token: h.token,
                    });
                }
            }
            tried.push(format!("{path} no longer holds it"));
        }
        if tried.is_empty() {
            Err("redacted report and no file location to rescan (git or stdin only): \
                 run `keyhound scan --verify` on the source, or write the report with --show-secrets"
                .to_string())
        } else {
            Err(format!(
                "redacted report and the secret was not found again: {}",
                tried.join("; ")
            ))
        }
    }
}
