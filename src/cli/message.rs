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

/// Diagnostics of one counted class shown before the rest of the class is
/// summed up in one line.
pub(crate) const SHOWN_PER_CLASS: usize = 5;

/// Prints every diagnostic of `diags`, in order, and empties it. Of each
/// counted class, only the first [`SHOWN_PER_CLASS`] are printed, and one
/// line at the end sums up the rest (errors are all printed: each one
/// names what the user must look at).
pub(crate) fn flush(diags: &Diagnostics) {
    let mut seen: std::collections::BTreeMap<&str, (usize, u64, Severity, &str)> =
        Default::default();
    let all = diags.drain();
    for d in &all {
        let Some(class) = d.class.filter(|_| d.severity != Severity::Error) else {
            show(d);
            continue;
        };
        let e = seen
            .entry(class.name)
            .or_insert((0, 0, d.severity, class.what));
        e.0 += 1;
        if e.0 <= SHOWN_PER_CLASS {
            show(d);
        } else {
            e.1 += d.count;
        }
    }
    for (name, (n, rest, severity, what)) in seen {
        if n > SHOWN_PER_CLASS {
            show(&Diagnostic {
                severity,
                message: format!(
                    "{} more warnings like these not shown ({rest} more {what}; \
                     class {name}, counted in the report's stats)",
                    n - SHOWN_PER_CLASS
                ),
                class: None,
                count: 0,
            });
        }
    }
}

/// Prints a warning: something was skipped, the run goes on.
pub(crate) fn warn(msg: impl std::fmt::Display) {
    show(&Diagnostic {
        severity: Severity::Warning,
        message: msg.to_string(),
        class: None,
        count: 1,
    });
}

/// Prints an error: the run goes on where it can, and exits 2 at the end.
pub(crate) fn error(msg: impl std::fmt::Display) {
    show(&Diagnostic {
        severity: Severity::Error,
        message: msg.to_string(),
        class: None,
        count: 1,
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
