//! Choosing what the keyword prefilter searches for: one 4-byte window of
//! each keyword (its *fingerprint*), picked so that aho-corasick's SIMD
//! search (Teddy) wastes little time on places that only look like one.
//!
//! Teddy puts every pattern in a bucket (by its index: pattern `i` in
//! bucket `B - 1 - i % B` of `B`) and flags a position when the low and
//! high nibble of each of its 4 bytes appear at that place in some pattern
//! of a bucket; every flag is then checked. A bucket holding `secr`,
//! `pass`, `acce` and `with` flags most letters of source code, and the
//! checks, not the search, then cost the time. Fingerprints are chosen and
//! ordered keyword by keyword, hardest first, to keep each bucket's nibble
//! sets narrow and made of rare bytes, by the byte frequencies of
//! [`FREQ`]. Two keywords share a fingerprint where one holds a chosen
//! window of the other. Any choice finds every keyword (a keyword's every
//! occurrence holds its fingerprint); the choice only changes the speed.

/// How often each ASCII byte occurs in lower-cased source code and prose,
/// in parts per 100,000 (counted over keyhound's own sources and
/// documentation); 1 for bytes not seen and for every byte from 0x80.
#[rustfmt::skip]
const FREQ: [u16; 128] = [
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2716, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    24017, 245, 757, 97, 6, 11, 382, 176, 1690, 1675, 56, 36, 1361, 511, 1479, 1027,
    225, 153, 139, 76, 92, 49, 95, 29, 66, 37, 1557, 582, 177, 528, 345, 53,
    3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 242, 363, 241, 3, 914,
    570, 3828, 919, 2220, 2201, 7240, 1447, 984, 1571, 3696, 106, 701, 2474, 1444, 3798, 3638,
    1663, 132, 3999, 4251, 5161, 1885, 561, 684, 307, 796, 109, 516, 317, 516, 4, 1,
];

/// Bytes in a fingerprint (Teddy's widest).
pub(super) const LEN: usize = 4;

/// Teddy uses 16 buckets above this many patterns, 8 up to it.
const SLIM_MAX: usize = 32;

fn freq(b: u8) -> f64 {
    f64::from(FREQ.get(usize::from(b)).copied().unwrap_or(1)) / 100_000.0
}

/// The nibbles one bucket accepts at each of the 4 positions, and how
/// often a position of text passes its test there.
#[derive(Clone, Copy, Default)]
struct Bucket {
    lo: [u16; LEN],
    hi: [u16; LEN],
    pass: [f64; LEN],
    members: usize,
}

/// Byte frequencies by high and low nibble.
struct Nibbles([[f64; 16]; 16]);

impl Nibbles {
    fn new() -> Nibbles {
        let mut t = [[0.0; 16]; 16];
        for b in 0..=255u8 {
            t[usize::from(b >> 4)][usize::from(b & 15)] = freq(b);
        }
        Nibbles(t)
    }

    /// Frequency of the bytes with high nibble `h` and a low one in `lo`.
    fn row(&self, h: usize, lo: u16) -> f64 {
        (0..16)
            .filter(|l| lo >> l & 1 == 1)
            .map(|l| self.0[h][l])
            .sum()
    }

    /// Frequency of the bytes with a high nibble in `hi` and low nibble `l`.
    fn column(&self, hi: u16, l: usize) -> f64 {
        (0..16)
            .filter(|h| hi >> h & 1 == 1)
            .map(|h| self.0[h][l])
            .sum()
    }
}

impl Bucket {
    /// How often a position passes position `i` once byte `c` is added
    /// there: the bytes made of the new nibbles with the old or new ones.
    fn pass_with(&self, n: &Nibbles, i: usize, c: u8) -> f64 {
        let (l, h) = (usize::from(c & 15), usize::from(c >> 4));
        let (lo, hi) = (self.lo[i], self.hi[i]);
        let mut p = self.pass[i];
        if hi >> h & 1 == 0 {
            p += n.row(h, lo);
        }
        if lo >> l & 1 == 0 {
            p += n.column(hi | 1 << h, l);
        }
        p
    }

    fn with(&self, n: &Nibbles, w: &[u8]) -> Bucket {
        let mut b = *self;
        for (i, &c) in w.iter().enumerate() {
            b.pass[i] = self.pass_with(n, i, c);
            b.lo[i] |= 1 << (c & 15);
            b.hi[i] |= 1 << (c >> 4);
        }
        b.members += 1;
        b
    }

    /// The share of positions this bucket flags.
    fn cost(&self) -> f64 {
        if self.members == 0 {
            return 0.0;
        }
        self.pass.iter().product()
    }

    /// [`Bucket::cost`] once `w` is added.
    fn cost_with(&self, n: &Nibbles, w: &[u8]) -> f64 {
        w.iter()
            .enumerate()
            .map(|(i, &c)| self.pass_with(n, i, c))
            .product()
    }
}

/// The share of positions where `w` itself occurs, were bytes independent.
fn occurrence(w: &[u8]) -> f64 {
    w.iter().map(|&b| freq(b)).product()
}

