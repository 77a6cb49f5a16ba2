//! One decoding layer: the lines around a parent text's decoded spans, with
//! each span replaced by its decoded text, and the map from the layer's
//! offsets back to the parent's.

use super::{CONTEXT_LINES, Encoding, LITERAL, Segment};
use memchr::{memchr, memrchr};
use std::ops::Range;

/// Bytes of context kept at most on either side of a decoded span.
const MAX_CONTEXT: usize = 16 * 1024;

/// A decoded view of (parts of) a parent text.
#[derive(Debug)]
pub struct Layer {
    text: Vec<u8>,
    pieces: Vec<Piece>,
}

#[derive(Debug)]
struct Piece {
    /// Where the piece starts in the layer's text; it ends where the next starts.
    at: usize,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Parent bytes copied from this offset on.
    Copy(usize),
    /// Blank lines keeping two contexts apart; they stand for this offset.
    Gap(usize),
    /// A decoded span.
    Decoded {
        src: Range<usize>,
        enc: Encoding,
        map: Option<Vec<u32>>,
    },
}

/// A layer range mapped to its parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// The parent range: exact for copied bytes, the whole encoded span for
    /// decoded ones.
    pub range: Range<usize>,
    /// The encodings of the decoded spans the range lies in, in order.
    pub chain: Vec<Encoding>,
}

impl Layer {
    /// Builds the layer of `parent` with `segs` (sorted, disjoint) decoded.
    pub(crate) fn build(parent: &[u8], segs: Vec<Segment>) -> Layer {
        let mut contexts: Vec<Range<usize>> =
            segs.iter().map(|s| context(parent, &s.src)).collect();
        merge(&mut contexts);
        let mut layer = Layer {
            text: Vec::new(),
            pieces: Vec::new(),
        };
        let mut segs = segs.into_iter().peekable();
        for c in contexts {
            if !layer.text.is_empty() {
                layer.push(Kind::Gap(c.start), &[b'\n'; CONTEXT_LINES + 2]);
            }
            let mut at = c.start;
            while let Some(s) = segs.next_if(|s| s.src.end <= c.end) {
                layer.push(Kind::Copy(at), &parent[at..s.src.start]);
                at = s.src.end;
                let kind = Kind::Decoded {
                    src: s.src,
                    enc: s.enc,
                    map: s.map,
                };
                layer.push(kind, &s.text);
            }
            layer.push(Kind::Copy(at), &parent[at..c.end]);
        }
        layer
    }

    fn push(&mut self, kind: Kind, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.pieces.push(Piece {
            at: self.text.len(),
            kind,
        });
        self.text.extend_from_slice(bytes);
    }

    /// The layer's text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    fn end(&self, i: usize) -> usize {
        self.pieces.get(i + 1).map_or(self.text.len(), |p| p.at)
    }

    /// The ranges of this layer's text that were decoded here.
    pub fn fresh(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.pieces.len())
            .filter(|&i| matches!(self.pieces[i].kind, Kind::Decoded { .. }))
            .map(|i| self.pieces[i].at..self.end(i))
    }

    /// Whether `r` overlaps a span decoded in this layer.
    pub fn touches_fresh(&self, r: &Range<usize>) -> bool {
        self.fresh().any(|f| f.start < r.end && r.start < f.end)
    }

    /// Maps a range of this layer's text to the parent.
    pub fn map(&self, r: Range<usize>) -> Mapped {
        let first = self.pieces.partition_point(|p| p.at <= r.start).max(1) - 1;
        let last = if r.end > r.start {
            self.pieces.partition_point(|p| p.at < r.end).max(1) - 1
        } else {
            first
        };
        let mut chain = Vec::new();
        for p in &self.pieces[first..=last] {
            if let Kind::Decoded { enc, .. } = p.kind
                && chain.last() != Some(&enc)
            {
                chain.push(enc);
            }
        }
        let start = self.point(first, r.start, false);
        let end = self.point(last, r.end, true).max(start);
        Mapped {
            range: start..end,
            chain,
        }
    }

    fn point(&self, i: usize, v: usize, is_end: bool) -> usize {
        let p = &self.pieces[i];
        match &p.kind {
            Kind::Copy(at) => at + (v - p.at),
            Kind::Gap(at) => *at,
            Kind::Decoded { src, map: None, .. } => {
                if is_end {
                    src.end
                } else {
                    src.start
                }
            }
            Kind::Decoded {
                src, map: Some(m), ..
            } => src.start + (m[(v - p.at).min(m.len() - 1)] & !LITERAL) as usize,
        }
    }

    /// Whether every byte of `r` was copied unchanged from the parent.
    pub fn is_literal(&self, r: &Range<usize>) -> bool {
        let first = self.pieces.partition_point(|p| p.at <= r.start).max(1) - 1;
        (first..self.pieces.len())
            .take_while(|&i| self.pieces[i].at < r.end)
            .all(|i| match &self.pieces[i].kind {
                Kind::Copy(_) => true,
                Kind::Gap(_) | Kind::Decoded { map: None, .. } => false,
                Kind::Decoded { map: Some(m), .. } => {
                    let at = self.pieces[i].at;
                    let (s, e) = (r.start.max(at) - at, r.end.min(self.end(i)) - at);
                    m[s..e].iter().all(|x| x & LITERAL != 0)
                }
            })
    }
}

/// The lines around `span`: [`CONTEXT_LINES`] before and after, at most
/// [`MAX_CONTEXT`] bytes either side.
fn context(text: &[u8], span: &Range<usize>) -> Range<usize> {
    let lo = span.start.saturating_sub(MAX_CONTEXT);
    let hi = text.len().min(span.end + MAX_CONTEXT);
    let line_start = |pos: usize| memrchr(b'\n', &text[lo..pos]).map_or(lo, |p| lo + p + 1);
    let next_line = |pos: usize| memchr(b'\n', &text[pos..hi]).map_or(hi, |p| pos + p + 1);
    let mut start = line_start(span.start);
    for _ in 0..CONTEXT_LINES {
        if start <= lo {
            break;
        }
        start = line_start(start - 1);
    }
    let mut end = next_line(span.end);
    for _ in 0..CONTEXT_LINES {
        if end >= hi {
            break;
        }
        end = next_line(end);
    }
    start..end
}

fn merge(v: &mut Vec<Range<usize>>) {
    v.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v.drain(..) {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    *v = out;
}
