//! The action journal: one JSON line per state-changing call (time, key id
//! shortened, owner, action, result, RequestId), appended and never
//! rewritten; `enable` reads it to undo what keyhound disabled.

use super::Change;
use crate::diagnostic::Diagnostics;
use crate::report::sanitize::sanitize;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The default journal's file name, in [`default_path`]'s directory.
pub const DEFAULT_JOURNAL: &str = "journal.jsonl";

/// The journal used without `--journal`: `keyhound/journal.jsonl` under
/// the user's state directory (`$XDG_STATE_HOME`, else
/// `~/.local/state`; `%LOCALAPPDATA%` on Windows), never the current
/// directory, which in CI is the repository being scanned. `None` when no
/// such directory is known.
pub fn default_path() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let state = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else {
        var("XDG_STATE_HOME").or_else(|| var("HOME").map(|h| h.join(".local/state")))
    };
    state.map(|d| d.join("keyhound").join(DEFAULT_JOURNAL))
}

/// Where a journaled call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryResult {
    /// Written and synced before the call is sent; its outcome follows.
    Intent,
    /// The post-check saw the new status (also after a call that timed out
    /// or failed).
    Confirmed,
    /// The call may have been applied: it was accepted but the post-check
    /// did not see the new status, or neither it nor the post-check
    /// answered.
    Unconfirmed,
    /// The pre-check failed, or the post-check saw the old status.
    Failed,
}

impl std::fmt::Display for EntryResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EntryResult::Intent => "intent",
            EntryResult::Confirmed => "confirmed",
            EntryResult::Unconfirmed => "unconfirmed",
            EntryResult::Failed => "failed",
        })
    }
}

/// Whose key a journal entry is about; entries written before Alibaba
/// Cloud was supported have no `provider` and are Tencent's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Tencent Cloud (CAM): `owner_uin` and `uin` are UINs.
    #[default]
    Tencent,
    /// Alibaba Cloud (RAM): `owner_uin` is the account id, `uin` the RAM
    /// user's id (the account id for the root account's keys).
    Alibaba,
}

impl Cloud {
    fn is_tencent(&self) -> bool {
        *self == Cloud::Tencent
    }
}

/// One journaled action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The provider holding the key (absent: Tencent).
    #[serde(
        default,
        rename = "provider",
        skip_serializing_if = "Cloud::is_tencent"
    )]
    pub cloud: Cloud,
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
    /// `intent` (before the call), then `confirmed`, `unconfirmed` or
    /// `failed`.
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
    /// Larger than [`MAX_JOURNAL`].
    #[error("journal {0}: larger than {1} bytes; not a keyhound journal")]
    TooLarge(PathBuf, u64),
}

/// Now, RFC 3339 UTC, whole seconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The largest journal read: years of entries are a few megabytes.
pub const MAX_JOURNAL: u64 = crate::input::Kind::Journal.cap();

/// The journal, open for appending: opened (and created) before anything
/// is changed, so a journal that cannot be written stops the run before
/// the first call.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Opens `path` for appending, creating it (and syncing its directory)
    /// when missing; a cut-off last line is ended first, so the next entry
    /// starts on a line of its own.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |err| JournalError::Io(path.to_path_buf(), err);
        let existed = path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        if existed {
            use std::io::{Read, Seek, SeekFrom};
            let len = file.metadata().map_err(io)?.len();
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
                file.read_exact(&mut last).map_err(io)?;
                if last[0] != b'\n' {
                    file.write_all(b"\n").map_err(io)?;
                }
            }
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A new file's name is durable only once its directory is synced.
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        file.sync_data().map_err(io)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and syncs it to disk before returning.
    pub fn append(&mut self, e: &Entry) -> Result<(), JournalError> {
        let io = |err| JournalError::Io(self.path.clone(), err);
        let mut line = serde_json::to_string(e).expect("entries serialize");
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}

/// An entry as read back, with its line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// 1-based line in the file.
    pub line: usize,
    /// The entry.
    pub entry: Entry,
}

/// Reads every well-formed entry (at most [`MAX_JOURNAL`] bytes of file).
/// A line that is not an entry, or whose fields are not what keyhound
/// writes (a shortened key id, numeric UINs; actions and results are
/// enums),
/// is skipped with a warning naming the file and the line.
pub fn read(path: &Path, diags: &Diagnostics) -> Result<Vec<Read>, JournalError> {
    let io = |err| JournalError::Io(path.to_path_buf(), err);
    let bytes = match crate::input::read(path, crate::input::Kind::Journal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            return Err(JournalError::TooLarge(path.to_path_buf(), MAX_JOURNAL));
        }
        Err(e) => return Err(io(e)),
    };
    let shown = sanitize(&path.display().to_string());
    let mut out = Vec::new();
    let count = bytes.split(|b| *b == b'\n').count();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let cut_off = line == count && !bytes.ends_with(b"\n");
        match serde_json::from_slice::<Entry>(raw) {
            Ok(entry) => match invalid(&entry) {
                None => out.push(Read { line, entry }),
                Some(why) => diags.warn(format!("journal {shown}, line {line}: {why}: skipped")),
            },
            Err(_) if cut_off => diags.warn(format!(
                "journal {shown}, line {line}: cut off (an interrupted write?): skipped"
            )),
            Err(e) => diags.warn(format!(
                "journal {shown}, line {line}: not a journal entry ({e}): skipped"
            )),
        }
    }
    Ok(out)
}

