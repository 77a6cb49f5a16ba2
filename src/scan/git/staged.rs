//! Staged scans: what the index would commit, scanned whole, with only the
//! matches on added lines kept (line numbers of the staged content).

use super::{GitOutput, Losses, read_counted};
use crate::engine::Engine;
use crate::finding::{self, BlobHits};
use crate::scan::{BlobScanner, ScanOutput, Stats, Unit};
use crate::source::Counts;
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
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", &repo))?;
    let counts = Counts::default();
    let losses = Losses::default();
    let mut scanner = BlobScanner::new(engine);
    let mut blobs = Vec::new();
    for f in &files {
        let Some(bytes) = read_counted(&odb, f.id, max_blob_size, &guard, &counts, &losses) else {
            continue;
        };
        let found = scanner.scan(bytes.data(), Some(&f.path));
        let hits: Vec<_> = found
            .drain(..)
            .filter(|h| {
                let at = &h.at;
                f.touches_added(at.location.line, at.location.end_line)
                    || at
                        .key_location
                        .is_some_and(|k| f.touches_added(k.line, k.end_line))
            })
            .collect();
        if !hits.is_empty() {
            let prov = Provenance::Staged {
                path: f.path.clone(),
            };
            blobs.push(BlobHits::one(prov, hits));
        }
    }
    Ok(GitOutput {
        scan: ScanOutput {
            findings: finding::group(blobs),
            stats: Stats::of(&counts, Unit::Blob),
            diagnostics: losses.diags,
        },
        repo: src::repo_info(&repo, &guard),
    })
}
