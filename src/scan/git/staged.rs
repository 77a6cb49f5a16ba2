//! Staged scans: what the index would commit, scanned whole, with only the
//! matches on added lines kept (line numbers of the staged content).

use super::{Counts, GitOutput, Losses, read_counted};
use crate::engine::Engine;
use crate::finding;
use crate::scan::{BlobScanner, ScanOutput};
use crate::source::Provenance;
use crate::source::git as src;

/// Scans what the index would commit; keeps matches on added lines only.
pub fn staged(
    repo: &std::path::Path,
    engine: &Engine,
    max_blob_size: u64,
) -> Result<GitOutput, src::Error> {
    let repo = src::open(repo)?;
    let guard = src::Guard::check(repo.path(), max_blob_size);
    src::check_staged_objects(&repo, &guard)?;
    let files = src::staged_changes(&repo)?;
    let odb = repo.odb().map_err(|source| src::Error::Git {
        what: "open the object database",
        path: repo.path().to_path_buf(),
        source,
    })?;
    let counts = Counts::default();
    let losses = Losses::default();
    let mut scanner = BlobScanner::new(engine);
    let mut hits = Vec::new();
    for f in &files {
        let Some(bytes) = read_counted(&odb, f.id, max_blob_size, &guard, &counts, &losses) else {
            continue;
        };
        let prov = Provenance::Staged {
            path: f.path.clone(),
        };
        let found = scanner.scan(bytes.data(), Some(&f.path), &prov);
        hits.extend(found.drain(..).filter(|h| {
            let at = &h.at;
            f.touches_added(at.location.line, at.location.end_line)
                || at
                    .key_location
                    .is_some_and(|k| f.touches_added(k.line, k.end_line))
        }));
    }
    Ok(GitOutput {
        scan: ScanOutput {
            findings: finding::group(hits),
            stats: counts.to_stats(),
            diagnostics: losses.diags,
        },
        repo: src::repo_info(&repo, &guard),
    })
}