/// The fingerprints for `keywords` (lower-cased, each at least [`LEN`]
/// bytes), in the order to give them to aho-corasick, and for each keyword
/// its fingerprint's index and where in the keyword it starts.
pub(super) fn choose(keywords: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<(usize, usize)>) {
    let wide = plan(keywords, 16);
    if wide.0.len() > SLIM_MAX {
        return wide;
    }
    let slim = plan(keywords, 8);
    if slim.0.len() <= SLIM_MAX { slim } else { wide }
}

/// Each 4-byte window of `k`, with where it starts.
fn windows(k: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    (0..=k.len() - LEN).map(move |s| (s, &k[s..s + LEN]))
}

/// [`choose`] for Teddy with `buckets` buckets.
fn plan(keywords: &[&[u8]], buckets: usize) -> (Vec<Vec<u8>>, Vec<(usize, usize)>) {
    let nibbles = Nibbles::new();
    let cap = keywords.len().div_ceil(buckets).max(1);
    // Hardest first: the keywords whose rarest window is still common.
    let best_alone = |k: &[u8]| {
        windows(k)
            .map(|(_, w)| Bucket::default().cost_with(&nibbles, w) + occurrence(w))
            .fold(f64::INFINITY, f64::min)
    };
    let mut order: Vec<usize> = (0..keywords.len()).collect();
    let hardness: Vec<f64> = keywords.iter().map(|k| best_alone(k)).collect();
    order.sort_by(|&a, &b| hardness[b].total_cmp(&hardness[a]).then(a.cmp(&b)));
    let mut plan = vec![Bucket::default(); buckets];
    // Chosen fingerprints with their bucket.
    let mut chosen: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut of_keyword = vec![(0, 0); keywords.len()];
    for k in order {
        let shared = windows(keywords[k])
            .find_map(|(s, w)| chosen.iter().position(|(c, _)| c == w).map(|f| (f, s)));
        if let Some(found) = shared {
            of_keyword[k] = found;
            continue;
        }
        let mut best = (f64::INFINITY, 0, 0);
        let costs: Vec<f64> = plan.iter().map(Bucket::cost).collect();
        for (s, w) in windows(keywords[k]) {
            for (b, bucket) in plan.iter().enumerate() {
                if bucket.members >= cap {
                    continue;
                }
                let delta = bucket.cost_with(&nibbles, w) - costs[b] + occurrence(w);
                if delta < best.0 {
                    best = (delta, s, b);
                }
            }
        }
        let (_, s, b) = best;
        let w = &keywords[k][s..s + LEN];
        plan[b] = plan[b].with(&nibbles, w);
        of_keyword[k] = (chosen.len(), s);
        chosen.push((w.to_vec(), b));
    }
    // Pattern i lands in bucket `buckets - 1 - i % buckets`: deal the
    // buckets' members out in that order (a bucket left empty early gives
    // its turn to the next that has members).
    let mut queues: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); buckets];
    for (f, (_, b)) in chosen.iter().enumerate() {
        queues[*b].push_back(f);
    }
    let mut position = vec![0; chosen.len()];
    let mut list = Vec::with_capacity(chosen.len());
    while list.len() < chosen.len() {
        let want = buckets - 1 - list.len() % buckets;
        let f = queues[want]
            .pop_front()
            .or_else(|| queues.iter_mut().rev().find_map(|q| q.pop_front()))
            .expect("a fingerprint is left");
        position[f] = list.len();
        list.push(chosen[f].0.clone());
    }
    for (f, _) in &mut of_keyword {
        *f = position[*f];
    }
    (list, of_keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_holds_its_fingerprint_where_it_says() {
        let words: Vec<&[u8]> = vec![
            b"secret",
            b"password",
            b"securitytoken",
            b"akid",
            b"ikid",
            b"hw_access",
            b"obs_access",
            b"xoxb-",
            b"xoxp-",
            b"private key-----",
            b"sts.",
        ];
        for buckets in [8, 16] {
            let (list, of) = plan(&words, buckets);
            assert_eq!(of.len(), words.len());
            for (k, &(f, at)) in of.iter().enumerate() {
                assert_eq!(&words[k][at..at + LEN], &list[f][..], "{buckets} buckets");
            }
            let mut distinct = list.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), list.len(), "fingerprints are distinct");
        }
    }

    #[test]
    fn bucket_pass_rates_add_up_to_the_bytes_they_accept() {
        let n = Nibbles::new();
        let mut b = Bucket::default();
        for w in [&b"se_r"[..], b"AK-1", b"\x80\xff\x00z", b"qqqq"] {
            b = b.with(&n, w);
            for i in 0..LEN {
                let direct: f64 = (0..=255u8)
                    .filter(|c| b.lo[i] >> (c & 15) & 1 == 1 && b.hi[i] >> (c >> 4) & 1 == 1)
                    .map(freq)
                    .sum();
                assert!((b.pass[i] - direct).abs() < 1e-12, "{i}");
            }
        }
    }

    #[test]
    fn rare_windows_and_shared_fingerprints_are_preferred() {
        let words: Vec<&[u8]> = vec![b"password", b"passwd"];
        let (list, of) = choose(&words);
        // `w` is rarer than `p`, `a` and `s`: no fingerprint is `pass`.
        assert!(list.iter().all(|f| f.contains(&b'w')), "{list:?}");
        assert!(of.iter().all(|&(f, _)| f < list.len()));
    }
}
