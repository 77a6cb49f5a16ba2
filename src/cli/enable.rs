//! `keyhound enable`: re-activates the keys the journal shows keyhound
//! disabled, dry run unless `--yes`.

use super::args::EnableArgs;
use super::{Exit, plan};
use crate::action::{Change, Target, journal};

/// `keyhound enable`.
pub(crate) fn run(a: &EnableArgs) -> anyhow::Result<Exit> {
    let a = plan::enable(a)?;
    let entries = journal::read(&a.journal)?;
    let targets: Vec<Target> = journal::disabled_by_us(&entries)
        .into_iter()
        .map(|(key, _, uin)| Target {
            id: key,
            origin: format!("journal, uin {uin}"),
            key: None,
            token: None,
        })
        .collect();
    if targets.is_empty() {
        println!(
            "{}: no key disabled by keyhound to re-enable",
            a.journal.display()
        );
        return Ok(Exit::Clean);
    }
    super::disable::act(
        &a.tencent,
        &a.credential,
        targets,
        Change::Enable,
        a.yes,
        &a.journal,
    )
}
