//! The command line as clap sees it: every command, flag and value parser.
//! Nothing here reads a file or opens a repository; `plan` turns these
//! values into what the commands run.

use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// keyhound finds leaked cloud credentials (Tencent Cloud first), tells who
/// owns them and switches them off.
#[derive(Debug, Parser)]
#[command(name = "keyhound", version = crate::cli::VERSION, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 nothing found, 1 findings reported, 2 error (an error wins)."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
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

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan files, directories or git history for credentials.
    Scan(Box<ScanArgs>),
    /// List or check detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Record the current findings, so later scans report only new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Install keyhound as a git pre-commit (or pre-push) hook.
    InstallHook(InstallHookArgs),
    /// Check the Tencent and CDNetworks keys of a JSON report live (owner, last use).
    Verify(Box<VerifyArgs>),
    /// Disable (set Inactive) leaked Tencent keys of your own account; dry run unless --yes.
    Disable(Box<DisableArgs>),
    /// For CI: scan, verify, disable the live keys of your own account and
    /// report what was done (SARIF/JSON); dry run unless --yes.
    Respond(Box<RespondArgs>),
    /// Re-enable the keys keyhound disabled, from its journal; dry run unless --yes.
    Enable(Box<EnableArgs>),
    /// Review a whole Tencent Cloud account's API keys against Tencent's advice (read-only).
    Audit(Box<AuditArgs>),
    /// Work with finished reports (merge the reports of many shards).
    #[command(subcommand)]
    Report(ReportCommand),
    /// List a GitHub organisation's or GitLab group's clone URLs (for `scan --repos`).
    Repos(Box<super::repos::ReposArgs>),
    /// Print a shell completion script on standard output.
    Completions(CompletionsArgs),
    /// Print the man page on standard output, or write one page per command to a directory.
    Man(ManArgs),
    /// gitleaks' `detect`: git history of --source, or its files with --no-git.
    #[command(hide = true)]
    Detect(Box<super::compat::GitleaksCmd>),
    /// gitleaks' `git [PATH]`: the git history (or with --staged, the staged changes).
    #[command(hide = true)]
    Git(Box<super::compat::GitleaksCmd>),
    /// gitleaks' `dir [PATH]`: files and directories.
    #[command(hide = true)]
    Dir(Box<super::compat::GitleaksCmd>),
    /// gitleaks' `protect`: the staged changes.
    #[command(hide = true)]
    Protect(Box<super::compat::GitleaksCmd>),
    /// gitleaks' `stdin`: standard input.
    #[command(hide = true)]
    Stdin(Box<super::compat::GitleaksCmd>),
}

/// `keyhound report` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge JSON reports (the shards of an organisation scan) into one:
    /// one finding per credential with its locations in every repository,
    /// the same bytes whatever the order of the inputs.
    Merge(MergeArgs),
}

/// Arguments of `keyhound report merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// JSON reports to merge.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format (default: json).
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the merged report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show secrets in full when the inputs do (never in SARIF).
    #[arg(long)]
    pub show_secrets: bool,
    /// Rules the reports were made with beyond the built-in ones (names,
    /// severities, SARIF rule entries); may repeat.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
}

/// Arguments of `keyhound completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `keyhound man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write keyhound.1 and one keyhound-COMMAND.1 per command into DIR
    /// instead of printing keyhound.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

// --- scan ---------------------------------------------------------------------

