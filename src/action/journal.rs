//! The action journal: one JSON line per state-changing call (time, key id
//! shortened, owner, action, result, RequestId), appended and never
//! rewritten; `enable` reads it to undo what keyhound disabled.

use super::Change;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The default journal file, in the current directory.
pub const DEFAULT_JOURNAL: &str = "keyhound-journal.jsonl";

/// How a journaled call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryResult {
    /// The post-check saw the new status.
    Confirmed,
    /// The call was accepted but the post-check did not see the new status
    /// (or could not be made).
    Unconfirmed,
    /// The call, or the pre-check before it, failed.
    Failed,
}

impl std::fmt::Display for EntryResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EntryResult::Confirmed => "confirmed",
            EntryResult::Unconfirmed => "unconfirmed",
            EntryResult::Failed => "failed",
        })
    }
}

/// One journaled action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// The SecretId, shortened (`AKIDq3Wm…0Sj1`).
    pub key: String,
    /// The root account's UIN.
    pub owner_uin: String,
    /// The UIN the key belongs to.
    pub uin: String,
    /// `disable` or `enable`.
    pub action: Change,
    /// `confirmed`, `unconfirmed` or `failed`.
    pub result: EntryResult,
    /// Why, for anything but `confirmed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Tencent's RequestId of the UpdateAccessKey call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// I/O on the file.
    #[error("journal {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A line that is not an entry.
    #[error("journal {0}, line {1}: {2}")]
    Line(PathBuf, usize, String),
}

/// Now, RFC 3339 UTC, whole seconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Appends one entry and syncs it to disk.
pub fn append(path: &Path, e: &Entry) -> Result<(), JournalError> {
    let io = |err| JournalError::Io(path.to_path_buf(), err);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    let mut line = serde_json::to_string(e).expect("entries serialize");
    line.push('\n');
    f.write_all(line.as_bytes()).map_err(io)?;
    f.sync_data().map_err(io)
}

/// Reads every entry.
pub fn read(path: &Path) -> Result<Vec<Entry>, JournalError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| JournalError::Io(path.to_path_buf(), e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| JournalError::Line(path.to_path_buf(), i + 1, e.to_string()))
        })
        .collect()
}

/// The keys whose latest confirmed action in the journal is a disable by
/// keyhound, as `(shortened id, owner uin, uin)`, in journal order.
pub fn disabled_by_us(entries: &[Entry]) -> Vec<(String, String, String)> {
    let mut last: Vec<(String, String, String, bool)> = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.result == EntryResult::Confirmed)
    {
        let disabled = e.action == Change::Disable;
        match last.iter_mut().find(|x| x.0 == e.key && x.2 == e.uin) {
            Some(x) => x.3 = disabled,
            None => last.push((e.key.clone(), e.owner_uin.clone(), e.uin.clone(), disabled)),
        }
    }
    last.into_iter()
        .filter(|x| x.3)
        .map(|(k, o, u, _)| (k, o, u))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, action: Change, result: EntryResult) -> Entry {
        Entry {
            time: now_rfc3339(),
            key: key.into(),
            owner_uin: "1".into(),
            uin: "2".into(),
            action,
            result,
            detail: None,
            request_id: None,
        }
    }

    #[test]
    fn journal_round_trips_and_finds_what_to_undo() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        for e in [
            entry("A…1", Change::Disable, EntryResult::Confirmed),
            entry("B…2", Change::Disable, EntryResult::Confirmed),
            entry("B…2", Change::Enable, EntryResult::Confirmed),
            entry("C…3", Change::Disable, EntryResult::Failed),
        ] {
            append(&p, &e).unwrap();
        }
        let back = read(&p).unwrap();
        assert_eq!(back.len(), 4);
        assert!(back[0].time.ends_with('Z'), "{}", back[0].time);
        assert_eq!(
            disabled_by_us(&back),
            vec![("A…1".into(), "1".into(), "2".into())]
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.contains(r#""action":"disable","result":"confirmed""#),
            "{text}"
        );
        std::fs::write(&p, "{not json}\n").unwrap();
        assert!(read(&p).unwrap_err().to_string().contains("line 1"));
    }
}
