//! The command line: the only module that knows clap. [`args`] parses,
//! `plan` resolves the arguments into one plan per command, one module per
//! command runs it, and `message` shows diagnostics; the exit code is 0
//! clean, 1 findings, 2 error.

mod alibaba;
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
use exit::Exit;
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
    // Under gitleaks' commands, -v means "print the findings", not a log.
    let log_level = match compat_command(&cli.command) {
        Some(_) => 0,
        None => cli.global.verbose,
    };
    init_logging(log_level, cli.global.color);
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
        Command::Detect(a)
        | Command::Git(a)
        | Command::Dir(a)
        | Command::Protect(a)
        | Command::Stdin(a) => {
            let which = compat_command(&cli.command).expect("a gitleaks command");
            gitleaks_scan(g, a, which)
        }
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

/// Which gitleaks command `c` is, if it is one.
fn compat_command(c: &Command) -> Option<compat::GitleaksCommand> {
    use compat::GitleaksCommand as G;
    Some(match c {
        Command::Detect(_) => G::Detect,
        Command::Git(_) => G::Git,
        Command::Dir(_) => G::Dir,
        Command::Protect(_) => G::Protect,
        Command::Stdin(_) => G::Stdin,
        _ => return None,
    })
}

/// Runs a gitleaks command line as the `keyhound scan` meaning the same.
fn gitleaks_scan(
    g: &args::GlobalArgs,
    a: &compat::GitleaksCmd,
    which: compat::GitleaksCommand,
) -> anyhow::Result<Exit> {
    let argv = a.scan_argv(which)?;
    let parsed = Cli::try_parse_from(std::iter::once("keyhound".into()).chain(argv))?;
    let Command::Scan(mut scan_args) = parsed.command else {
        unreachable!("scan_argv starts with scan")
    };
    scan_args.gitleaks_mode = Some(compat::GitleaksMode {
        verbose: g.verbose > 0,
    });
    scan_args.noise.gitleaks_ignore = a.gitleaks_ignore_path.clone();
    let global = args::GlobalArgs {
        verbose: 0,
        quiet: g.quiet,
        color: if a.no_color {
            args::ColorChoice::Never
        } else {
            g.color
        },
    };
    scan::run(&global, &scan_args)
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
