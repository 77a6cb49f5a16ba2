//! `keyhound rules list|check`: the rules in force, and rule files checked
//! against their own examples.

use super::args::RulesCommand;
use super::{Exit, message, plan};
use crate::diagnostic::Diagnostics;
use crate::rule::{self, LoadError, RuleSet};
use anyhow::Context;
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
    let mut sets: Vec<(String, Vec<rule::Rule>)> = Vec::new();
    if files.is_empty() {
        sets.push(("builtin".into(), RuleSet::builtin().rules));
    }
    for f in files {
        let origin = f.display().to_string();
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read rules file {origin}"))?;
        match rule::parse(&text, &origin) {
            Ok(rules) => sets.push((origin, rules)),
            Err(e) => message::error(e),
        }
    }
    let mut checked = 0;
    for (origin, rules) in &sets {
        checked += rules.len();
        for p in rule::check(rules) {
            message::error(LoadError {
                origin: origin.clone(),
                rule: Some(p.rule),
                reason: p.reason,
            });
        }
    }
    if !message::errored() {
        println!("{checked} rules ok");
    }
    Ok(Exit::Clean)
}
