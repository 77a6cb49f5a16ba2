//! Deciding whether a CAM policy is full administrative access: by preset
//! name, or by a policy document (CAM policy syntax 2.0) that allows every
//! action on every resource, or CAM rights with which an identity can grant
//! itself anything (admin-equivalent).

use serde_json::Value;

/// Preset policies that give full administrative access (Tencent's
/// "super administrator" and "cloud resource administrator" presets).
const ADMIN_PRESETS: &[&str] = &["AdministratorAccess", "QCloudResourceFullAccess"];

/// Name prefix of the presets that allow every service.
const ALL_SERVICES_PREFIX: &str = "qcloudaccessforall";

/// Presets that manage CAM itself: whoever holds one can attach any
/// policy to themselves.
const CAM_ADMIN_PRESETS: &[&str] = &["QcloudCamFullAccess"];

/// CAM actions that let an identity give itself any permission: attach a
/// policy to a user, group or role it can use, or rewrite a policy it holds.
const SELF_GRANTING: &[&str] = &[
    "cam:attachuserpolicy",
    "cam:attachgrouppolicy",
    "cam:attachrolepolicy",
    "cam:addusertogroup",
    "cam:updatepolicy",
    "cam:createpolicyversion",
    "cam:setdefaultpolicyversion",
    "cam:updateassumerolepolicy",
    "cam:putuserpermissionsboundary",
    "cam:deleteuserpermissionsboundary",
];

