//! Live counts of a running scan, for a progress display: the scan adds to
//! them from its worker threads, the caller reads snapshots and draws them.
//! Nothing here prints.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// What a running scan is counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Files on disk; no total is known while the walk goes on.
    Files,
    /// A history scan listing its commits; no total yet.
    Commits,
    /// A history scan reading the blobs it found; the total is known.
    Blobs,
}

/// Counters shared between a scan and whoever shows its progress.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    done: AtomicU64,
    bytes: AtomicU64,
    total: AtomicU64,
}

/// One reading of a [`Progress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// What is being counted.
    pub phase: Phase,
    /// Files, commits or blobs done so far.
    pub done: u64,
    /// Bytes read so far.
    pub bytes: u64,
    /// How many blobs there are, once known.
    pub total: Option<u64>,
}

impl Progress {
    /// Starts counting the commits of a history scan (a new [`Progress`]
    /// counts files).
    pub fn start_commits(&self) {
        self.done.store(0, Ordering::Relaxed);
        self.phase.store(Phase::Commits as u8, Ordering::Release);
    }

    /// Counts `items` more done and `bytes` more read.
    pub fn add(&self, items: u64, bytes: u64) {
        self.done.fetch_add(items, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Starts counting blobs, of which there are `total`: the count starts
    /// again from 0, the total known before the first blob is counted.
    pub fn start_blobs(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.phase.store(Phase::Blobs as u8, Ordering::Release);
    }

    /// The counts now.
    pub fn snapshot(&self) -> Snapshot {
        let phase = match self.phase.load(Ordering::Acquire) {
            x if x == Phase::Commits as u8 => Phase::Commits,
            x if x == Phase::Blobs as u8 => Phase::Blobs,
            _ => Phase::Files,
        };
        Snapshot {
            phase,
            done: self.done.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            total: (phase == Phase::Blobs).then(|| self.total.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_start_from_zero_with_their_total() {
        let p = Progress::default();
        assert_eq!(p.snapshot().phase, Phase::Files);
        p.start_commits();
        p.add(64, 0);
        assert_eq!(p.snapshot().phase, Phase::Commits);
        assert_eq!(p.snapshot().total, None);
        p.start_blobs(10);
        p.add(3, 300);
        let s = p.snapshot();
        assert_eq!(
            (s.phase, s.done, s.bytes, s.total),
            (Phase::Blobs, 3, 300, Some(10))
        );
    }
}
