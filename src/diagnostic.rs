//! Warnings, notes and errors as values: what a scan, a source or a loader
//! has to tell the user besides its result. The library collects them in a
//! [`Diagnostics`] list and never prints; `cli` shows them on stderr and
//! turns an error into exit code 2.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// How much a diagnostic matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing (how many rules a file gave, a stale ignore entry); the
    /// exit code does not change.
    Note,
    /// Something was skipped, the run went on; the exit code does not change.
    Warning,
    /// The run went on where it could, but the result is incomplete: exit 2.
    Error,
}

impl Severity {
    /// The word shown before the message (`warning`, `note`, `error`).
    pub fn label(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One message for the user. The text never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How much it matters.
    pub severity: Severity,
    /// One line, lowercase, naming the input it is about.
    pub message: String,
    /// What kind of skip or failure it reports, when it is one a scan
    /// counts ([`CLASSES`]).
    pub class: Option<Class>,
    /// How many instances the message stands for (an archive's warning
    /// covers every member it skipped the same way).
    pub count: u64,
}

/// A kind of warning or error a scan counts: reports carry a count per
/// class, and a terminal shows the first few of each and a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Class {
    /// Its name in reports (`archive-depth`).
    pub name: &'static str,
    /// What one instance is, plural (`nested archives deeper than the depth limit`).
    pub what: &'static str,
    /// Something could not be read (damaged, encrypted, unreadable), as
    /// opposed to left out by a limit or a choice: the scan is incomplete.
    pub unread: bool,
}

macro_rules! classes {
    ($($id:ident = $name:literal, $unread:literal, $what:literal;)*) => {
        impl Class {
            $(
                #[doc = concat!("`", $name, "`: ", $what, ".")]
                pub const $id: Class = Class { name: $name, what: $what, unread: $unread };
            )*
        }
        /// Every class, for looking one up by name.
        pub const CLASSES: &[Class] = &[$(Class::$id),*];
    };
}

classes! {
    ARCHIVE_DEPTH = "archive-depth", false, "nested archives deeper than --archive-depth, not opened";
    ARCHIVE_TOTAL_SIZE = "archive-total-size", false, "archives stopped at --archive-max-size";
    ARCHIVE_MEMBER_COUNT = "archive-member-count", false, "archives stopped at --archive-max-members";
    ARCHIVE_MEMBER_SIZE = "archive-member-size", false, "archive members over --max-file-size";
    ARCHIVE_BOMB = "archive-bomb", false, "archive members expanding like a decompression bomb";
    ARCHIVE_MEMORY = "archive-memory", false, "archive members the archive could not hold in memory";
    ARCHIVE_ENCRYPTED = "archive-encrypted", true, "encrypted archive members";
    ARCHIVE_UNSUPPORTED = "archive-unsupported", true, "archive members in an unsupported format";
    ARCHIVE_CORRUPT = "archive-corrupt", true, "damaged or truncated archives";
    UNREADABLE = "unreadable", true, "files, objects or repositories that could not be read";
    TOO_LARGE = "too-large", false, "streams over --max-file-size";
    SYMLINK_LOOP = "symlink-loop", false, "symbolic link loops";
    BROKEN_LINK = "broken-link", false, "broken symbolic links";
    SHALLOW_CLONE = "shallow-clone", false, "shallow clones, history before the boundary missing";
    PARTIAL_CLONE = "partial-clone", true, "objects only on a partial clone's promisor remote";
    SUBMODULE = "submodule", false, "submodules, scanned separately";
    LFS_POINTER = "lfs-pointer", false, "git LFS pointer files";
    OTHER = "other", false, "other warnings";
}

impl Class {
    /// The class named `name`.
    pub fn named(name: &str) -> Option<Class> {
        CLASSES.iter().copied().find(|c| c.name == name)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity.label(), self.message)
    }
}

/// An ordered list of diagnostics, safe to add to from many threads.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    fn items(&self) -> std::sync::MutexGuard<'_, Vec<Diagnostic>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a diagnostic.
    pub fn push(&self, severity: Severity, message: impl fmt::Display) {
        self.items().push(Diagnostic {
            severity,
            message: message.to_string(),
            class: None,
            count: 1,
        });
    }

    /// Adds a diagnostic of a counted class, standing for `count` instances.
    pub fn push_counted(
        &self,
        severity: Severity,
        class: Class,
        count: u64,
        message: impl fmt::Display,
    ) {
        self.items().push(Diagnostic {
            severity,
            message: message.to_string(),
            class: Some(class),
            count,
        });
    }

    /// Instances of every warning and error, by class name (those without
    /// a class as `other`).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for d in self.items().iter().filter(|d| d.severity != Severity::Note) {
            let class = d.class.unwrap_or(Class::OTHER);
            *out.entry(class.name.to_string()).or_insert(0) += d.count;
        }
        out
    }

    /// Adds a note.
    pub fn note(&self, message: impl fmt::Display) {
        self.push(Severity::Note, message);
    }

    /// Adds a warning.
    pub fn warn(&self, message: impl fmt::Display) {
        self.push(Severity::Warning, message);
    }

    /// Adds an error.
    pub fn error(&self, message: impl fmt::Display) {
        self.push(Severity::Error, message);
    }

    /// Moves every diagnostic of `other` to the end of this list.
    pub fn append(&self, other: Diagnostics) {
        let mut more = other.into_vec();
        self.items().append(&mut more);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items().iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items().is_empty()
    }

    /// Takes the diagnostics out, in the order they were added, leaving
    /// the list empty.
    pub fn drain(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.items())
    }

    /// The diagnostics, in the order they were added.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the diagnostics, in the order they were added.
    pub fn to_vec(&self) -> Vec<Diagnostic> {
        self.items().clone()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics {
            items: Mutex::new(items),
        }
    }
}

/// `s` cut to about `max` characters: a longer text keeps its start and
/// its end (where a message names its cause) around a marker saying how
/// much was left out, so one hostile file name or input line cannot flood
/// a terminal or a log.
pub fn cut(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    let tail = max / 3;
    let head = max - tail;
    let left_out = count - head - tail;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(head + left_out).collect();
    format!("{start}…[{left_out} characters cut]…{end}")
}

/// An error and its causes on one line, `outer: cause: root`; a cause whose
/// text its parent already repeats (hyper and reqwest often do) is left out.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_tells_errors_apart() {
        let d = Diagnostics::new();
        d.note("one");
        d.warn("two");
        assert!(!d.has_errors());
        let more = Diagnostics::new();
        more.error("three");
        d.append(more);
        assert!(d.has_errors());
        let shown: Vec<String> = d.into_vec().iter().map(|x| x.to_string()).collect();
        assert_eq!(shown, ["note: one", "warning: two", "error: three"]);
    }
}
