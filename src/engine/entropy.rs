//! Shannon entropy and repeated-character runs of candidate secrets: the
//! cheap randomness checks that tell a real key from `AKIDxxxx…` or a word.

/// Shannon entropy of `s` in bits per byte (0 for empty input).
///
/// A random 32-character alphanumeric key scores about 4.6 to 4.9; a 32-digit
/// hex MD5 at most 4.0; English words and camel-case identifiers 3 to 4.
pub fn shannon(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Length of the longest run of one repeated byte in `s`.
pub fn longest_run(s: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in s {
        if Some(b) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(b);
        }
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_placeholders_words_and_keys() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"abab") - 1.0).abs() < 1e-9);
        assert!((shannon(b"0123456789abcdef") - 4.0).abs() < 1e-9);
        let placeholder = shannon(b"AKIDxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        let key = shannon(b"q3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1T");
        assert!(placeholder < 1.5, "{placeholder}");
        assert!(key > 4.5, "{key}");
    }

    #[test]
    fn longest_run_counts_repeats() {
        assert_eq!(longest_run(b""), 0);
        assert_eq!(longest_run(b"abc"), 1);
        assert_eq!(longest_run(b"abbbcc"), 3);
        assert_eq!(longest_run(b"AKID0000000"), 7);
    }
}
