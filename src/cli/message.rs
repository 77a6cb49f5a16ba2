//! What the user reads on stderr: diagnostics ("keyhound: warning: cannot
//! read x: permission denied") and the flag that turns the exit code into 2
//! once an error was shown. Not the debug log: that is `tracing`, switched
//! on with `-v`. Every line is sanitised and bounded: messages name files,
//! revisions and input lines an attacker may have chosen.

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);
static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The most characters of one message shown on stderr.
pub(crate) const MAX_SHOWN: usize = 1000;

/// `text` as it may reach a terminal: no controls or bidi characters, no
/// full SecretId, at most [`MAX_SHOWN`] characters.
pub(crate) fn shown(text: &str) -> String {
    crate::report::sanitize::bounded(&crate::rule::echo::redact_ids(text), MAX_SHOWN)
}

/// Silences warnings and notes (errors are always printed).
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Prints one diagnostic; an error makes the run exit 2 at the end.
pub(crate) fn show(d: &Diagnostic) {
    if d.severity == Severity::Error {
        ERRORED.store(true, Ordering::Relaxed);
        ERRORS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(d.message.clone());
    } else if QUIET.load(Ordering::Relaxed) {
        return;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "keyhound: {}: {}",
        d.severity.label(),
        shown(&d.message)
    );
}

/// Prints every diagnostic of `diags`, in order, and empties it.
pub(crate) fn flush(diags: &Diagnostics) {
    for d in diags.drain() {
        show(&d);
    }
}

/// Prints a warning: something was skipped, the run goes on.
pub(crate) fn warn(msg: impl std::fmt::Display) {
    show(&Diagnostic {
        severity: Severity::Warning,
        message: msg.to_string(),
    });
}

/// Prints an error: the run goes on where it can, and exits 2 at the end.
pub(crate) fn error(msg: impl std::fmt::Display) {
    show(&Diagnostic {
        severity: Severity::Error,
        message: msg.to_string(),
    });
}

/// The errors shown so far, in order (reports record them).
pub(crate) fn errors() -> Vec<String> {
    ERRORS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Whether an error was shown during this run.
pub(crate) fn errored() -> bool {
    ERRORED.load(Ordering::Relaxed)
}