/// Arguments of `keyhound scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan (default: the current directory); `-`
    /// reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, help_heading = "Output")]
    pub format: Option<FormatArg>,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// SARIF `automationDetails.id` category, so GitHub keeps separate
    /// analyses apart (default: `keyhound/<kind>`, kind being files, stdin,
    /// history, range, staged or pre-push; `keyhound/repos/<repository>`
    /// for each repository of a scan of many).
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub sarif_category: Option<String>,
    /// Show secrets in full in human, JSON and JSONL output (never in SARIF).
    #[arg(long, help_heading = "Output")]
    pub show_secrets: bool,
    /// Add the rules of this file (keyhound or gitleaks TOML); may repeat.
    #[arg(long = "rules", value_name = "FILE", help_heading = "Rules")]
    pub rules: Vec<PathBuf>,
    /// Scan files that .gitignore and .ignore files exclude.
    #[arg(long, help_heading = "Files")]
    pub no_gitignore: bool,
    /// Follow symbolic links.
    #[arg(long, help_heading = "Files")]
    pub follow_links: bool,
    /// Skip files larger than SIZE (bytes, or with K, M, G suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Files")]
    pub max_file_size: Option<u64>,
    /// Do not open archives and compressed files (zip, jar, tar, gz, bz2, xz,
    /// zst...); skip them as binary.
    #[arg(long, help_heading = "Files")]
    pub no_archives: bool,
    /// Skip binary files and blobs instead of scanning their printable
    /// strings (ASCII and UTF-16, and the strings of .pyc, Java
    /// serialisation, class files and SQLite databases).
    #[arg(long, help_heading = "Files")]
    pub no_binary_strings: bool,
    /// Open archives nested up to N levels deep (default: 5; 1 opens only
    /// the outer archive).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Files")]
    pub archive_depth: Option<u32>,
    /// Read at most SIZE uncompressed bytes from each archive, nested ones
    /// included (default: 512M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Files")]
    pub archive_max_size: Option<u64>,
    /// Read at most N members of each archive, nested ones included
    /// (default: 100000).
    #[arg(long, value_name = "N", help_heading = "Files")]
    pub archive_max_members: Option<u64>,
    /// Decode base64 (and gzip inside it), hex, percent-encoding, string
    /// escapes, HTML entities and split string literals (and Tencent tools'
    /// encrypted configs) up to N levels deep, inside
    /// candidate spans only; 0 scans the plain bytes only.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::decode::DEFAULT_DEPTH,
        value_parser = clap::value_parser!(u8).range(0..=8),
        help_heading = "Files"
    )]
    pub decode_depth: u8,
    /// Worker threads (default: one per core; at most 256).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads, help_heading = "Files")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub git: GitScanArgs,
    #[command(flatten)]
    pub verify: VerifyScanArgs,
    #[command(flatten)]
    pub noise: NoiseArgs,
    #[command(flatten)]
    pub gitleaks: super::compat::GitleaksArgs,
    /// Set when the scan came from one of gitleaks' commands (`detect`,
    /// `git`, `dir`, `protect`, `stdin`): gitleaks' output conventions.
    #[arg(skip)]
    pub gitleaks_mode: Option<super::compat::GitleaksMode>,
}

/// `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Readable text, colored on a terminal.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// gitleaks' JSON report shape (an array of `RuleID`, `File`,
    /// `StartLine`, `Secret`, `Fingerprint`... objects).
    GitleaksJson,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::GitleaksJson => Format::GitleaksJson,
        }
    }
}

fn parse_threads(s: &str) -> Result<usize, String> {
    let max = crate::source::MAX_THREADS;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("{s} worker threads: expected 1 to {max}")),
        Err(_) => Err(format!(
            "invalid thread count {s:?}: expected a number from 1 to {max}"
        )),
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    crate::config::file::parse_size(s)
        .ok_or_else(|| format!("invalid size {s:?} (expected bytes, or a number with K, M or G)"))
}

