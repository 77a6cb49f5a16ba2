//! `keyhound rules list|check`: the rules in force, and rule files (any
//! format `--rules` takes) checked against their own examples.

use super::args::RulesCommand;
use super::exit::Exit;
use super::{message, plan};
use crate::diagnostic::Diagnostics;
use crate::rule::{self, LoadError};
use crate::rulecheck;
use std::io::Write;
use std::path::PathBuf;

pub(crate) fn run(c: &RulesCommand) -> anyhow::Result<Exit> {
    match c {
        RulesCommand::List { rules } => list(rules),
        RulesCommand::Check { files } => check(files),
    }
}

fn list(files: &[PathBuf]) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let resolved = plan::rules(files, &diags);
    message::flush(&diags);
    let set = resolved?;
    let width = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for r in &set.rules {
        writeln!(
            out,
            "{:width$}  {:8}  {}  [{}]",
            r.id,
            format!("{:?}", r.severity).to_lowercase(),
            r.name,
            r.keywords.join(", "),
        )?;
    }
    out.flush()?;
    Ok(Exit::Clean)
}

fn check(files: &[PathBuf]) -> anyhow::Result<Exit> {
    let diags = Diagnostics::new();
    let mut loaded = Vec::new();
    if files.is_empty() {
        loaded.extend(rule::load::builtin_files());
    }
    for f in files {
        // The loader `--rules` uses: every file it takes is checked here.
        match rule::load::read_file(f) {
            Ok(file) => {
                file.report(&diags);
                loaded.push(file);
            }
            Err(e) => diags.error(e),
        }
    }
    let mut checked = 0;
    for file in &loaded {
        if let Err(e) = rulecheck::validate(file) {
            diags.error(e);
            continue;
        }
        checked += file.rules.len();
        for p in rulecheck::check_file(file) {
            diags.error(LoadError {
                origin: file.origin.clone(),
                rule: Some(p.rule),
                reason: p.reason,
            });
        }
    }
    let clean = !diags.has_errors();
    message::flush(&diags);
    if clean {
        println!("{checked} rules ok");
    }
    Ok(Exit::Clean)
}
