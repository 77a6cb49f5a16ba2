//! Deciding what each distinct policy of the account is: full
//! administrative access or not, and what it grants (`GetPolicy` for its
//! document; a preset by its name where that decides or no document comes).

use super::answer::{Listed, Verdict, gap, num, text};
use super::{Action, Fetcher};
use crate::audit::{Fact, Gap, policy, powers};
use serde_json::{Value, json};

impl Fetcher<'_> {
    /// Whether `p` is full administrative access and, when `powers` (the
    /// checks reading what policies grant run), what it grants: presets
    /// by their document, or by name when Tencent gives none.
    pub(super) fn judge(&self, p: &Listed, powers: bool) -> Verdict {
        let preset_admin = policy::preset_admin(&p.name);
        if p.preset == Some(true) && (!powers || preset_admin.is_some()) {
            let admin = Fact::Known(preset_admin);
            let by_name = policy_powers(&p.name, None);
            return Verdict {
                admin,
                powers: by_name,
            };
        }
        let b = match self.call(Action::GetPolicy, json!({ "PolicyId": p.id })) {
            Err(e) if p.preset == Some(true) => {
                return Verdict {
                    admin: Fact::Known(preset_admin),
                    powers: policy_powers(&p.name, Some(gap(Action::GetPolicy, &e))),
                };
            }
            Err(e) => {
                let g = gap(Action::GetPolicy, &e);
                return Verdict {
                    admin: Fact::Unknown(g.clone()),
                    powers: Fact::Unknown(g),
                };
            }
            Ok(b) => b,
        };
        let doc = b
            .get("PolicyDocument")
            .and_then(Value::as_str)
            .and_then(policy::parse_document);
        let unreadable = Gap {
            action: Action::GetPolicy.name().into(),
            needs: "a readable policy document".into(),
            reason: format!("policy {} has no parseable PolicyDocument", p.id),
        };
        let preset = num(&b, "Type") == Some(2) || p.preset == Some(true);
        let name = text(&b, "PolicyName").unwrap_or_else(|| p.name.clone());
        let admin = match (&doc, preset) {
            (_, true) => Fact::Known(policy::preset_admin(&name)),
            (Some(d), false) => Fact::Known(policy::document_admin(d)),
            (None, false) => Fact::Unknown(unreadable.clone()),
        };
        let powers = match (&doc, preset) {
            (Some(d), _) => Fact::Known(powers::document_powers(d)),
            (None, true) => policy_powers(&name, Some(unreadable)),
            (None, false) => Fact::Unknown(unreadable),
        };
        Verdict { admin, powers }
    }
}

/// What a preset grants by its name; `unread` (or a gap saying the name
/// does not tell) when it does not say.
fn policy_powers(name: &str, unread: Option<Gap>) -> Fact<powers::Powers> {
    match powers::preset_powers(name) {
        Some(p) => Fact::Known(p),
        None => Fact::Unknown(unread.unwrap_or_else(|| Gap {
            action: Action::GetPolicy.name().into(),
            needs: "cam:GetPolicy".into(),
            reason: format!("preset policy {name} was not read"),
        })),
    }
}