/// Why a preset policy name means full administrative access, if it does.
pub fn preset_admin(name: &str) -> Option<String> {
    if ADMIN_PRESETS.iter().any(|p| p.eq_ignore_ascii_case(name)) {
        return Some("preset full administrative policy".to_string());
    }
    if CAM_ADMIN_PRESETS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
    {
        return Some(
            "admin-equivalent: preset full CAM access, which can attach any policy to itself"
                .to_string(),
        );
    }
    name.to_ascii_lowercase()
        .starts_with(ALL_SERVICES_PREFIX)
        .then(|| "preset policy allowing every service".to_string())
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.trim().to_string()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn is_any_action(a: &str) -> bool {
    let a = a.strip_prefix("name/").unwrap_or(a);
    a == "*" || a == "*:*"
}

/// Parses a `PolicyDocument` as GetPolicy returns it: a JSON string,
/// sometimes percent-encoded.
pub fn parse_document(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()?;
    serde_json::from_str(&decoded).ok()
}

pub(super) fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// The actions a policy document allows (its `allow` statements), sorted
/// and each once.
pub fn allowed_actions(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = statements(doc)
        .into_iter()
        .filter(|s| {
            s.get("effect")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("allow"))
        })
        .flat_map(|s| strings(s.get("action")))
        .map(|a| a.strip_prefix("name/").unwrap_or(&a).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether action pattern `a` (`cam:*`, `cam:Attach*`, `*`) covers the
/// lower-cased action `want`.
pub(super) fn covers(a: &str, want: &str) -> bool {
    let a = a.strip_prefix("name/").unwrap_or(a).to_ascii_lowercase();
    if is_any_action(&a) {
        return true;
    }
    match a.strip_suffix('*') {
        Some(prefix) => want.starts_with(prefix),
        None => a == want,
    }
}

/// Why a policy document is full administrative access (an unconditional
/// `allow` of action `*` on resource `*`, or of a CAM action that grants
/// the holder anything, on resource `*`), if it is.
pub fn document_admin(doc: &Value) -> Option<String> {
    full_access(doc).or_else(|| self_granting(doc))
}

/// The unconditional `allow` statements on resource `*`.
fn open_allows(doc: &Value) -> Vec<&Value> {
    statements(doc)
        .into_iter()
        .filter(|s| {
            let allow = s
                .get("effect")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
            allow && is_unconditional(s) && strings(s.get("resource")).iter().any(|r| r == "*")
        })
        .collect()
}

pub(super) fn is_unconditional(s: &Value) -> bool {
    s.get("condition").is_none_or(|c| match c {
        Value::Object(m) => m.is_empty(),
        Value::Null => true,
        _ => false,
    })
}

fn self_granting(doc: &Value) -> Option<String> {
    let allowed: Vec<String> = open_allows(doc)
        .into_iter()
        .flat_map(|s| strings(s.get("action")))
        .collect();
    let hit = SELF_GRANTING
        .iter()
        .find(|w| allowed.iter().any(|a| covers(a, w)))?;
    let shown = allowed
        .iter()
        .find(|a| covers(a, hit))
        .cloned()
        .unwrap_or_default();
    Some(format!(
        "admin-equivalent: allows {shown} on resource *, so it can grant itself any permission"
    ))
}

fn full_access(doc: &Value) -> Option<String> {
    statements(doc).into_iter().find_map(|s| {
        let allow = s
            .get("effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        let unconditional = s.get("condition").is_none_or(|c| match c {
            Value::Object(m) => m.is_empty(),
            Value::Null => true,
            _ => false,
        });
        let any_action = strings(s.get("action")).iter().any(|a| is_any_action(a));
        let any_resource = strings(s.get("resource")).iter().any(|r| r == "*");
        (allow && unconditional && any_action && any_resource)
            .then(|| "allows action * on resource *".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presets_by_name() {
        assert!(preset_admin("AdministratorAccess").is_some());
        assert!(preset_admin("administratoraccess").is_some());
        assert!(preset_admin("QCloudResourceFullAccess").is_some());
        assert!(preset_admin("QcloudAccessForAllServices").is_some());
        assert!(preset_admin("QcloudCVMFullAccess").is_none());
        assert!(
            preset_admin("QcloudCamFullAccess")
                .unwrap()
                .contains("admin-equivalent")
        );
        assert!(preset_admin("ReadOnlyAccess").is_none());
    }

    #[test]
    fn documents_granting_everything() {
        let admin = json!({"version":"2.0","statement":[{"effect":"allow","action":["*"],"resource":["*"]}]});
        assert!(document_admin(&admin).is_some());
        let star_star =
            json!({"version":"2.0","statement":{"effect":"Allow","action":"*:*","resource":"*"}});
        assert!(document_admin(&star_star).is_some());
        for narrow in [
            json!({"statement":[{"effect":"allow","action":["cos:*"],"resource":["*"]}]}),
            json!({"statement":[{"effect":"deny","action":["*"],"resource":["*"]}]}),
            json!({"statement":[{"effect":"allow","action":["*"],"resource":["qcs::cos:::*"]}]}),
            json!({"statement":[{"effect":"allow","action":["*"],"resource":["*"],
                   "condition":{"ip_equal":{"qcs:ip":["10.0.0.0/8"]}}}]}),
        ] {
            assert!(document_admin(&narrow).is_none(), "{narrow}");
        }
    }

    #[test]
    fn self_granting_cam_rights_are_admin_equivalent() {
        for granting in [
            json!({"statement":[{"effect":"allow","action":["cam:*"],"resource":["*"]}]}),
            json!({"statement":[{"effect":"allow","action":"name/cam:AttachUserPolicy","resource":"*"}]}),
            json!({"statement":[{"effect":"allow","action":["cam:Attach*"],"resource":["*"]}]}),
        ] {
            let why = document_admin(&granting).unwrap_or_else(|| panic!("{granting}"));
            assert!(why.contains("admin-equivalent"), "{why}");
        }
        for safe in [
            json!({"statement":[{"effect":"allow","action":["cam:List*","cam:Get*"],"resource":["*"]}]}),
            json!({"statement":[{"effect":"allow","action":["cam:AttachUserPolicy"],
                   "resource":["qcs::cam::uin/1:uin/2"]}]}),
            json!({"statement":[{"effect":"allow","action":["cam:*"],"resource":["*"],
                   "condition":{"ip_equal":{"qcs:ip":["10.0.0.0/8"]}}}]}),
        ] {
            assert!(document_admin(&safe).is_none(), "{safe}");
        }
    }

    #[test]
    fn allowed_actions_come_from_allow_statements() {
        let doc = json!({"statement":[
            {"effect":"allow","action":["name/cos:GetObject","cvm:*"],"resource":["*"]},
            {"effect":"deny","action":"cam:*","resource":"*"},
            {"effect":"Allow","action":"cvm:*","resource":"*"}]});
        assert_eq!(allowed_actions(&doc), ["cos:GetObject", "cvm:*"]);
    }

    #[test]
    fn documents_parse_plain_or_percent_encoded() {
        let plain =
            r#"{"version":"2.0","statement":[{"effect":"allow","action":["*"],"resource":["*"]}]}"#;
        assert!(document_admin(&parse_document(plain).unwrap()).is_some());
        let encoded = "%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%5B%22*%22%5D%2C%22resource%22%3A%5B%22*%22%5D%7D%5D%7D";
        assert!(document_admin(&parse_document(encoded).unwrap()).is_some());
        assert!(parse_document("not json").is_none());
    }
}
