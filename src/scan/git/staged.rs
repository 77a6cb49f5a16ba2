//! Staged scans: what the index would commit, scanned whole, with only the
//! matches on added lines kept (line numbers of the staged content); a
//! staged archive is new content throughout, so all its members' matches.

use super::{GitOutput, Losses, Read, read_counted};
use crate::engine::Engine;
use crate::finding::{self, BlobHits};
use crate::scan::{ArchiveTally, BlobScanner, ScanOutput, Stats, Unit};
use crate::source::Counts;
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
    let change = src::staged_change(&repo)?;
    let files = &change.files;
    let odb = repo
        .odb()
        .map_err(src::git_err("open the object database", &repo))?;
    let counts = Counts::default();
    let tally = ArchiveTally::default();
    let losses = Losses::default();
    for path in &change.conflicted {
        losses.diags.note(format_args!(
            "{path} is in a merge conflict: scanned both sides, ours (stage 2) where it \
             differs from HEAD and theirs (stage 3) where it differs from ours; resolve it \
             and `git add` it to scan the result"
        ));
    }
    for (path, commit) in &change.submodules {
        losses.diags.note(format_args!(
            "submodule {path} now points at commit {commit}: its content is not scanned \
             here; run `keyhound scan --staged` (or `--git`) inside the submodule"
        ));
    }
    let mut scanner = BlobScanner::new(engine);
    let mut blobs = Vec::new();
    for f in files {
        let read = Read {
            max: max_blob_size,
            archives: archives.is_some(),
            // A staged change is scanned by its added lines; a binary
            // file has none.
            strings: false,
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
            let mut hits = Vec::new();
            let exp = scanner.scan_archive(format, &f.path, bytes.data(), limits, None, &mut hits);
            tally.add(exp);
            if !hits.is_empty() {
                blobs.push(BlobHits::one(prov, hits));
            }
            continue;
        }
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
            blobs.push(BlobHits::one(prov, hits));
        }
    }
    let mut stats = Stats::of(&counts, Unit::Blob);
    tally.finish(&mut stats, &losses.diags);
    Ok(GitOutput {
        scan: ScanOutput {
            findings: finding::group(blobs),
            stats,
            diagnostics: losses.diags,
        },
        repo: src::repo_info(&repo, &guard),
        ..GitOutput::default()
    })
}
