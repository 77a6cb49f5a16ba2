//! Finding the auditor's own credentials the way Tencent's tools do: a
//! named tccli profile, else the official SDKs' default chain (environment,
//! tccli's default profile, the SDK credentials file), and a role to assume
//! (STS `AssumeRole`) when the source names one.
//!
//! Order without `--profile` (the Go and Python SDKs' `DefaultProvider`,
//! with tccli's default profile where tccli reads it, after the environment):
//!
//! 1. `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY`, a token from
//!    `TENCENTCLOUD_TOKEN`, `TENCENTCLOUD_SECURITY_TOKEN` or
//!    `TENCENTCLOUD_SESSION_TOKEN`, a role from `TENCENTCLOUD_ROLE_ARN` (and
//!    `TENCENTCLOUD_ROLE_SESSION_NAME`);
//! 2. tccli's profile `$TCCLI_PROFILE` or `default`
//!    (`~/.tccli/<name>.credential`, region from `<name>.configure`);
//! 3. the SDK credentials file: `$TENCENTCLOUD_CREDENTIALS_FILE`, else
//!    `~/.tencentcloud/credentials`, else `/etc/tencentcloud/credentials`
//!    (INI, section `[default]`: `secret_id`, `secret_key`, `role_arn`,
//!    `role_session_name`).
//!
//! `TENCENTCLOUD_REGION` sets the region whatever the source. CVM instance
//! roles and TKE OIDC are not read: they need a metadata service call.

use super::client::{Action, CallError, Client, Credential};
use crate::finding::{Secret, SecretKind};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Environment variable holding the auditor's SecretId.
pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
/// Environment variable holding the auditor's SecretKey.
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
/// Session token variables, in the order they are read (tccli and the
/// Python SDK; Terraform and COS; the Node.js SDK).
pub const ENV_TOKENS: [&str; 3] = [
    "TENCENTCLOUD_TOKEN",
    "TENCENTCLOUD_SECURITY_TOKEN",
    "TENCENTCLOUD_SESSION_TOKEN",
];
/// Environment variable naming the region.
pub const ENV_REGION: &str = "TENCENTCLOUD_REGION";
/// Environment variable naming a role to assume.
pub const ENV_ROLE_ARN: &str = "TENCENTCLOUD_ROLE_ARN";
/// Environment variable naming the role session.
pub const ENV_ROLE_SESSION_NAME: &str = "TENCENTCLOUD_ROLE_SESSION_NAME";
/// Environment variable naming tccli's profile when no flag does.
pub const ENV_TCCLI_PROFILE: &str = "TCCLI_PROFILE";
/// Environment variable naming the SDK credentials file (Go SDK).
pub const ENV_CREDENTIALS_FILE: &str = "TENCENTCLOUD_CREDENTIALS_FILE";
/// The system-wide SDK credentials file (Python SDK).
pub const ETC_CREDENTIALS: &str = "/etc/tencentcloud/credentials";
/// The session name used when a role source names none.
pub const DEFAULT_SESSION_NAME: &str = "keyhound";

/// Largest credential or configuration file read.
const MAX_FILE: u64 = 64 * 1024;

/// Why auditor credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// A file cannot be read or parsed.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file lacks the id or the key.
    #[error("{0} has no SecretId and SecretKey")]
    Incomplete(PathBuf),
    /// Only one of the two variables is set.
    #[error("{ENV_SECRET_ID} and {ENV_SECRET_KEY} must both be set")]
    HalfEnv,
    /// `TENCENTCLOUD_CREDENTIALS_FILE` is set but empty.
    #[error("{ENV_CREDENTIALS_FILE} is set but empty")]
    EmptyFileVar,
    /// A tccli profile of a type keyhound cannot use.
    #[error(
        "{path}: profile type {kind:?} is not supported; use a profile with secretId and secretKey"
    )]
    UnsupportedType {
        /// The file.
        path: PathBuf,
        /// The `type` value.
        kind: String,
    },
    /// Nowhere to look for a profile.
    #[error("cannot find the home directory to read tccli profile {0:?}")]
    NoHome(String),
    /// STS `AssumeRole` failed.
    #[error("cannot assume role {role} with the credentials from {origin}")]
    AssumeRole {
        /// The role ARN.
        role: String,
        /// Where the long-term credentials came from.
        origin: String,
        /// The call error.
        #[source]
        source: Box<CallError>,
    },
    /// `AssumeRole` answered without credentials.
    #[error("AssumeRole of {0} answered without Credentials")]
    NoRoleCredentials(String),
}

