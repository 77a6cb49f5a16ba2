//! Warnings, notes and errors as values: what a scan, a source or a loader
//! has to tell the user besides its result. The library collects them in a
//! [`Diagnostics`] list and never prints; `cli` shows them on stderr and
//! turns an error into exit code 2.

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
        });
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
