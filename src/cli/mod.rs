//! The command line: the only module that knows clap. [`args`] parses,
//! `plan` resolves the arguments into one plan per command, one module per
//! command runs it, and `message` shows diagnostics; the exit code is 0
//! clean, 1 findings, 2 error.

mod args;
mod audit;
mod baseline;
mod compat;
mod completions;
mod disable;
mod enable;
mod exit;
mod install_hook;
mod man;
mod message;
mod org;
mod output;
mod plan;
mod progress;
mod providers;
mod repos;
mod respond;
mod root;
mod rules;
mod scan;
mod tencent;
mod verify;

use args::{Cli, Command};
use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Environment variable that sets the log filter (`KEYHOUND_LOG=debug`).
pub const ENV_LOG: &str = "KEYHOUND_LOG";

/// The version `--version` prints: the package version and, when built
/// from a git checkout, the commit (see build.rs).
pub const VERSION: &str = env!("KEYHOUND_VERSION");

/// Runs the command line; what `main` calls.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    message::set_quiet(cli.global.quiet);
    init_logging(cli.global.verbose, cli.global.color);
    let g = &cli.global;
    let result = match &cli.command {
        Command::Scan(a) => scan::run(g, a),
        Command::Rules(c) => rules::run(c),
        Command::Baseline(c) => baseline::run(g, c),
        Command::InstallHook(a) => install_hook::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Disable(a) => disable::run(a),
        Command::Respond(a) => respond::run(g, a),
        Command::Enable(a) => enable::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Report(args::ReportCommand::Merge(a)) => org::run_merge(a),
        Command::Repos(a) => repos::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    };
    match result {
        Ok(_) if message::errored() => ExitCode::from(2),
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(0);
            }
            if cli.global.verbose > 1 {
                // The debug form spans lines ("Caused by:"): each is bounded.
                let text = format!("{err:?}");
                let lines: Vec<String> = text.lines().map(message::shown).collect();
                eprintln!("keyhound: error: {}", lines.join("\n"));
            } else {
                eprintln!("keyhound: error: {}", message::shown(&format!("{err:#}")));
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Starts the `tracing` log on stderr, colored only when stderr is a
/// terminal that `--color` and `NO_COLOR` allow colors on.
fn init_logging(verbose: u8, color: args::ColorChoice) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(ENV_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(scan::use_color(color, std::io::stderr().is_terminal()))
        .try_init();
}
