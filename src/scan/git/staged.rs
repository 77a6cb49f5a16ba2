//! Staged scans: what the index would commit, scanned whole, with only the
//! matches on added lines kept (line numbers of the staged content); a
//! staged archive is new content throughout, so all its members' matches.

use super::{Counts, GitOutput, Losses, Read, read_counted};
use crate::engine::Engine;
use crate::finding;
use crate::scan::{BlobScanner, ScanOutput};
use crate::source::git as src;
use crate::source::{Provenance, archive};

/// Scans what the index would commit; keeps matches on added lines only.
pub fn staged(
    repo: &std::path::Path,
    engine: &Engine,
    max_blob_size: u64,
    archives: Option<&archive::Limits>,
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
        let read = Read {
            max: max_blob_size,
            archives: archives.is_some(),
            guard: &guard,
            counts: &counts,
            losses: &losses,
        };
        let Some((bytes, format)) = read_counted(&odb, f.id, f.path.as_bytes(), &read) else {
            continue;
        };
        let prov = Provenance::Staged {
            path: f.path.clone(),
        };
        if let (Some(format), Some(limits)) = (format, archives) {
            let exp = scanner.scan_archive(format, &f.path, bytes.data(), &prov, limits, &mut hits);
            counts.archive.add(exp);
            continue;
        }
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
            stats: counts.finish(&losses.diags),
            diagnostics: losses.diags,
        },
        repo: src::repo_info(&repo, &guard),
    })
}