/// Git options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct GitScanArgs {
    /// Scan git history instead of files: every blob reachable from any ref,
    /// each read and scanned once, with the commits that introduced it.
    ///
    /// PATH is the repository (work tree, .git directory or bare repository;
    /// default: the current directory). Commit messages are scanned too.
    #[arg(long, help_heading = "Git")]
    pub git: bool,
    /// Scan only the commits reachable from this branch (or tag, or commit).
    /// Implies --git.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Git",
        conflicts_with = "range"
    )]
    pub branch: Option<String>,
    /// Scan exactly the commits in BASE..HEAD, as in a pull request
    /// (`--range origin/main..HEAD`). Implies --git.
    ///
    /// Commits reachable from BASE are left out, so are blobs they already
    /// contained; HEAD defaults to HEAD when omitted (`origin/main..`).
    #[arg(long, value_name = "BASE..HEAD", help_heading = "Git")]
    pub range: Option<String>,
    /// Scan only commits committed on or after DATE (YYYY-MM-DD, UTC, or
    /// RFC 3339). Implies --git; combines with --branch and --range.
    #[arg(long, value_name = "DATE", value_parser = parse_date, help_heading = "Git")]
    pub since: Option<i64>,
    /// Scan what `git commit` would commit (the index against HEAD) and
    /// report only matches on added lines. For pre-commit hooks.
    #[arg(long, help_heading = "Git", conflicts_with_all = ["git", "branch", "range", "since", "pre_push"])]
    pub staged: bool,
    /// Scan the commits a push sends. Reads git's pre-push hook input
    /// (`<local ref> <local sha> <remote ref> <remote sha>` lines) on stdin,
    /// or the variables the pre-commit framework sets
    /// (PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF; for a first push
    /// PRE_COMMIT_LOCAL_BRANCH: its commits no remote-tracking ref has).
    /// Fails when it cannot tell what is pushed.
    #[arg(long, help_heading = "Git", conflicts_with_all = ["git", "branch", "range", "since"])]
    pub pre_push: bool,
    /// Scan the history of every repository listed in FILE (one URL or
    /// path per line, `#` comments) besides any PATH given. Implies --git.
    ///
    /// Remote repositories are cloned bare into --clone-dir and fetched on
    /// later runs; local paths are read in place. A repository that fails
    /// is one error (exit 2) and the others are still scanned and reported.
    #[arg(long, value_name = "FILE", help_heading = "Repositories", conflicts_with_all = ["staged", "pre_push"])]
    pub repos: Option<PathBuf>,
    /// Where remote repositories are cloned (default: keyhound/repos under
    /// the user cache directory).
    #[arg(long, value_name = "DIR", help_heading = "Repositories")]
    pub clone_dir: Option<PathBuf>,
    /// Scan only shard INDEX of COUNT of the repositories (INDEX from 0, as
    /// Kubernetes' JOB_COMPLETION_INDEX), chosen by a stable hash of each
    /// normalised URL: the shards of one list never overlap and together
    /// are the whole list. Implies --git.
    #[arg(long, value_name = "INDEX/COUNT", value_parser = parse_shard, help_heading = "Repositories", conflicts_with_all = ["staged", "pre_push"])]
    pub shard: Option<crate::org::list::Shard>,
    /// Read each repository only from the commits made since the scan that
    /// wrote REPORT (a JSON report of a scan of the same repositories with
    /// the same flags), carrying its findings over: the result is what a
    /// full scan finds. A repository REPORT does not cover, scanned with
    /// other rules or flags, or whose history was rewritten since is read
    /// whole (a note says why). Implies --git; with one PATH, it is scanned
    /// as a list of one.
    #[arg(long, value_name = "REPORT", help_heading = "Repositories", conflicts_with_all = ["staged", "pre_push", "pre_commit"])]
    pub since_report: Option<PathBuf>,
    /// For the pre-commit framework, which passes file names as PATHs:
    /// exactly those files are scanned; inside `git commit` (GIT_INDEX_FILE
    /// set) only the lines the commit adds to them, as `--staged`; otherwise
    /// (`pre-commit run --all-files`, `--files`) in full. No PATH: `--staged`.
    #[arg(long, help_heading = "Git", conflicts_with_all = ["git", "branch", "range", "since", "pre_push", "staged"])]
    pub pre_commit: bool,
}

fn parse_shard(s: &str) -> Result<crate::org::list::Shard, String> {
    s.parse()
        .map_err(|e: crate::org::list::ShardError| e.to_string())
}

impl GitScanArgs {
    /// Whether these flags ask for a history scan.
    pub fn history(&self) -> bool {
        self.git
            || self.branch.is_some()
            || self.range.is_some()
            || self.since.is_some()
            || self.repos.is_some()
            || self.shard.is_some()
            || self.since_report.is_some()
    }
}

fn parse_date(s: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, fmt)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| format!("invalid date {s:?} (expected YYYY-MM-DD or RFC 3339)"))
}

