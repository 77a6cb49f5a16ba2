//! gitleaks' most-used scan flags, accepted with gitleaks' meaning so a
//! gitleaks command line keeps working (docs/migrating-from-gitleaks.md);
//! `plan` turns them into keyhound's own options.

use clap::Args;
use std::ffi::OsString;
use std::path::PathBuf;

/// `--redact`, `--exit-code`, `--report-format`, `--report-path`,
/// `--max-target-megabytes`.
#[derive(Debug, Args, Default)]
pub(crate) struct GitleaksArgs {
    /// gitleaks' --redact[=PERCENT]: keyhound redacts secrets anyway (unless
    /// --show-secrets); PERCENT is accepted and the whole value is redacted.
    #[arg(
        long,
        value_name = "PERCENT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "100",
        value_parser = clap::value_parser!(u8).range(0..=100),
        conflicts_with = "show_secrets",
        help_heading = "gitleaks compatibility"
    )]
    pub redact: Option<u8>,
    /// Exit with CODE instead of 1 when findings are reported (gitleaks'
    /// --exit-code; 0 passes with findings). Errors still exit 2.
    #[arg(long, value_name = "CODE", help_heading = "gitleaks compatibility")]
    pub exit_code: Option<u8>,
    /// gitleaks' --report-format, as --format: json or sarif (gitleaks'
    /// csv, junit and template are not written).
    #[arg(
        long,
        value_name = "FORMAT",
        value_parser = ["json", "sarif"],
        conflicts_with = "format",
        help_heading = "gitleaks compatibility"
    )]
    pub report_format: Option<String>,
    /// gitleaks' --report-path, as --output.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "output",
        help_heading = "gitleaks compatibility"
    )]
    pub report_path: Option<PathBuf>,
    /// gitleaks' --max-target-megabytes: skip files (and blobs) larger than
    /// N MiB, as --max-file-size NM.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=1 << 20),
        conflicts_with = "max_file_size",
        help_heading = "gitleaks compatibility"
    )]
    pub max_target_megabytes: Option<u64>,
}

impl GitleaksArgs {
    /// `--report-format` as keyhound's format.
    pub(crate) fn format(&self) -> Option<crate::report::Format> {
        match self.report_format.as_deref() {
            Some("json") => Some(crate::report::Format::Json),
            Some("sarif") => Some(crate::report::Format::Sarif),
            _ => None,
        }
    }

    /// `--max-target-megabytes` in bytes.
    pub(crate) fn max_size(&self) -> Option<u64> {
        self.max_target_megabytes.map(|n| n << 20)
    }
}

/// What a scan started through a gitleaks command changes: gitleaks'
/// JSON shape for `--report-format json`, findings on standard output only
/// with `-v` (or `--report-path -`), a one-line verdict on stderr.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GitleaksMode {
    /// gitleaks' `-v/--verbose`: print the findings too.
    pub verbose: bool,
}

/// gitleaks' commands' flags (`detect`, `git`, `dir`, `protect`, `stdin`),
/// each turned into the keyhound `scan` flag with its meaning.
#[derive(Debug, Args)]
pub(crate) struct GitleaksCmd {
    /// The repository or directory to scan (`git PATH`, `dir PATH`).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// gitleaks' -s/--source (default: the current directory).
    #[arg(short = 's', long, value_name = "PATH", conflicts_with = "path")]
    pub source: Option<PathBuf>,
    /// `detect`: scan the files, not the git history.
    #[arg(long)]
    pub no_git: bool,
    /// Scan the staged changes (`git`, `protect`).
    #[arg(long)]
    pub staged: bool,
    /// `git --pre-commit`: the changes about to be committed.
    #[arg(long)]
    pub pre_commit: bool,
    /// gitleaks' --log-opts: `A..B` (as --range), a branch or tag (as
    /// --branch), `--all`, `--since=DATE`/`--after=DATE`.
    #[arg(long, value_name = "OPTS", allow_hyphen_values = true)]
    pub log_opts: Option<String>,
    /// gitleaks' -c/--config (also GITLEAKS_CONFIG).
    #[arg(short = 'c', long, value_name = "FILE", env = "GITLEAKS_CONFIG")]
    pub config: Option<PathBuf>,
    /// gitleaks' -b/--baseline-path: a gitleaks or keyhound report.
    #[arg(short = 'b', long, value_name = "FILE")]
    pub baseline_path: Option<PathBuf>,
    /// gitleaks' -i/--gitleaks-ignore-path: a `.gitleaksignore` file, or a
    /// directory holding one.
    #[arg(short = 'i', long, value_name = "PATH")]
    pub gitleaks_ignore_path: Option<PathBuf>,
    /// Accepted: keyhound prints no banner.
    #[arg(long)]
    pub no_banner: bool,
    /// No colors (as --color never).
    #[arg(long)]
    pub no_color: bool,
    /// gitleaks' -r/--report-path (`-` for standard output).
    #[arg(short = 'r', long, value_name = "FILE")]
    pub report_path: Option<PathBuf>,
    /// gitleaks' -f/--report-format: json (gitleaks' shape) or sarif.
    #[arg(short = 'f', long, value_name = "FORMAT", value_parser = ["json", "sarif"])]
    pub report_format: Option<String>,
    /// gitleaks' --redact[=PERCENT] (default 100).
    #[arg(long, value_name = "PERCENT", num_args = 0..=1, require_equals = true,
          default_missing_value = "100", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub redact: Option<u8>,
    /// Exit with CODE when leaks are found (default 1).
    #[arg(long, value_name = "CODE")]
    pub exit_code: Option<u8>,
    /// Skip files and blobs larger than N MiB.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub max_target_megabytes: Option<u64>,
    /// Follow symbolic links (`dir`).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Decode encoded text up to N levels deep (keyhound allows at most 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=8))]
    pub max_decode_depth: Option<u8>,
    /// gitleaks' -l/--log-level: accepted; keyhound's log level is -v/-q.
    #[arg(short = 'l', long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Show secrets in full in the report (gitleaks' default; keyhound
    /// redacts unless asked).
    #[arg(long, conflicts_with = "redact")]
    pub show_secrets: bool,
}