/// What is wrong with an entry keyhound would never have written.
fn invalid(e: &Entry) -> Option<String> {
    let uin = |v: &str| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit());
    let quoted = |v: &str| sanitize(&crate::report::sanitize::cut(v, 40));
    if !crate::finding::is_shortened_id(&e.key) {
        return Some(format!(
            "key \"{}\" is not a shortened SecretId",
            quoted(&e.key)
        ));
    }
    if !uin(&e.owner_uin) || !uin(&e.uin) {
        return Some(format!(
            "owner_uin \"{}\" / uin \"{}\" are not UINs",
            quoted(&e.owner_uin),
            quoted(&e.uin)
        ));
    }
    None
}

/// A key keyhound may have switched off, as the journal tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undo {
    /// The provider holding the key.
    pub cloud: Cloud,
    /// The shortened SecretId.
    pub key: String,
    /// The account the journal says it belongs to.
    pub owner_uin: String,
    /// The UIN the journal says it belongs to.
    pub uin: String,
    /// The line of the entry that makes it a candidate.
    pub line: usize,
}

/// The keys keyhound may have left disabled, in journal order: the last
/// disable was confirmed or unconfirmed (the call answered; the post-check
/// could not show it), or its intent was written and no outcome followed
/// (the run stopped mid-call). A confirmed enable undoes them; a failed
/// disable leaves the key as it was before.
pub fn disabled_by_us(entries: &[Read]) -> Vec<Undo> {
    struct State {
        undo: Undo,
        disabled: bool,
        pending: bool,
    }
    let mut keys: Vec<State> = Vec::new();
    for Read { line, entry: e } in entries {
        let i = match keys.iter().position(|s| {
            s.undo.cloud == e.cloud
                && s.undo.key == e.key
                && s.undo.uin == e.uin
                && s.undo.owner_uin == e.owner_uin
        }) {
            Some(i) => i,
            None => {
                keys.push(State {
                    undo: Undo {
                        cloud: e.cloud,
                        key: e.key.clone(),
                        owner_uin: e.owner_uin.clone(),
                        uin: e.uin.clone(),
                        line: *line,
                    },
                    disabled: false,
                    pending: false,
                });
                keys.len() - 1
            }
        };
        let s = &mut keys[i];
        match (e.action, e.result) {
            (Change::Disable, EntryResult::Intent) => s.pending = true,
            (Change::Disable, EntryResult::Confirmed | EntryResult::Unconfirmed) => {
                s.disabled = true;
                s.pending = false;
            }
            (Change::Enable, EntryResult::Confirmed) => {
                s.disabled = false;
                s.pending = false;
            }
            (_, EntryResult::Intent) => {}
            _ => s.pending = false,
        }
        if s.disabled || s.pending {
            s.undo.line = *line;
        }
    }
    keys.into_iter()
        .filter(|s| s.disabled || s.pending)
        .map(|s| s.undo)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, action: Change, result: EntryResult) -> Entry {
        Entry {
            cloud: Cloud::Tencent,
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

    const A: &str = "AKIDaaaa…aaa1";
    const B: &str = "AKIDbbbb…bbb2";
    const C: &str = "AKIDcccc…ccc3";
    const D: &str = "AKIDdddd…ddd4";

    #[test]
    fn journal_round_trips_and_finds_what_to_undo() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut j = Journal::open(&p).unwrap();
        for e in [
            entry(A, Change::Disable, EntryResult::Intent),
            entry(A, Change::Disable, EntryResult::Confirmed),
            entry(B, Change::Disable, EntryResult::Confirmed),
            entry(B, Change::Enable, EntryResult::Confirmed),
            entry(C, Change::Disable, EntryResult::Intent),
            entry(C, Change::Disable, EntryResult::Failed),
            entry(D, Change::Disable, EntryResult::Intent),
        ] {
            j.append(&e).unwrap();
        }
        let diags = Diagnostics::new();
        let back = read(&p, &diags).unwrap();
        assert_eq!(back.len(), 7);
        assert!(diags.drain().is_empty());
        assert!(back[0].entry.time.ends_with('Z'), "{:?}", back[0]);
        let undo: Vec<(String, usize)> = disabled_by_us(&back)
            .into_iter()
            .map(|u| (u.key, u.line))
            .collect();
        assert_eq!(undo, vec![(A.into(), 2), (D.into(), 7)]);
    }

    #[test]
    fn damaged_lines_are_skipped_with_their_line_and_appends_start_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let good =
            serde_json::to_string(&entry(A, Change::Disable, EntryResult::Confirmed)).unwrap();
        let bare = serde_json::to_string(&entry("AKID…", Change::Disable, EntryResult::Confirmed))
            .unwrap();
        let text = format!("{good}\n{{not json}}\n{bare}\n{}", &good[..20]);
        std::fs::write(&p, &text).unwrap();
        let diags = Diagnostics::new();
        let back = read(&p, &diags).unwrap();
        assert_eq!(back.len(), 1);
        let warnings: Vec<String> = diags.drain().into_iter().map(|d| d.message).collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("line 2"), "{warnings:?}");
        assert!(warnings[1].contains("line 3") && warnings[1].contains("shortened"));
        assert!(warnings[2].contains("line 4") && warnings[2].contains("cut off"));
        Journal::open(&p)
            .unwrap()
            .append(&entry(B, Change::Disable, EntryResult::Confirmed))
            .unwrap();
        let back = read(&p, &Diagnostics::new()).unwrap();
        assert_eq!(back.len(), 2, "the new entry is on a line of its own");
        assert_eq!(back[1].line, 5);
    }
}
