//! gitleaks' most-used scan flags, accepted with gitleaks' meaning so a
//! gitleaks command line keeps working (docs/migrating-from-gitleaks.md);
//! `plan` turns them into keyhound's own options.

use clap::Args;
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
