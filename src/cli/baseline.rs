//! `keyhound baseline create`: scans like `scan` and writes the findings as
//! a baseline (sorted, one per line, no secrets).

use super::args::{BaselineCommand, GlobalArgs};
use super::exit::Exit;
use super::{message, plan};
use crate::config;
use crate::diagnostic::Diagnostics;
use crate::report::Report;
use anyhow::Context;
use std::io::Write;

/// Runs `keyhound baseline`.
pub(crate) fn run(g: &GlobalArgs, c: &BaselineCommand) -> anyhow::Result<Exit> {
    let BaselineCommand::Create(a) = c;
    let diags = Diagnostics::new();
    let resolved = plan::baseline(g, a, &diags);
    message::flush(&diags);
    let plan = resolved?;
    let report = super::scan::execute(&plan, &diags)?;
    message::flush(&diags);
    write_baseline(&plan, &report)?;
    Ok(Exit::Clean)
}

/// Writes the baseline of `report` to the plan's output (or stdout).
fn write_baseline(plan: &plan::Scan, report: &Report) -> anyhow::Result<()> {
    let text = config::baseline::render(plan.noise.baseline_entries(&report.findings));
    match &plan.output.path {
        Some(path) => super::output::write_file(path, |w| Ok(w.write_all(text.as_bytes())?))
            .context("cannot write the baseline")?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}
