//! What `keyhound respond` did about a finding: disabled it, would disable
//! it (dry run), found nothing to do, refused, failed, or left it to a
//! human. Carried by a [`Finding`](super::Finding) into every report.

use serde::{Deserialize, Serialize};

/// The action taken on one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The key was set Inactive, and the post-check saw it.
    Disabled,
    /// Dry run: the key would be set Inactive with `--yes`.
    WouldDisable,
    /// Not live, or already Inactive: nothing to do.
    NothingToDo,
    /// Live but not touched: another account's key, the credentials
    /// keyhound runs with, or one the auditor's account does not list.
    Refused,
    /// The disable was attempted and not confirmed.
    Failed,
    /// keyhound cannot settle it (unknown verdict, a provider it does not
    /// disable): a human has to look.
    NotActed,
}

impl Action {
    /// Whether the finding still needs someone after this run.
    pub fn needs_a_human(self) -> bool {
        !matches!(self, Action::Disabled | Action::NothingToDo)
    }

    /// The word reports print.
    pub fn word(self) -> &'static str {
        match self {
            Action::Disabled => "disabled",
            Action::WouldDisable => "would disable",
            Action::NothingToDo => "nothing to do",
            Action::Refused => "refused",
            Action::Failed => "failed",
            Action::NotActed => "not acted on",
        }
    }
}

/// The response to one finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// What was done.
    pub action: Action,
    /// One line saying why, and what to do next.
    pub detail: String,
    /// Tencent's RequestId of the UpdateAccessKey call, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