/// Which gitleaks command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GitleaksCommand {
    /// `detect`.
    Detect,
    /// `git`.
    Git,
    /// `dir`.
    Dir,
    /// `protect`.
    Protect,
    /// `stdin`.
    Stdin,
}

impl GitleaksCmd {
    /// The `keyhound scan` arguments meaning what this gitleaks command line
    /// means.
    pub(crate) fn scan_argv(&self, cmd: GitleaksCommand) -> anyhow::Result<Vec<OsString>> {
        let mut argv: Vec<OsString> = vec!["scan".into()];
        let mut flag = |f: &str| argv.push(f.into());
        let staged = match cmd {
            GitleaksCommand::Protect => true,
            GitleaksCommand::Git => self.staged || self.pre_commit,
            _ => false,
        };
        let history = match cmd {
            GitleaksCommand::Detect => !self.no_git,
            GitleaksCommand::Git => !staged,
            _ => false,
        };
        if staged {
            flag("--staged");
        } else if history {
            flag("--git");
        }
        if let Some(opts) = &self.log_opts {
            anyhow::ensure!(history, "--log-opts applies to git history scans only");
            for a in log_opts(opts)? {
                argv.push(a.into());
            }
        }
        let mut pairs: Vec<(&'static str, OsString)> = Vec::new();
        let mut path = |k: &'static str, v: &Option<PathBuf>| {
            if let Some(v) = v {
                pairs.push((k, v.clone().into_os_string()));
            }
        };
        path("--config", &self.config);
        path("--baseline", &self.baseline_path);
        path("--report-path", &self.report_path);
        if let Some(f) = &self.report_format {
            pairs.push(("--report-format", f.into()));
        }
        if let Some(c) = self.exit_code {
            pairs.push(("--exit-code", c.to_string().into()));
        }
        if let Some(n) = self.max_target_megabytes {
            pairs.push(("--max-target-megabytes", n.to_string().into()));
        }
        if let Some(n) = self.max_decode_depth {
            pairs.push(("--decode-depth", n.to_string().into()));
        }
        for (k, v) in pairs {
            argv.push(k.into());
            argv.push(v);
        }
        if let Some(p) = self.redact {
            argv.push(format!("--redact={p}").into());
        }
        for (on, f) in [
            (self.follow_symlinks, "--follow-links"),
            (self.show_secrets, "--show-secrets"),
        ] {
            if on {
                argv.push(f.into());
            }
        }
        argv.push("--".into());
        argv.push(match cmd {
            GitleaksCommand::Stdin => "-".into(),
            _ => self
                .path
                .clone()
                .or_else(|| self.source.clone())
                .unwrap_or_else(|| PathBuf::from("."))
                .into_os_string(),
        });
        Ok(argv)
    }
}

/// gitleaks' `--log-opts` (arguments to `git log`) as keyhound's
/// selection flags; what has no keyhound counterpart is an error.
fn log_opts(opts: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut words = opts.split_whitespace();
    while let Some(w) = words.next() {
        let value = |name: &str, words: &mut std::str::SplitWhitespace| {
            w.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
                .or_else(|| {
                    (w == name)
                        .then(|| words.next().map(str::to_string))
                        .flatten()
                })
        };
        if w == "--all" {
            continue;
        }
        if let Some(d) = value("--since", &mut words).or_else(|| value("--after", &mut words)) {
            out.extend(["--since".to_string(), d]);
        } else if w.contains("..") && !w.starts_with('-') {
            out.extend(["--range".to_string(), w.replace("...", "..")]);
        } else if !w.starts_with('-') {
            out.extend(["--branch".to_string(), w.to_string()]);
        } else {
            anyhow::bail!(
                "--log-opts {w:?} has no keyhound counterpart (it takes A..B, a branch, --all, --since=DATE)"
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::log_opts;

    #[test]
    fn log_opts_become_selection_flags() {
        assert_eq!(
            log_opts("--all origin/main..HEAD").unwrap(),
            ["--range", "origin/main..HEAD"]
        );
        assert_eq!(
            log_opts("--since 2024-01-02 main").unwrap(),
            ["--since", "2024-01-02", "--branch", "main"]
        );
        assert_eq!(
            log_opts("--after=2024-01-02").unwrap(),
            ["--since", "2024-01-02"]
        );
        assert!(log_opts("-n 5").is_err());
    }
}