/// Where credentials were found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The `TENCENTCLOUD_*` variables.
    Environment,
    /// A tccli profile file.
    Tccli(PathBuf),
    /// The SDK credentials file.
    SdkFile(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => write!(f, "the environment ({ENV_SECRET_ID})"),
            Origin::Tccli(p) => write!(f, "tccli profile {}", p.display()),
            Origin::SdkFile(p) => write!(f, "credentials file {}", p.display()),
        }
    }
}

/// A role the found credentials should assume before use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// `qcs::cam::uin/<owner>:roleName/<name>`.
    pub arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
}

/// Credentials as found, before any role is assumed.
#[derive(Clone, Debug)]
pub struct Found {
    /// The credentials.
    pub credential: Credential,
    /// The region named with them (`TENCENTCLOUD_REGION` wins).
    pub region: Option<String>,
    /// A role to assume with them.
    pub role: Option<Role>,
    /// Where they came from.
    pub origin: Origin,
}

/// Where the chain looks on this machine.
#[derive(Clone, Debug)]
pub struct Places {
    /// The home directory.
    pub home: Option<PathBuf>,
    /// The system-wide SDK credentials file.
    pub etc_file: PathBuf,
}

impl Places {
    /// This machine's home directory and [`ETC_CREDENTIALS`].
    pub fn system() -> Places {
        Places {
            home: std::env::home_dir(),
            etc_file: PathBuf::from(ETC_CREDENTIALS),
        }
    }
}

/// The tccli profile file of `profile` under `home`.
pub fn profile_path(home: &Path, profile: &str) -> PathBuf {
    home.join(".tccli").join(format!("{profile}.credential"))
}

