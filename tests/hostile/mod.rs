//! keyhound under hostile input: corrupt repositories, odd rules and
//! arguments, bad servers, secrets trying to escape redaction. Every command
//! runs under a time limit, so a hang fails the test instead of stalling it.

use crate::util::{TestEnv, fake};
use std::path::Path;
use std::time::Duration;

mod archives;
mod config;
mod echo;
mod git;
mod inputs;
mod journal;
mod limits;
mod lines;
mod messages;
mod net;
mod output;
mod redact;
mod repos;
mod streams;
mod terminal;

/// Longer than any of these commands takes when it works.
const LIMIT: Duration = Duration::from_secs(30);

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn key(seed: u64) -> String {
    fake("", 32, seed + 1000)
}

/// Runs git in `dir` (fixed identities and dates) and trims its output.
fn git(dir: &Path, args: &[&str]) -> String {
    crate::util::git(dir, args).trim().to_string()
}

/// Stdout and stderr of a finished command, as text.
fn texts(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `keyhound args` in `env` under [`LIMIT`].
fn run(env: &TestEnv, args: &[&str]) -> std::process::Output {
    run_within(env, args, LIMIT)
}

/// Runs `keyhound args` in `env` under `limit`.
fn run_within(env: &TestEnv, args: &[&str], limit: Duration) -> std::process::Output {
    env.cmd()
        .args(args)
        .timeout(limit)
        .output()
        .expect("keyhound ran")
}
