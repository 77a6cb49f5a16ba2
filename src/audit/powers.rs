//! What a CAM policy lets its holder change, by duty: users and permissions
//! (CAM's write actions) or other services' resources (their write
//! actions), and which of its broad grants are not limited to source
//! addresses by a condition (`ip_equal` on `qcs:ip`, or `qcs:vpc`).

use super::policy::{covers, is_any_action, statements, strings};
use serde_json::Value;

/// Verbs of actions that only read (`GetPolicy`, `ListUsers`,
/// `DescribeInstances`, `HeadObject`, ...), lower-cased.
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "describe",
    "query",
    "check",
    "lookup",
    "search",
    "inquir",
    "head",
    "batchget",
    "batchdescribe",
];

/// CAM actions that use an identity rather than manage one.
const CAM_USE_ONLY: &[&str] = &["cam:passrole"];

/// Services whose actions obtain credentials rather than change resources.
const NOT_RESOURCES: &[&str] = &["sts"];

/// What one policy grants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Powers {
    /// Allowed actions that manage users, groups, keys or permissions
    /// (`cam:*`, `cam:AttachUserPolicy`, `*`).
    pub identities: Vec<String>,
    /// Allowed actions that change other services' resources (`cvm:*`,
    /// `cos:PutObject`, `*`).
    pub resources: Vec<String>,
    /// Broad grants with no source-address condition: `*`, any CAM
    /// management action, or a wildcard covering a service's writes, on
    /// every resource (`cam:* on *`).
    pub unfenced: Vec<String>,
    /// Whether the policy denies every action to requests from outside
    /// listed source addresses (`deny *` with `ip_not_equal` on `qcs:ip`),
    /// which fences every grant of its holder.
    pub fence: bool,
}

impl Powers {
    /// Every power: action `*` on resource `*`, unconditioned.
    fn everything() -> Powers {
        Powers {
            identities: vec!["*".into()],
            resources: vec!["*".into()],
            unfenced: vec!["* on *".into()],
            fence: false,
        }
    }
}

fn is_read(name: &str) -> bool {
    READ_VERBS.iter().any(|v| name.starts_with(v))
}

/// Whether the action-name pattern (after `service:`, lower-cased) covers
/// an action that changes something: `*`, `Create*`, `PutObject`; not
/// `Get*` or `ListUsers`.
fn covers_write(name: &str) -> bool {
    match name.split_once('*') {
        Some((prefix, _)) => !is_read(prefix),
        None => !is_read(name),
    }
}

/// `(manages identities, manages resources, broad)` for one allowed
/// action pattern; `None` when it changes nothing (or names a feature set,
/// `permid/...`, whose actions the document does not list).
fn grant(action: &str) -> Option<(bool, bool, bool)> {
    let a = action.trim();
    let a = a.strip_prefix("name/").unwrap_or(a);
    if is_any_action(a) {
        return Some((true, true, true));
    }
    let (service, name) = a.split_once(':')?;
    let (service, name) = (service.to_ascii_lowercase(), name.to_ascii_lowercase());
    if !covers_write(&name) {
        return None;
    }
    match service.as_str() {
        "*" => Some((true, true, true)),
        "cam" => {
            let use_only = CAM_USE_ONLY.iter().any(|u| covers(a, u)) && !name.contains('*');
            (!use_only).then_some((true, false, true))
        }
        s if NOT_RESOURCES.contains(&s) => None,
        _ => Some((false, true, name.contains('*'))),
    }
}

/// Whether a resource covers every resource of its service: `*`, or a
/// six-part `qcs::service:region:account:*` with any region.
fn broad_resource(r: &str) -> bool {
    let r = r.trim();
    if r == "*" {
        return true;
    }
    let parts: Vec<&str> = r.split(':').collect();
    parts.len() == 6 && matches!(parts[3], "" | "*") && parts[5] == "*"
}

/// Whether `s`'s condition names a source: an address (`qcs:ip`) under a
/// positive (`negative`: a `not`) operator, or a VPC (`qcs:vpc`,
/// `vpc:requester_vpc`).
fn source_condition(s: &Value, negative: bool) -> bool {
    let Some(Value::Object(ops)) = s.get("condition") else {
        return false;
    };
    ops.iter().any(|(op, inner)| {
        let op = op.to_ascii_lowercase();
        if op.contains("not") != negative {
            return false;
        }
        inner.as_object().is_some_and(|keys| {
            keys.keys().any(|k| {
                let k = k.to_ascii_lowercase();
                (k == "qcs:ip" && op.contains("ip_")) || k == "qcs:vpc" || k == "vpc:requester_vpc"
            })
        })
    })
}