/// Loads the auditor's credentials: the named tccli profile when `profile`
/// is given, else the default chain (module docs). `Ok(None)` when nothing
/// is configured anywhere.
pub fn load(
    profile: Option<&str>,
    places: &Places,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Found>, CredentialError> {
    let nonempty = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut found = match profile {
        Some(p) => {
            let home = places
                .home
                .as_deref()
                .ok_or_else(|| CredentialError::NoHome(p.to_string()))?;
            Some(from_tccli(home, p, true)?.expect("a required profile is found or an error"))
        }
        None => chain(places, &env)?,
    };
    if let (Some(f), Some(r)) = (found.as_mut(), nonempty(ENV_REGION)) {
        f.region = Some(r);
    }
    Ok(found)
}

fn chain(
    places: &Places,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Found>, CredentialError> {
    let nonempty = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    match (nonempty(ENV_SECRET_ID), nonempty(ENV_SECRET_KEY)) {
        (Some(id), Some(key)) => {
            let token = ENV_TOKENS.iter().find_map(|k| nonempty(k));
            let role = nonempty(ENV_ROLE_ARN).map(|arn| Role {
                arn,
                session_name: nonempty(ENV_ROLE_SESSION_NAME)
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
            });
            return Ok(Some(Found {
                credential: Credential::new(id, key)
                    .with_token(token.map(|t| Secret::new(t, SecretKind::Key))),
                region: None,
                role,
                origin: Origin::Environment,
            }));
        }
        (None, None) => {}
        _ => return Err(CredentialError::HalfEnv),
    }
    if let Some(home) = places.home.as_deref() {
        let name = nonempty(ENV_TCCLI_PROFILE).unwrap_or_else(|| "default".to_string());
        if let Some(f) = from_tccli(home, &name, false)? {
            return Ok(Some(f));
        }
    }
    let file = match env(ENV_CREDENTIALS_FILE).map(|p| p.trim().to_string()) {
        Some(p) if p.is_empty() => return Err(CredentialError::EmptyFileVar),
        Some(p) => Some(PathBuf::from(p)),
        None => [
            places
                .home
                .as_deref()
                .map(|h| h.join(".tencentcloud").join("credentials")),
            Some(places.etc_file.clone()),
        ]
        .into_iter()
        .flatten()
        .find(|p| p.is_file()),
    };
    file.map(|p| from_sdk_file(&p)).transpose()
}

/// Reads a small file; `Ok(None)` when it does not exist.
fn read_small(path: &Path) -> Result<Option<String>, CredentialError> {
    let unreadable = |reason: String| CredentialError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let text = match crate::input::read_text_within(path, MAX_FILE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    Ok(Some(text))
}

fn read_json(path: &Path) -> Result<Option<Value>, CredentialError> {
    let Some(text) = read_small(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CredentialError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("not JSON: {e}"),
        })
}

/// tccli's `<name>.credential` (and region from `<name>.configure`);
/// `Ok(None)` when the profile does not exist and is not `required`.
fn from_tccli(home: &Path, name: &str, required: bool) -> Result<Option<Found>, CredentialError> {
    let path = profile_path(home, name);
    let Some(v) = read_json(&path)? else {
        if required {
            return Err(CredentialError::Unreadable {
                path,
                reason: "no such file".to_string(),
            });
        }
        return Ok(None);
    };
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(kind) = field("type").filter(|t| t != "default") {
        return Err(CredentialError::UnsupportedType { path, kind });
    }
    let (Some(id), Some(key)) = (field("secretId"), field("secretKey")) else {
        return Err(CredentialError::Incomplete(path));
    };
    let configure = home.join(".tccli").join(format!("{name}.configure"));
    let region = read_json(&configure)?.and_then(|c| {
        c.pointer("/_sys_param/region")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    let role = field("role-arn").map(|arn| Role {
        arn,
        session_name: field("role-session-name")
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
    });
    let token = field("token").map(|t| Secret::new(t, SecretKind::Key));
    Ok(Some(Found {
        credential: Credential::new(id, key).with_token(token),
        region,
        role,
        origin: Origin::Tccli(path),
    }))
}

/// The `[default]` section of an INI file, as `key -> value`.
fn ini_default(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_default = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_default = section.trim() == "default";
            continue;
        }
        if !in_default {
            continue;
        }
        if let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) {
            let v = v.trim().trim_matches('"');
            out.push((k.trim().to_ascii_lowercase(), v.to_string()));
        }
    }
    out
}

fn from_sdk_file(path: &Path) -> Result<Found, CredentialError> {
    let text = read_small(path)?.ok_or_else(|| CredentialError::Unreadable {
        path: path.to_path_buf(),
        reason: "no such file".to_string(),
    })?;
    let map = ini_default(&text);
    let field = |k: &str| {
        map.iter()
            .rev()
            .find(|(n, v)| n == k && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let (Some(id), Some(key)) = (field("secret_id"), field("secret_key")) else {
        return Err(CredentialError::Incomplete(path.to_path_buf()));
    };
    let role = field("role_arn").map(|arn| Role {
        arn,
        session_name: field("role_session_name")
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
    });
    let token = field("token").map(|t| Secret::new(t, SecretKind::Key));
    Ok(Found {
        credential: Credential::new(id, key).with_token(token),
        region: field("region"),
        role,
        origin: Origin::SdkFile(path.to_path_buf()),
    })
}

/// Credentials ready to sign with: the found ones, or the temporary ones of
/// the role they assumed.
#[derive(Clone, Debug)]
pub struct Ready {
    /// What to sign with.
    pub credential: Credential,
    /// The role assumed, if any.
    pub role_arn: Option<String>,
    /// Where the (long-term) credentials came from.
    pub origin: Origin,
}

/// Seconds a role session asked for by [`assume`] lasts.
const ROLE_SECONDS: u64 = 3600;

/// Assumes `found`'s role with STS `AssumeRole`, when it names one.
pub fn assume(client: &Client, found: Found) -> Result<Ready, CredentialError> {
    let Some(role) = found.role else {
        return Ok(Ready {
            credential: found.credential,
            role_arn: None,
            origin: found.origin,
        });
    };
    let params = json!({
        "RoleArn": role.arn,
        "RoleSessionName": role.session_name,
        "DurationSeconds": ROLE_SECONDS,
    });
    let a = client
        .call(&found.credential, Action::AssumeRole, &params)
        .map_err(|source| CredentialError::AssumeRole {
            role: role.arn.clone(),
            origin: found.origin.to_string(),
            source: Box::new(source),
        })?;
    let c = a.body.get("Credentials");
    let field = |k: &str| {
        c.and_then(|c| c.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (Some(id), Some(key), Some(token)) =
        (field("TmpSecretId"), field("TmpSecretKey"), field("Token"))
    else {
        return Err(CredentialError::NoRoleCredentials(role.arn));
    };
    Ok(Ready {
        credential: Credential::new(id, key).with_token(Some(Secret::new(token, SecretKind::Key))),
        role_arn: Some(role.arn),
        origin: found.origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(dir: &Path) -> Places {
        Places {
            home: Some(dir.join("home")),
            etc_file: dir.join("etc-credentials"),
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn named_profile_wins_over_environment() {
        let dir = tempfile::tempdir().unwrap();
        let pl = places(dir.path());
        let home = pl.home.clone().unwrap();
        write(
            &profile_path(&home, "audit"),
            r#"{"secretId": "AKIDprofile", "secretKey": "k1"}"#,
        );
        let env = |k: &str| (k == ENV_SECRET_ID || k == ENV_SECRET_KEY).then(|| "env".to_string());
        let f = load(Some("audit"), &pl, env).unwrap().unwrap();
        assert_eq!(f.credential.id(), "AKIDprofile");
        assert_eq!(f.origin, Origin::Tccli(profile_path(&home, "audit")));
        let f = load(None, &pl, env).unwrap().unwrap();
        assert_eq!(
            (f.credential.id(), &f.origin),
            ("env", &Origin::Environment)
        );
        let half = |k: &str| (k == ENV_SECRET_ID).then(|| "x".to_string());
        assert!(matches!(
            load(None, &pl, half),
            Err(CredentialError::HalfEnv)
        ));
        let missing = load(Some("nope"), &pl, |_| None).unwrap_err();
        assert!(missing.to_string().contains("nope.credential"), "{missing}");
        write(&profile_path(&home, "bad"), r#"{"secretId": "x"}"#);
        assert!(matches!(
            load(Some("bad"), &pl, |_| None),
            Err(CredentialError::Incomplete(_))
        ));
    }

    #[test]
    fn environment_tokens_region_and_role_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let pl = places(dir.path());
        for var in ENV_TOKENS {
            let env = |k: &str| match k {
                ENV_SECRET_ID | ENV_SECRET_KEY => Some("v".to_string()),
                ENV_REGION => Some("ap-singapore".to_string()),
                ENV_ROLE_ARN => Some("qcs::cam::uin/1:roleName/audit".to_string()),
                k if k == var => Some("tok".to_string()),
                _ => None,
            };
            let f = load(None, &pl, env).unwrap().unwrap();
            assert_eq!(
                f.credential.token().map(Secret::expose),
                Some("tok"),
                "{var}"
            );
            assert_eq!(f.region.as_deref(), Some("ap-singapore"));
            let role = f.role.unwrap();
            assert_eq!(role.arn, "qcs::cam::uin/1:roleName/audit");
            assert_eq!(role.session_name, DEFAULT_SESSION_NAME);
        }
    }

    #[test]
    fn default_tccli_profile_then_sdk_files() {
        let dir = tempfile::tempdir().unwrap();
        let pl = places(dir.path());
        let home = pl.home.clone().unwrap();
        assert!(load(None, &pl, |_| None).unwrap().is_none());
        write(
            &pl.etc_file,
            "[other]\nsecret_id = AKIDother\nsecret_key = o\n[default]\nsecret_id = AKIDetc\nsecret_key = e\n",
        );
        let f = load(None, &pl, |_| None).unwrap().unwrap();
        assert_eq!(f.credential.id(), "AKIDetc");
        assert_eq!(f.origin, Origin::SdkFile(pl.etc_file.clone()));
        let user_file = home.join(".tencentcloud/credentials");
        write(
            &user_file,
            "[default]\nsecret_id=AKIDhome\nsecret_key=h\nrole_arn=qcs::cam::uin/1:roleName/r\nrole_session_name=s\n",
        );
        let f = load(None, &pl, |_| None).unwrap().unwrap();
        assert_eq!(f.credential.id(), "AKIDhome");
        assert_eq!(f.role.as_ref().map(|r| r.session_name.as_str()), Some("s"));
        write(
            &profile_path(&home, "default"),
            r#"{"secretId": "AKIDtccli", "secretKey": "t", "role-arn": "qcs::cam::uin/1:roleName/x"}"#,
        );
        write(
            &home.join(".tccli/default.configure"),
            r#"{"_sys_param": {"region": "ap-hongkong", "output": "json"}}"#,
        );
        let f = load(None, &pl, |_| None).unwrap().unwrap();
        assert_eq!(f.credential.id(), "AKIDtccli");
        assert_eq!(f.region.as_deref(), Some("ap-hongkong"));
        assert_eq!(f.role.unwrap().arn, "qcs::cam::uin/1:roleName/x");
        let env = |k: &str| (k == ENV_REGION).then(|| "ap-tokyo".to_string());
        assert_eq!(
            load(None, &pl, env).unwrap().unwrap().region.as_deref(),
            Some("ap-tokyo")
        );
        write(&profile_path(&home, "sso"), r#"{"type": "sso"}"#);
        assert!(matches!(
            load(Some("sso"), &pl, |_| None),
            Err(CredentialError::UnsupportedType { .. })
        ));
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pl = places(dir.path());
        write(&pl.etc_file, &"#".repeat(MAX_FILE as usize + 10));
        assert!(matches!(
            load(None, &pl, |_| None),
            Err(CredentialError::Unreadable { .. })
        ));
    }
}