/// Noise-control options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct NoiseArgs {
    /// Read this config file instead of `.keyhound.toml` at the repo root.
    ///
    /// The root is the first scanned directory (or, for a file, the git work
    /// tree holding it). Keys: `format`, `max_file_size`, `disabled_rules`,
    /// `[[allow]]` tables (`rules`, `paths` globs, `regexes` and `stopwords`
    /// over the secret) and `[[rule]]` tables like rules/*.toml. A line
    /// holding `keyhound:allow` or `gitleaks:allow` is never reported.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub config: Option<PathBuf>,
    /// Read no config file.
    #[arg(long, conflicts_with = "config", help_heading = "Noise control")]
    pub no_config: bool,
    /// Read ignore entries from FILE instead of `.keyhoundignore` at the repo root.
    ///
    /// One finding per line: `FINGERPRINT [path=GLOB] [expires=YYYY-MM-DD]
    /// [owner=NAME] [# reason]`. Entries key on the secret, so they survive
    /// rebases and moved lines; expired entries warn and stop suppressing,
    /// entries matching nothing are noted.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub ignore_file: Option<PathBuf>,
    /// Read no ignore file.
    #[arg(long, conflicts_with = "ignore_file", help_heading = "Noise control")]
    pub no_ignore_file: bool,
    /// gitleaks' --gitleaks-ignore-path: the `.gitleaksignore` to read (a
    /// directory: the one in it) instead of the one at the root.
    #[arg(skip)]
    pub gitleaks_ignore: Option<PathBuf>,
    /// Report only findings that are not in FILE (a baseline or an earlier
    /// JSON, JSONL or SARIF report), compared by fingerprint.
    #[arg(long, value_name = "FILE", help_heading = "Noise control")]
    pub baseline: Option<PathBuf>,
}

/// `keyhound baseline ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Scan like `scan` and write the findings as a baseline: sorted, one
    /// per line, fingerprint, rule and first location, no secrets.
    Create(Box<ScanArgs>),
}

/// Where and as whom to talk to Tencent Cloud.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct TencentArgs {
    /// Send every Tencent API call to URL instead (https, or http to a
    /// loopback address only: for tests and local proxies).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_TENCENT_ENDPOINT",
        help_heading = "Tencent Cloud"
    )]
    pub endpoint: Option<String>,
    /// With --endpoint: the URL standing for the other site (China or
    /// international), where a SecretId unknown at --endpoint is looked for.
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_TENCENT_OTHER_SITE_ENDPOINT",
        requires = "endpoint",
        help_heading = "Tencent Cloud"
    )]
    pub other_site_endpoint: Option<String>,
    /// Use the international site (*.intl.tencentcloudapi.com).
    #[arg(long, help_heading = "Tencent Cloud")]
    pub intl: bool,
    /// Auditor mode: also look every found SecretId up in your own account,
    /// with credentials found as Tencent's SDKs and tccli find them
    /// (TENCENTCLOUD_SECRET_ID/_KEY[/_TOKEN], tccli's default profile,
    /// ~/.tencentcloud/credentials; a role-arn is assumed).
    #[arg(long, help_heading = "Tencent Cloud")]
    pub audit: bool,
    /// Auditor mode with tccli profile NAME (~/.tccli/NAME.credential).
    #[arg(long, value_name = "NAME", help_heading = "Tencent Cloud")]
    pub profile: Option<String>,
}

/// Where to check the keys of the providers on the verify seam.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct ProviderArgs {
    /// Send CDNetworks checks to URL instead of https://api.cdnetworks.com/
    /// (https, or http to a loopback address only: for tests and local
    /// proxies).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_CDNETWORKS_ENDPOINT",
        help_heading = "CDNetworks"
    )]
    pub cdnetworks_endpoint: Option<String>,
    /// Send PROVIDER's checks to URL instead of its API (alibaba=URL,
    /// qiniu=URL, ...; https, or http to a loopback address only). May
    /// repeat.
    #[arg(long, value_name = "PROVIDER=URL", help_heading = "Other providers")]
    pub provider_endpoint: Vec<String>,
}

/// Verification options of `scan`.
#[derive(Debug, Args, Default)]
pub(crate) struct VerifyScanArgs {
    /// Check found keys live (Tencent Cloud, and each provider with a check
    /// in docs/providers.md), each distinct pair once (only signatures are
    /// sent, never a secret). --audit and --profile imply it.
    #[arg(long, help_heading = "Tencent Cloud")]
    pub verify: bool,
    #[command(flatten)]
    pub tencent: TencentArgs,
    #[command(flatten)]
    pub providers: ProviderArgs,
}

