//! `keyhound audit`: arguments resolved into audit settings, the account
//! read with the auditor's credentials, the report written, the exit code.

use super::cam::{TencentArgs, client, open_output};
use super::{Exit, GlobalArgs};
use crate::audit::{self, CheckId, Settings, report};
use crate::verify::tencent::{credential, snapshot};
use anyhow::bail;
use clap::Args;
use std::collections::BTreeSet;
use std::path::PathBuf;

const CHECK_IDS: [&str; 8] = [
    "root-key-active",
    "key-unused",
    "key-not-rotated",
    "key-disabled",
    "user-two-keys",
    "mfa-off",
    "admin-key",
    "console-and-api",
];

/// Arguments of `keyhound audit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Read-only: only List/Get/Describe CAM calls are sent (see docs/verify.md \
for the calls and a least-privilege auditor policy). Exit codes: 0 no problem, 1 problems \
reported, 2 error or a check the auditor's permissions could not answer (reported as \"not \
checked\", never as a pass)."
)]
pub(crate) struct AuditArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "human")]
    pub format: AuditFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run only this check; may repeat.
    #[arg(long = "check", value_name = "ID", value_parser = clap::builder::PossibleValuesParser::new(CHECK_IDS))]
    pub checks: Vec<String>,
    /// Do not run this check; may repeat.
    #[arg(long = "skip", value_name = "ID", value_parser = clap::builder::PossibleValuesParser::new(CHECK_IDS))]
    pub skips: Vec<String>,
    /// key-unused: an active key unused for more than DAYS.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub max_unused: u32,
    /// key-not-rotated: an active key older than DAYS.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub max_key_age: u32,
    /// Show AccessKeyIds in full in human and JSON output (never in SARIF).
    #[arg(long)]
    pub show_secrets: bool,
    /// Send every Tencent API call to URL instead (https, or http to a
    /// loopback address only: for tests and local proxies).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_TENCENT_ENDPOINT",
        help_heading = "Tencent Cloud"
    )]
    pub endpoint: Option<String>,
    /// Use the international site (*.intl.tencentcloudapi.com).
    #[arg(long, help_heading = "Tencent Cloud")]
    pub intl: bool,
    /// Auditor credentials from tccli profile NAME (~/.tccli/NAME.credential)
    /// instead of TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY.
    #[arg(long, value_name = "NAME", help_heading = "Tencent Cloud")]
    pub profile: Option<String>,
}

/// `audit --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AuditFormat {
    /// Problems grouped by check, for a terminal.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}

/// The checks chosen by `--check` (default: all) minus `--skip`.
fn chosen(checks: &[String], skips: &[String]) -> anyhow::Result<BTreeSet<CheckId>> {
    let parse = |ids: &[String]| -> anyhow::Result<BTreeSet<CheckId>> {
        ids.iter()
            .map(|i| CheckId::parse(i).ok_or_else(|| anyhow::anyhow!("unknown check id {i:?}")))
            .collect()
    };
    let mut set = if checks.is_empty() {
        CheckId::ALL.into_iter().collect()
    } else {
        parse(checks)?
    };
    for s in parse(skips)? {
        set.remove(&s);
    }
    if set.is_empty() {
        bail!("--check/--skip leave no check to run");
    }
    Ok(set)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `keyhound audit`.
pub(crate) fn run(_g: &GlobalArgs, a: &AuditArgs) -> anyhow::Result<Exit> {
    let settings = Settings {
        checks: chosen(&a.checks, &a.skips)?,
        max_unused_days: a.max_unused,
        max_key_age_days: a.max_key_age,
        now: now(),
    };
    let tencent = TencentArgs {
        endpoint: a.endpoint.clone(),
        intl: a.intl,
        audit: true,
        profile: a.profile.clone(),
    };
    let client = client(&tencent)?;
    let home = std::env::home_dir();
    let Some(cred) = credential::load(a.profile.as_deref(), home.as_deref(), |k| {
        std::env::var(k).ok()
    })?
    else {
        bail!(
            "auditor credentials needed: set {} and {}, or pass --profile NAME",
            credential::ENV_SECRET_ID,
            credential::ENV_SECRET_KEY
        );
    };
    let snap = snapshot::fetch(&client, &cred, &settings.checks)?;
    let result = audit::run(&snap, &settings);
    let format = match a.format {
        AuditFormat::Human => report::Format::Human,
        AuditFormat::Json => report::Format::Json,
        AuditFormat::Sarif => report::Format::Sarif,
    };
    let mut w = open_output(a.output.as_ref())?;
    report::write(&result, format, a.show_secrets, &mut w)?;
    w.flush()?;
    if !result.problems.is_empty() {
        return Ok(Exit::Findings);
    }
    if !result.not_checked.is_empty() {
        bail!(
            "{} check(s) could not be answered with the auditor's permissions (listed as \"not \
             checked\"); grant what they need or --skip them",
            result.not_checked.len()
        );
    }
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_match_the_library() {
        let lib: Vec<&str> = CheckId::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(lib, CHECK_IDS);
    }

    #[test]
    fn check_and_skip_combine() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(chosen(&[], &[]).unwrap().len(), 8);
        let only = chosen(&s(&["mfa-off", "admin-key"]), &s(&["admin-key"])).unwrap();
        assert_eq!(only.into_iter().collect::<Vec<_>>(), [CheckId::MfaOff]);
        assert!(chosen(&s(&["mfa-off"]), &s(&["mfa-off"])).is_err());
    }
}
