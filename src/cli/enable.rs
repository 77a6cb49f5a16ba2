//! `keyhound enable`: re-activates the keys the journal shows keyhound
//! disabled, dry run unless `--yes`.

use super::args::EnableArgs;
use super::exit::Exit;
use super::{message, plan};
use crate::action::{Change, Claimed, Target, journal};

/// `keyhound enable`.
pub(crate) fn run(a: &EnableArgs) -> anyhow::Result<Exit> {
    let a = plan::enable(a)?;
    let diags = crate::diagnostic::Diagnostics::new();
    let entries = journal::read(&a.journal, &diags);
    message::flush(&diags);
    let targets: Vec<Target> = journal::disabled_by_us(&entries?)
        .into_iter()
        .map(|u| Target {
            origin: match u.cloud {
                journal::Cloud::Tencent => format!("journal line {}, uin {}", u.line, u.uin),
                journal::Cloud::Alibaba => {
                    format!("journal line {}, Alibaba Cloud user {}", u.line, u.uin)
                }
            },
            id: u.key,
            key: None,
            token: None,
            claimed: Some(Claimed {
                owner_uin: u.owner_uin,
                uin: u.uin,
            }),
        })
        .collect();
    if targets.is_empty() {
        println!(
            "{}: no key disabled by keyhound to re-enable",
            message::shown(&a.journal.display().to_string())
        );
        return Ok(Exit::Clean);
    }
    super::disable::act_all(
        &a.tencent,
        a.credential,
        &a.alibaba,
        targets,
        Change::Enable,
        a.yes,
        &a.journal,
    )
}