// --- rules, install-hook -------------------------------------------------------

#[derive(Debug, Subcommand)]
/// `keyhound rules ...`
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

/// Arguments of `keyhound install-hook`.
#[derive(Debug, Args)]
pub(crate) struct InstallHookArgs {
    /// Install the pre-push hook (scans the commits being pushed) instead of
    /// the pre-commit hook (scans staged changes).
    #[arg(long)]
    pub pre_push: bool,
    /// Replace a hook keyhound did not write.
    #[arg(long)]
    pub force: bool,
    /// The repository (default: the current directory).
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,
}

// --- verify, disable, enable ---------------------------------------------------

/// Arguments of `keyhound verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The JSON report to check (written by `scan --format json`). A
    /// redacted report is completed by rescanning the files it lists.
    #[arg(long, value_name = "FILE", required = true)]
    pub from: PathBuf,
    /// Output: one line per finding, or the report again with `verification` filled in.
    #[arg(short, long, value_enum, default_value = "human")]
    pub format: VerifyFormat,
    /// Write the report's secrets in full (JSON) when it holds them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rules used to rescan a redacted report's files (besides the built-in ones).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// The git repository of a redacted report's git locations (default:
    /// the one holding the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub tencent: TencentArgs,
    #[command(flatten)]
    pub providers: ProviderArgs,
}

/// `verify --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyFormat {
    /// One line per finding.
    Human,
    /// The input report with `verification` filled in.
    Json,
}

/// Arguments of `keyhound disable`.
#[derive(Debug, Args)]
#[command(
    after_help = "Keys are set Inactive, which `keyhound enable` undoes. keyhound never \
deletes keys. Only keys your own account lists are touched, never the credentials keyhound runs \
with. Needs auditor credentials (TENCENTCLOUD_SECRET_ID/_KEY, --profile, tccli's default \
profile or ~/.tencentcloud/credentials) allowed to call \
cam:ListUsers, cam:ListAccessKeys and cam:UpdateAccessKey. Alibaba Cloud keys (LTAI…) are \
disabled in the account of ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET[/ALIBABA_CLOUD_SECURITY_TOKEN], \
allowed to call ram:ListUsers, ram:ListAccessKeys, ram:GetAccessKeyLastUsed and \
ram:UpdateAccessKey."
)]
pub(crate) struct DisableArgs {
    /// Disable the Tencent and Alibaba Cloud keys found in this JSON report.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Only the findings of --from with this fingerprint; may repeat.
    #[arg(long = "finding", value_name = "FINGERPRINT", requires = "from")]
    pub findings: Vec<String>,
    /// Disable this SecretId (or Alibaba Cloud AccessKey ID); may repeat.
    #[arg(long = "secret-id", value_name = "AKID…")]
    pub secret_ids: Vec<String>,
    /// The git repository of a redacted report's git locations (default:
    /// the one holding the current directory).
    #[arg(long, value_name = "DIR", requires = "from")]
    pub repo: Option<PathBuf>,
    /// Act; without it only the plan is printed.
    #[arg(long)]
    pub yes: bool,
    /// Append every action to FILE (default: keyhound/journal.jsonl under
    /// $XDG_STATE_HOME, else ~/.local/state).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub tencent: TencentArgs,
    #[command(flatten)]
    pub providers: ProviderArgs,
}

