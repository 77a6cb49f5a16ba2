//! User-facing notices on stderr ("warning: cannot read x: permission
//! denied") and the flag that turns the exit code into 2. Not the debug log:
//! that is `tracing`, switched on with `-v`.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);
static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences warnings (errors are always printed).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Prints a warning: something was skipped, the run goes on, the exit code
/// does not change.
pub fn warn(msg: impl std::fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr().lock(), "keyhound: warning: {msg}");
    }
}

/// Prints a notice: something worth knowing (how many rules a file gave, a
/// stale ignore entry); the exit code does not change.
pub fn note(msg: impl std::fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr().lock(), "keyhound: note: {msg}");
    }
}

/// Prints an error: the run goes on where it can, and exits 2 at the end.
pub fn error(msg: impl std::fmt::Display) {
    ERRORED.store(true, Ordering::Relaxed);
    let text = msg.to_string();
    let _ = writeln!(std::io::stderr().lock(), "keyhound: error: {text}");
    ERRORS.lock().unwrap_or_else(|p| p.into_inner()).push(text);
}

/// The errors reported so far, in order (for reports that record them).
pub fn errors() -> Vec<String> {
    ERRORS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Whether [`error`] was called during this run.
pub fn errored() -> bool {
    ERRORED.load(Ordering::Relaxed)
}
