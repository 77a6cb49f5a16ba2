//! How a command ended, and the exit code each ending maps to: 0 clean, 1
//! findings (or the code `--exit-code` asked for); errors are 2.

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Nothing found.
    Clean,
    /// Findings reported.
    Findings,
    /// Findings reported, with the code `--exit-code` asked for.
    FindingsCode(u8),
}

impl Exit {
    /// The process exit code of this ending (an error reported on the way
    /// makes it 2 instead; `main` decides that).
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::FindingsCode(n) => n,
        }
    }
}