/// Arguments of `keyhound respond`.
#[derive(Debug, Args)]
#[command(
    after_help = "Scans like `scan` (PATH or --git, --range, --branch...), verifies every \
Tencent and CDNetworks finding, plans `disable` for the live Tencent keys your own account lists \
and, with --yes, disables them, journaling every call. Each finding of the report (human, JSON, \
SARIF) carries its verification and a `response`: disabled, would_disable (dry run), \
nothing_to_do, refused, failed or not_acted. Exit codes: 0 nothing is left live (every live key \
of yours disabled, the rest not live), 1 a finding still needs a human (dry run, another \
account's key, unknown verdict, a provider keyhound does not disable, an access key or identity \
the leaked key left behind), 2 error. Keys and identities created by a leaked key after the \
leak are critical findings of their own (tencent.left-behind.*); --disable-persistence with \
--yes disables those keys too. Needs auditor credentials allowed to call cam:ListUsers, \
cam:ListAccessKeys and cam:UpdateAccessKey."
)]
pub(crate) struct RespondArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Disable; without it the report says what would be done.
    #[arg(long)]
    pub yes: bool,
    /// Also disable the access keys a leaked key left behind (created by it
    /// after the leak); never by default, as the owner may have rotated.
    #[arg(long)]
    pub disable_persistence: bool,
    /// Append every action to FILE (default: keyhound/journal.jsonl under
    /// $XDG_STATE_HOME, else ~/.local/state).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

/// Arguments of `keyhound enable`.
#[derive(Debug, Args)]
#[command(
    after_help = "Re-activates the keys the journal shows keyhound disabled (and did not \
re-enable since), journaling that too."
)]
pub(crate) struct EnableArgs {
    /// The journal written by `keyhound disable` (default:
    /// keyhound/journal.jsonl under $XDG_STATE_HOME, else ~/.local/state).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Act; without it only the plan is printed.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub tencent: TencentArgs,
    #[command(flatten)]
    pub providers: ProviderArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_utc() {
        assert_eq!(parse_date("1970-01-02"), Ok(86400));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Ok(0));
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

// --- audit ----------------------------------------------------------------------

/// The check ids `--check` and `--skip` take (those of [`crate::audit::CheckId`]).
pub(crate) const CHECK_IDS: [&str; 14] = [
    "root-key-active",
    "key-unused",
    "key-not-rotated",
    "key-disabled",
    "user-two-keys",
    "mfa-off",
    "mfa-login-off",
    "mfa-operation-off",
    "admin-key",
    "console-and-api",
    "policy-not-via-group",
    "duties-not-separated",
    "policy-condition-missing",
    "tencent-alarm-open",
];

/// Arguments of `keyhound audit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Read-only: only List/Get/Describe CAM calls are sent (docs/verify.md \
lists them, with a least-privilege auditor policy). Exit codes: 0 no problem, 1 problems \
reported, 2 error, or a check the auditor's permissions could not answer (listed as \"not \
checked\", never passed)."
)]
pub(crate) struct AuditArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value = "human")]
    pub format: AuditFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run only this check; may repeat.
    #[arg(long = "check", value_name = "ID",
          value_parser = clap::builder::PossibleValuesParser::new(CHECK_IDS))]
    pub checks: Vec<String>,
    /// Do not run (or read what is needed for) this check; may repeat.
    #[arg(long = "skip", value_name = "ID",
          value_parser = clap::builder::PossibleValuesParser::new(CHECK_IDS))]
    pub skips: Vec<String>,
    /// key-unused: an active key unused for more than DAYS.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub max_unused: u32,
    /// key-not-rotated: an active key older than DAYS.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub max_key_age: u32,
    /// Show AccessKeyIds in full in human and JSON output (never in SARIF).
    #[arg(long)]
    pub show_secrets: bool,
    /// Send every Tencent API call to URL instead (https, or http to a
    /// loopback address only: for tests and local proxies).
    #[arg(
        long,
        value_name = "URL",
        env = "KEYHOUND_TENCENT_ENDPOINT",
        help_heading = "Tencent Cloud"
    )]
    pub endpoint: Option<String>,
    /// Use the international site (*.intl.tencentcloudapi.com).
    #[arg(long, help_heading = "Tencent Cloud")]
    pub intl: bool,
    /// Auditor credentials from tccli profile NAME (~/.tccli/NAME.credential);
    /// default: found as Tencent's SDKs and tccli find them
    /// (TENCENTCLOUD_SECRET_ID/_KEY[/_TOKEN], tccli's default profile,
    /// ~/.tencentcloud/credentials; a role-arn is assumed).
    #[arg(long, value_name = "NAME", help_heading = "Tencent Cloud")]
    pub profile: Option<String>,
}

/// `audit --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditFormat {
    /// Problems grouped by check, for a terminal.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}
