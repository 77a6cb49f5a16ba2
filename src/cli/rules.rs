//! `keyhound rules list|check`. Owned by the core-scanner work (issue 2).

use super::{Exit, GlobalArgs};
use crate::message;
use crate::rule::{self, LoadError, RuleSet};
use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules in force: id, name, severity, keywords.
    List {
        /// Also load the rules of this file; may repeat.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Check rule files (default: the built-in rules): ids, patterns, examples.
    ///
    /// Exits 0 when every rule is well-formed, compiles, finds each of its
    /// examples and none of its negative examples; otherwise prints one line
    /// per problem and exits 2.
    Check {
        /// Rule files to check.
        files: Vec<PathBuf>,
    },
}

pub(crate) fn run(_g: &GlobalArgs, c: &RulesCommand) -> anyhow::Result<Exit> {
    match c {
        RulesCommand::List { rules } => list(rules),
        RulesCommand::Check { files } => check(files),
    }
}

fn list(files: &[PathBuf]) -> anyhow::Result<Exit> {
    let set = super::scan::load_rules(files)?;
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
