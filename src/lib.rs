//! keyhound finds leaked cloud credentials (Tencent Cloud first), tells who
//! owns them and when they were last used, and switches them off.
//!
//! # Architecture map
//!
//! ```text
//! argv ─► cli::args (clap) ─► cli::plan (resolved: source, rules, noise,
//!                                 verify endpoints/credentials, output)
//!                                                        │
//!   rule::RuleSet (built-in rules/*.toml + --rules) ─► engine::Engine  (built once)
//!                                                        │
//! scan::run ── source::fs walker ──► blobs ──► engine.scan (one Cache per thread)
//!                                              └► decode::layers ─► engine.scan per layer
//! scan::git ── source::git history / staged ─┘          │ RawMatch (offsets)
//!                                                        ▼
//!                          finding::Match (path, line, column, provenance)
//!                                                        ▼  one thread, after the walk
//!                    finding::group ─► Vec<Finding> (sorted, fingerprinted)
//!                                                        ▼  only with --verify
//!                    verify::tencent (STS/CAM, signed with TC3) ─► Verification
//!                    verify::provider + registry (one trait)   ─┘
//!                      on verify::http: cdnetworks, alibaba, qiniu,
//!                      volcengine, huawei, baidu (tencent too)
//!                    verify::tencent::incident (auditor, live keys: CloudAudit
//!                      events, policies, keys/users created since the leak) ─► Incident
//!                                                        ▼
//!            config (allow, ignore file, baseline) filters ─► report::{human,json,sarif}
//!
//! disable/enable: report.json ─► verify (pre-check) ─► action::plan ─► --yes ─►
//!                 journal intent (synced) ─► UpdateAccessKey (Tencent CAM or
//!                 Alibaba RAM, one action::KeyApi) ─► post-check ─► journal outcome
//! respond: scan ─► verify (auditor mode) ─► action::plan ─► --yes ─► apply ─►
//!          report with a finding::response per finding
//! audit: verify::tencent::snapshot (read-only CAM calls) ─► audit::run ─► audit::report
//! ```
//!
//! | module | owns |
//! | --- | --- |
//! | [`cli`] | argument parsing (`args`), resolving arguments into one plan per command (`plan`), one module per command, printing diagnostics and the progress line, exit codes |
//! | [`rule`] | the rule schema, built-in rules, the one loader (keyhound and gitleaks TOML), the bounds on a config found in the scanned tree (`bound`), credentials a message quotes found by the built-in rules (`echo`) |
//! | [`rulecheck`] | rules run through the engine: they compile, find their examples |
//! | [`engine`] | compiled matching: bytes in, raw matches out |
//! | [`decode`] | decoded and decrypted views of encoded spans, mapped back to the bytes |
//! | [`source`] | what to scan: files, streams (stdin, pipes), git blobs, staged changes; telling text (UTF-8, UTF-16) from binary; no rules |
//! | [`scan`] | joining sources to the engine, in parallel; the live counts a progress display reads |
//! | [`org`] | many repositories: the list and its shards, the clone cache, the parallel scan, merged reports, listing a GitHub organisation or GitLab group (`org::forge`) |
//! | [`finding`] | matches, findings, fingerprints, the redacting `Secret` and `Snippet` types, verifications and incident pictures as reports carry them |
//! | [`report`] | writing a finished report as human text, JSON, JSONL or SARIF |
//! | [`verify`] | asking the provider (Tencent, CDNetworks, Alibaba Cloud, Qiniu, Volcengine, Huawei Cloud, Baidu AI Cloud, all through the one provider seam on one HTTP toolkit; Alibaba's RAM for the user's own account) whether a found key is live and who owns it, and (Tencent, auditor mode) what a live one did, can do and left behind |
//! | [`action`] | state-changing calls (disable/enable keys) and their journal |
//! | [`audit`] | checks of a whole account's keys against Tencent's advice (pure) |
//! | [`config`] | noise control: config file, inline allows, ignore file, baseline; gitleaks' `.gitleaksignore` and JSON reports |
//! | [`input`] | the one bounded reader of input files that are not scan targets (reports, baselines, journals, configs, rules, the files a report points at): regular files only, a size cap per kind |
//! | [`diagnostic`] | warnings, notes and errors as values; the library returns them, `cli` prints them |
//!
//! # Invariants (stated as absences)
//!
//! 1. `engine` performs no I/O and spawns no threads; it takes `&[u8]` and
//!    reuses a per-thread [`engine::Cache`].
//! 2. `source` knows nothing about rules, `engine` nothing about paths on disk
//!    or commits; only `scan` joins them.
//! 3. Only `verify`, `action` and `org::forge` (an organisation's
//!    repository list, from its forge's REST API) open network connections,
//!    and `org::clone` runs `git` to clone and fetch the remote repositories
//!    a user listed. A scan of local paths never sends a byte; with
//!    `--verify` only signatures leave the machine, never a SecretKey; a
//!    forge token goes only to the API's own origin. Checked by
//!    `tests/layers.rs`.
//! 4. `action` is reached only from the `disable`/`enable`/`respond`
//!    commands; dry run is the default and keys are never deleted unasked.
//! 5. A [`finding::Secret`] never appears in logs, `Debug`, `Display`, errors
//!    or default reports; showing it takes an explicit flag and
//!    [`finding::Secret::expose`]. The line around it, a
//!    [`finding::Snippet`], is masked in `Debug` and shown raw only through
//!    [`finding::Snippet::expose`].
//! 6. Output is deterministic: findings are sorted before any writer runs,
//!    whatever the thread count.
//! 7. Text from scanned files, file names and input lines pass through
//!    [`report::sanitize`] before they reach a terminal; a message on
//!    stderr is bounded in length and the debug log has no colors unless
//!    stderr is a terminal.
//! 8. A failure on one file or blob is a warning, counted and shown, never
//!    fatal; errors the user must act on (bad rules, a missing path) exit 2.
//! 9. The library never prints: it returns [`diagnostic::Diagnostics`] and
//!    typed errors; only `cli` writes to the terminal and picks exit codes.
#![warn(missing_docs)]

pub mod action;
pub mod audit;
pub mod cli;
pub mod config;
pub mod decode;
pub mod diagnostic;
pub mod engine;
pub mod finding;
pub mod input;
pub mod org;
pub mod report;
pub mod rule;
pub mod rulecheck;
pub mod scan;
pub mod source;
pub mod verify;
