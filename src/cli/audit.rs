//! `keyhound audit`: the account read with the auditor's credentials (a
//! role they name assumed first), the checks run, the report written, the
//! exit code.

use super::args::AuditArgs;
use super::exit::Exit;
use super::plan;
use crate::audit::{self, report};
use crate::verify::tencent::{credential, snapshot};
use anyhow::bail;
use std::io::Write;

/// `keyhound audit`.
pub(crate) fn run(a: &AuditArgs) -> anyhow::Result<Exit> {
    let plan = plan::audit(a)?;
    let client = plan.tencent.client_in(plan.credential.region.as_deref())?;
    let ready = credential::assume(&client, plan.credential.clone())?;
    let snap = snapshot::fetch(&client, &ready.credential, &plan.settings.checks)?;
    let result = audit::run(&snap, &plan.settings);
    let write = |w: &mut dyn Write| -> anyhow::Result<()> {
        report::write(&result, plan.format, plan.show_secrets, w)?;
        Ok(w.flush()?)
    };
    let written = match &plan.output {
        // With --show-secrets the report holds whole SecretIds: owner only.
        Some(p) => super::output::write_file_private(p, plan.show_secrets, |f| write(f)),
        None => write(&mut std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match written {
        Err(e) if super::is_broken_pipe(&e) => {}
        other => other?,
    }
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
