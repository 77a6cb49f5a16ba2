//! Finding the auditor's own credentials: a tccli profile
//! (`~/.tccli/<profile>.credential`) or the `TENCENTCLOUD_SECRET_ID` /
//! `TENCENTCLOUD_SECRET_KEY` environment variables.

use super::client::Credential;
use crate::finding::{Secret, SecretKind};
use std::path::{Path, PathBuf};

/// Environment variable holding the auditor's SecretId.
pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
/// Environment variable holding the auditor's SecretKey.
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
/// Environment variable holding the auditor's session token (optional).
pub const ENV_TOKEN: &str = "TENCENTCLOUD_TOKEN";

/// Why auditor credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The profile file cannot be read.
    #[error("cannot read tccli profile {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The profile file lacks `secretId`/`secretKey`.
    #[error("tccli profile {0} has no secretId and secretKey")]
    Incomplete(PathBuf),
    /// Only one of the two variables is set.
    #[error("{ENV_SECRET_ID} and {ENV_SECRET_KEY} must both be set")]
    HalfEnv,
    /// Nowhere to look for a profile.
    #[error("cannot find the home directory to read tccli profile {0:?}")]
    NoHome(String),
}

/// The tccli profile file of `profile` under `home`.
pub fn profile_path(home: &Path, profile: &str) -> PathBuf {
    home.join(".tccli").join(format!("{profile}.credential"))
}

/// Loads the auditor's credentials: the named tccli profile when `profile`
/// is given, else the environment (`env` looks variables up). `Ok(None)`
/// when neither is configured.
pub fn load(
    profile: Option<&str>,
    home: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Credential>, CredentialError> {
    if let Some(p) = profile {
        let home = home.ok_or_else(|| CredentialError::NoHome(p.to_string()))?;
        return from_profile(&profile_path(home, p)).map(Some);
    }
    let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    match (nonempty(ENV_SECRET_ID), nonempty(ENV_SECRET_KEY)) {
        (Some(id), Some(key)) => {
            let token = nonempty(ENV_TOKEN).map(|t| Secret::new(t, SecretKind::Key));
            Ok(Some(
                Credential::new(id.trim(), key.trim()).with_token(token),
            ))
        }
        (None, None) => Ok(None),
        _ => Err(CredentialError::HalfEnv),
    }
}

fn from_profile(path: &Path) -> Result<Credential, CredentialError> {
    let text = std::fs::read_to_string(path).map_err(|e| CredentialError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CredentialError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("not JSON: {e}"),
        })?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (field("secretId"), field("secretKey")) {
        (Some(id), Some(key)) => {
            let token = field("token").map(|t| Secret::new(t, SecretKind::Key));
            Ok(Credential::new(id, key).with_token(token))
        }
        _ => Err(CredentialError::Incomplete(path.to_path_buf())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_wins_over_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".tccli")).unwrap();
        std::fs::write(
            profile_path(dir.path(), "audit"),
            r#"{"secretId": "AKIDprofile", "secretKey": "k1"}"#,
        )
        .unwrap();
        let env = |k: &str| (k == ENV_SECRET_ID || k == ENV_SECRET_KEY).then(|| "env".to_string());
        let c = load(Some("audit"), Some(dir.path()), env).unwrap().unwrap();
        assert_eq!(c.id(), "AKIDprofile");
        assert_eq!(
            load(None, Some(dir.path()), env).unwrap().unwrap().id(),
            "env"
        );
        assert!(load(None, None, |_| None).unwrap().is_none());
        let half = |k: &str| (k == ENV_SECRET_ID).then(|| "x".to_string());
        assert!(matches!(
            load(None, None, half),
            Err(CredentialError::HalfEnv)
        ));
        let missing = load(Some("nope"), Some(dir.path()), |_| None).unwrap_err();
        assert!(missing.to_string().contains("nope.credential"), "{missing}");
        std::fs::write(profile_path(dir.path(), "bad"), r#"{"secretId": "x"}"#).unwrap();
        assert!(matches!(
            load(Some("bad"), Some(dir.path()), |_| None),
            Err(CredentialError::Incomplete(_))
        ));
    }
}
