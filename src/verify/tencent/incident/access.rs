//! What a leaked key can do: a root key everything; a sub-user's or
//! collaborator's key what CAM `ListAttachedUserAllPolicies` lists (direct
//! and group policies, paged), with `GetPolicy` documents for custom
//! policies, within the `GetUserPermissionBoundary` boundary.

use super::super::api::Action;
use super::super::client::{Client, Credential};
use super::super::snapshot::answer::{listed, num, text, uin_param};
use crate::audit::policy;
use crate::finding::incident::{Access, Grant};
use crate::verify::Owner;
use serde_json::{Value, json};

/// `Rp`: the documented maximum.
const PAGE: u64 = 200;
/// `Page` may not exceed 200.
const MAX_PAGES: u64 = 200;

/// A policy document's verdict and actions.
fn judged(grant: &mut Grant, document: Option<&str>) {
    if let Some(why) = policy::preset_admin(&grant.name) {
        grant.admin = Some(why);
    }
    let Some(doc) = document.and_then(policy::parse_document) else {
        return;
    };
    if grant.admin.is_none() {
        grant.admin = policy::document_admin(&doc);
    }
    grant.allows = policy::allowed_actions(&doc);
    grant.document = Some(doc);
}

fn kind(preset: bool) -> String {
    if preset { "preset" } else { "custom" }.to_string()
}

/// Every policy of `uin`, custom ones with their documents.
fn policies(
    client: &Client,
    auditor: &Credential,
    uin: &str,
    gaps: &mut Vec<String>,
) -> Result<Vec<Grant>, String> {
    let mut rows = Vec::new();
    for page in 1..=MAX_PAGES {
        let params =
            json!({"TargetUin": uin_param(uin), "Page": page, "Rp": PAGE, "AttachType": 0});
        let a = client
            .call(auditor, Action::ListAttachedUserAllPolicies, &params)
            .map_err(|e| format!("CAM ListAttachedUserAllPolicies for uin {uin}: {e}"))?;
        let items = a
            .body
            .get("PolicyList")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let n = items.len();
        rows.extend(items);
        if n == 0 || rows.len() as u64 >= num(&a.body, "TotalNum").unwrap_or(0) {
            break;
        }
    }
    let mut out = Vec::new();
    for row in &rows {
        let Some(l) = listed(row, None) else { continue };
        let mut g = Grant {
            id: l.id,
            name: l.name,
            kind: kind(l.preset == Some(true)),
            direct: l.via_groups.is_empty(),
            via_groups: l.via_groups,
            ..Grant::default()
        };
        let document = if l.preset == Some(true) {
            None
        } else {
            match client.call(auditor, Action::GetPolicy, &json!({"PolicyId": l.id})) {
                Ok(a) => {
                    if num(&a.body, "Type") == Some(2) {
                        g.kind = kind(true);
                    }
                    text(&a.body, "PolicyDocument")
                }
                Err(e) => {
                    gaps.push(format!("CAM GetPolicy {} ({}): {e}", l.id, g.name));
                    None
                }
            }
        };
        judged(&mut g, document.as_deref());
        out.push(g);
    }
    out.sort_by(|a, b| (a.admin.is_none(), &a.name, a.id).cmp(&(b.admin.is_none(), &b.name, b.id)));
    Ok(out)
}

/// The permission boundary of `uin`, if one is set.
fn boundary(client: &Client, auditor: &Credential, uin: &str) -> Result<Option<Grant>, String> {
    let params = json!({ "TargetUin": uin_param(uin) });
    let a = client
        .call(auditor, Action::GetUserPermissionBoundary, &params)
        .map_err(|e| format!("CAM GetUserPermissionBoundary for uin {uin}: {e}"))?;
    let Some(id) = num(&a.body, "PolicyId").filter(|id| *id != 0) else {
        return Ok(None);
    };
    let mut g = Grant {
        id,
        name: text(&a.body, "PolicyName").unwrap_or_default(),
        kind: kind(num(&a.body, "PolicyType") == Some(2)),
        ..Grant::default()
    };
    judged(&mut g, text(&a.body, "PolicyDocument").as_deref());
    Ok(Some(g))
}

/// What the key of `owner` can do; what could not be read goes to `gaps`.
pub(crate) fn read(
    client: &Client,
    auditor: &Credential,
    owner: &Owner,
    gaps: &mut Vec<String>,
) -> Option<Access> {
    match owner.principal.as_deref() {
        Some("root") => {
            return Some(Access {
                root: true,
                admin: true,
                ..Access::default()
            });
        }
        Some("role") | Some("federated") => {
            gaps.push(
                "what the key can do: temporary credentials act with their role's or \
                 federation's policies, which keyhound does not read"
                    .to_string(),
            );
            return None;
        }
        _ => {}
    }
    let Some(uin) = owner.uin.as_deref() else {
        gaps.push("what the key can do: the key's uin is unknown".to_string());
        return None;
    };
    let policies = match policies(client, auditor, uin, gaps) {
        Ok(p) => p,
        Err(e) => {
            gaps.push(e);
            return None;
        }
    };
    let boundary = boundary(client, auditor, uin).unwrap_or_else(|e| {
        gaps.push(e);
        None
    });
    let admin = policies.iter().any(|p| p.admin.is_some())
        && boundary.as_ref().is_none_or(|b| b.admin.is_some());
    Some(Access {
        root: false,
        admin,
        policies,
        boundary,
    })
}