fn effect(s: &Value, want: &str) -> bool {
    s.get("effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case(want))
}

fn resources(s: &Value) -> Vec<String> {
    let r = strings(s.get("resource"));
    if r.is_empty() { vec!["*".into()] } else { r }
}

/// What a policy document grants.
pub fn document_powers(doc: &Value) -> Powers {
    let mut p = Powers::default();
    for s in statements(doc) {
        let actions = strings(s.get("action"));
        let res = resources(s);
        if effect(s, "deny") {
            p.fence |= actions.iter().any(|a| is_any_action(a))
                && res.iter().any(|r| r == "*")
                && source_condition(s, true);
            continue;
        }
        if !effect(s, "allow") {
            continue;
        }
        let broad = res.iter().find(|r| broad_resource(r));
        let sourced = source_condition(s, false);
        for a in &actions {
            let Some((identities, resources, wide)) = grant(a) else {
                continue;
            };
            let shown = a.strip_prefix("name/").unwrap_or(a).to_string();
            if identities {
                p.identities.push(shown.clone());
            }
            if resources {
                p.resources.push(shown.clone());
            }
            if let (true, Some(r), false) = (wide, broad, sourced) {
                p.unfenced.push(format!("{shown} on {r}"));
            }
        }
    }
    for v in [&mut p.identities, &mut p.resources, &mut p.unfenced] {
        v.sort();
        v.dedup();
    }
    p
}

/// What a preset policy grants, from Tencent's naming of its presets
/// (`AdministratorAccess`, `QcloudCamFullAccess`, `Qcloud<Service>FullAccess`,
/// `...ReadOnlyAccess`), for a preset whose document could not be read;
/// `None` when the name does not say.
pub fn preset_powers(name: &str) -> Option<Powers> {
    let lower = name.to_ascii_lowercase();
    if lower == "administratoraccess" || lower.starts_with("qcloudaccessforall") {
        return Some(Powers::everything());
    }
    if lower.contains("readonly") {
        return Some(Powers::default());
    }
    let service = lower.strip_prefix("qcloud")?.strip_suffix("fullaccess")?;
    let all = match service {
        "cam" => {
            return Some(Powers {
                identities: vec!["cam:*".into()],
                unfenced: vec!["cam:* on *".into()],
                ..Powers::default()
            });
        }
        "resource" => "every service but CAM".to_string(),
        s if !s.is_empty() => format!("{s}:*"),
        _ => return None,
    };
    Some(Powers {
        resources: vec![all.clone()],
        unfenced: vec![format!("{all} on *")],
        ..Powers::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn powers(statements: Value) -> Powers {
        document_powers(&json!({"version": "2.0", "statement": statements}))
    }

    #[test]
    fn cam_writes_manage_identities_other_writes_resources() {
        let p = powers(json!([
            {"effect": "allow", "action": ["name/cam:CreateUser", "cam:ListUsers"], "resource": "*"},
            {"effect": "allow", "action": ["cvm:*", "cos:GetObject"], "resource": ["*"]}
        ]));
        assert_eq!(p.identities, ["cam:CreateUser"]);
        assert_eq!(p.resources, ["cvm:*"]);
        assert_eq!(p.unfenced, ["cam:CreateUser on *", "cvm:* on *"]);
        let all = powers(json!({"effect": "Allow", "action": "*", "resource": "*"}));
        assert_eq!(all, Powers::everything());
    }

    #[test]
    fn reading_passing_roles_and_sts_manage_nothing() {
        let p = powers(json!([{"effect": "allow", "resource": "*", "action": [
            "cam:Get*", "cam:List*", "cvm:Describe*", "cam:PassRole", "sts:AssumeRole",
            "cos:HeadObject", "*:Describe*", "permid/123"]}]));
        assert_eq!(p, Powers::default());
        let deny = powers(json!([{"effect": "deny", "action": "cam:*", "resource": "*"}]));
        assert_eq!(deny, Powers::default());
    }

    #[test]
    fn narrow_grants_and_source_conditions_are_fenced() {
        let narrow = powers(json!([
            {"effect": "allow", "action": "cos:PutObject", "resource": "*"},
            {"effect": "allow", "action": "cvm:*", "resource": "qcs::cvm:ap-guangzhou::instance/ins-1"}
        ]));
        assert_eq!(narrow.resources, ["cos:PutObject", "cvm:*"]);
        assert!(narrow.unfenced.is_empty(), "{narrow:?}");
        for condition in [
            json!({"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}),
            json!({"IP_EQUAL": {"QCS:IP": "10.0.0.1"}}),
            json!({"string_equal": {"qcs:vpc": "vpc-1"}}),
        ] {
            let p = powers(
                json!([{"effect": "allow", "action": "cam:*", "resource": "*",
                                   "condition": condition}]),
            );
            assert_eq!(p.identities, ["cam:*"]);
            assert!(p.unfenced.is_empty(), "{p:?}");
        }
        for not_a_source in [
            json!({"ip_not_equal": {"qcs:ip": ["10.0.0.0/8"]}}),
            json!({"for_any_value:string_equal": {"qcs:resource_tag": ["team&ops"]}}),
        ] {
            let p = powers(json!([{"effect": "allow", "action": "*", "resource": "*",
                                   "condition": not_a_source}]));
            assert_eq!(p.unfenced, ["* on *"]);
        }
        let every_region = powers(json!([{"effect": "allow", "action": "cvm:*",
                                          "resource": "qcs::cvm:::*"}]));
        assert_eq!(every_region.unfenced, ["cvm:* on qcs::cvm:::*"]);
    }

    #[test]
    fn a_deny_outside_listed_addresses_is_a_fence() {
        let p = powers(json!([
            {"effect": "allow", "action": "cos:*", "resource": "*"},
            {"effect": "deny", "action": "*", "resource": "*",
             "condition": {"ip_not_equal": {"qcs:ip": ["10.0.0.0/8"]}}}
        ]));
        assert!(p.fence);
        let partial = powers(
            json!([{"effect": "deny", "action": "cos:*", "resource": "*",
             "condition": {"ip_not_equal": {"qcs:ip": ["10.0.0.0/8"]}}}]),
        );
        assert!(!partial.fence);
    }

    #[test]
    fn presets_by_name() {
        assert_eq!(
            preset_powers("AdministratorAccess"),
            Some(Powers::everything())
        );
        assert_eq!(
            preset_powers("QcloudCamFullAccess").unwrap().identities,
            ["cam:*"]
        );
        let cvm = preset_powers("QcloudCVMFullAccess").unwrap();
        assert_eq!(
            (cvm.identities.len(), cvm.resources[0].as_str()),
            (0, "cvm:*")
        );
        assert_eq!(
            preset_powers("QcloudCOSReadOnlyAccess"),
            Some(Powers::default())
        );
        assert_eq!(preset_powers("QcloudTKEInnerAccess"), None);
    }
}
