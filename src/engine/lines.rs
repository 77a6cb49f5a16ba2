//! Line breaks of a haystack and the windows built from them: the lines
//! around a match, cut to a byte reach. Every lookup stays inside its
//! reach: a break is searched for only between the position and the reach,
//! or looked up in an index of all breaks built once per haystack, so a
//! minified one-line file costs the same per match as a short line.

use memchr::{memchr, memchr_iter, memrchr};
use std::ops::Range;

/// A haystack and, when built, the sorted offsets of all its `\n`.
#[derive(Clone, Copy)]
pub(super) struct Lines<'a> {
    pub hay: &'a [u8],
    index: Option<&'a [usize]>,
}

impl<'a> Lines<'a> {
    /// Breaks found by bounded searches (for a few lookups per reach).
    pub fn scan(hay: &'a [u8]) -> Lines<'a> {
        Lines { hay, index: None }
    }

    /// Breaks looked up in `index`, every `\n` offset of `hay` in order
    /// (see [`index`]).
    pub fn indexed(hay: &'a [u8], index: &'a [usize]) -> Lines<'a> {
        Lines {
            hay,
            index: Some(index),
        }
    }

    /// The start of the line holding `pos`, or `floor` when the line starts
    /// before it.
    pub fn start_within(&self, pos: usize, floor: usize) -> usize {
        match self.index {
            Some(ix) => {
                let i = ix.partition_point(|&n| n < pos);
                match i.checked_sub(1).map(|j| ix[j]) {
                    Some(n) if n >= floor => n + 1,
                    _ => floor,
                }
            }
            None => memrchr(b'\n', &self.hay[floor..pos]).map_or(floor, |i| floor + i + 1),
        }
    }

    /// The end of the line holding `pos` (its `\n`), or `ceil` when the
    /// line ends past it.
    pub fn end_within(&self, pos: usize, ceil: usize) -> usize {
        match self.index {
            Some(ix) => match ix.get(ix.partition_point(|&n| n < pos)) {
                Some(&n) if n < ceil => n,
                _ => ceil,
            },
            None => memchr(b'\n', &self.hay[pos..ceil]).map_or(ceil, |i| pos + i),
        }
    }

    /// How many line breaks `lo..hi` holds.
    pub fn breaks(&self, lo: usize, hi: usize) -> usize {
        match self.index {
            Some(ix) => ix.partition_point(|&n| n < hi) - ix.partition_point(|&n| n < lo),
            None => memchr_iter(b'\n', &self.hay[lo..hi]).count(),
        }
    }

    /// The lines from `before` lines above `r` to `after` lines below it,
    /// cut to `back` bytes before `r.start` and `ahead` bytes after `r.end`.
    pub fn around(
        &self,
        r: &Range<usize>,
        before: usize,
        after: usize,
        back: usize,
        ahead: usize,
    ) -> Range<usize> {
        let floor = r.start.saturating_sub(back);
        let ceil = r.end.saturating_add(ahead).min(self.hay.len());
        self.between(r, before, after, floor, ceil)
    }

    /// [`Lines::around`] with `reach` bytes either side, widened to a grid
    /// of `reach`: on a long line the matches near each other get the same
    /// window, so a check of a window (a regex over it) runs once per grid
    /// step, not once per match, and each byte is checked about three
    /// times. At least `reach` bytes either side, less than twice that.
    pub fn grid(&self, r: &Range<usize>, n: usize, reach: usize) -> Range<usize> {
        let step = reach.max(1);
        let floor = r.start.saturating_sub(reach) / step * step;
        let ceil = r.end.saturating_add(reach).div_ceil(step) * step;
        self.between(r, n, n, floor, ceil.min(self.hay.len()))
    }

    /// The lines from `before` lines above `r` to `after` lines below it,
    /// cut to `floor..ceil`.
    fn between(
        &self,
        r: &Range<usize>,
        before: usize,
        after: usize,
        floor: usize,
        ceil: usize,
    ) -> Range<usize> {
        let mut start = self.start_within(r.start, floor);
        for _ in 0..before {
            if start <= floor {
                break;
            }
            start = self.start_within(start - 1, floor);
        }
        let mut end = self.end_within(r.end, ceil);
        for _ in 0..after {
            if end >= ceil {
                break;
            }
            end = self.end_within(end + 1, ceil);
        }
        start..end
    }
}

/// Every `\n` offset of `hay`, into `out`.
pub(super) fn index(hay: &[u8], out: &mut Vec<usize>) {
    out.clear();
    out.extend(memchr_iter(b'\n', hay));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_and_searched_breaks_agree() {
        let mut hay = b"a\nbb\n\nccc\n".repeat(3);
        hay.extend(vec![b'x'; 300]);
        let mut ix = Vec::new();
        index(&hay, &mut ix);
        let (s, i) = (Lines::scan(&hay), Lines::indexed(&hay, &ix));
        for pos in 0..hay.len() {
            for reach in [0, 1, 3, 7, 100] {
                let floor = pos.saturating_sub(reach);
                let ceil = (pos + reach).min(hay.len());
                assert_eq!(s.start_within(pos, floor), i.start_within(pos, floor));
                assert_eq!(s.end_within(pos, ceil), i.end_within(pos, ceil));
                assert_eq!(s.breaks(floor, ceil), i.breaks(floor, ceil));
                let r = pos..(pos + 1).min(hay.len());
                for n in [0, 1, 2] {
                    assert_eq!(
                        s.around(&r, n, n, reach, reach),
                        i.around(&r, n, n, reach, reach)
                    );
                    assert_eq!(s.grid(&r, n, reach + 4), i.grid(&r, n, reach + 4));
                }
            }
        }
    }

    #[test]
    fn windows_stop_at_their_reach_on_long_lines() {
        let mut text = vec![b'x'; 30_000];
        text[10] = b'\n';
        let l = Lines::scan(&text);
        let id = 8292..8328;
        assert_eq!(l.around(&id, 2, 2, 8192, 8192), 100..8328 + 8192);
        let far = 16434..16470;
        assert_eq!(l.around(&far, 0, 0, 8192, 8192), 8242..16470 + 8192);
        assert_eq!(l.start_within(20, 5), 11);
        assert_eq!(l.end_within(5, 8), 8);
        let g = l.grid(&far, 0, 8192);
        assert!(g.start <= far.start - 8192 && g.end >= far.end + 8192);
        assert_eq!(
            l.grid(&(16440..16476), 0, 8192),
            g,
            "neighbours share a grid window"
        );
    }
}
