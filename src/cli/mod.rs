//! The command line: the only module that knows clap. Parses arguments,
//! resolves them into plans for the library, runs a command and maps its
//! result to an exit code (0 clean, 1 findings, 2 error).

mod audit;
mod cam;
mod git;
mod noise;
mod rules;
mod scan;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Environment variable that sets the log filter (`KEYHOUND_LOG=debug`).
pub const ENV_LOG: &str = "KEYHOUND_LOG";

/// keyhound finds leaked cloud credentials (Tencent Cloud first), tells who
/// owns them and switches them off.
#[derive(Debug, Parser)]
#[command(name = "keyhound", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 nothing found, 1 findings reported, 2 error (an error wins)."
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No warnings or progress bars, only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to color output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// When to color output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files, directories or git history for credentials.
    Scan(Box<scan::ScanArgs>),
    /// List or check detection rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Record the current findings, so later scans report only new ones.
    #[command(subcommand)]
    Baseline(noise::BaselineCommand),
    /// Install keyhound as a git pre-commit (or pre-push) hook.
    InstallHook(git::InstallHookArgs),
    /// Check the Tencent keys of a JSON report live (owner, last use).
    Verify(Box<cam::VerifyArgs>),
    /// Disable (set Inactive) leaked Tencent keys of your own account; dry run unless --yes.
    Disable(Box<cam::DisableArgs>),
    /// Re-enable the keys keyhound disabled, from its journal; dry run unless --yes.
    Enable(Box<cam::EnableArgs>),
    /// Review a whole Tencent Cloud account's API keys against Tencent's advice (read-only).
    Audit(Box<audit::AuditArgs>),
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Nothing found.
    Clean,
    /// Findings reported.
    Findings,
}

/// Runs the command line; what `main` calls.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::message::set_quiet(cli.global.quiet);
    init_logging(cli.global.verbose);
    let result = match &cli.command {
        Command::Scan(a) => scan::run(&cli.global, a),
        Command::Rules(c) => rules::run(&cli.global, c),
        Command::Baseline(c) => noise::run_baseline(&cli.global, c),
        Command::InstallHook(a) => git::install_hook(&cli.global, a),
        Command::Verify(a) => cam::run_verify(&cli.global, a),
        Command::Disable(a) => cam::run_disable(&cli.global, a),
        Command::Enable(a) => cam::run_enable(&cli.global, a),
        Command::Audit(a) => audit::run(&cli.global, a),
    };
    match result {
        Ok(_) if crate::message::errored() => ExitCode::from(2),
        Ok(Exit::Clean) => ExitCode::from(0),
        Ok(Exit::Findings) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(0);
            }
            if cli.global.verbose > 1 {
                eprintln!("keyhound: error: {err:?}");
            } else {
                eprintln!("keyhound: error: {err:#}");
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

fn init_logging(verbose: u8) {
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
        .try_init();
}
