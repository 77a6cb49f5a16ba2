//! The fuzz targets of `fuzz/` on the stable toolchain, without cargo-fuzz:
//! every seed of `fuzz/corpus/<target>/` replayed through the target, then a
//! short deterministic mutation loop over the seeds (`KEYHOUND_FUZZ_MILLIS`
//! per target, default 300: `.ci/fuzz.sh` runs longer). A failing input is
//! saved to the temporary directory and named in the failure. `.ci/fuzz.sh`
//! runs the same targets under libFuzzer.

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// Runs `f` on `data`; a panic saves the input and fails with its path.
fn run(target: &str, f: fn(&[u8]), what: &str, data: &[u8]) {
    if catch_unwind(AssertUnwindSafe(|| f(data))).is_err() {
        let saved = std::env::temp_dir().join(format!(
            "keyhound-fuzz-{target}-{:016x}.bin",
            data.iter()
                .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b))
                    .wrapping_mul(0x100000001b3))
        ));
        std::fs::write(&saved, data).unwrap();
        panic!(
            "fuzz target {target} failed on {what}; input saved to {}",
            saved.display()
        );
    }
}

#[test]
fn every_target_has_a_binary_and_a_seed_corpus_that_runs_clean() {
    for (name, f) in targets::TARGETS {
        let bin = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "{} is missing", bin.display());
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "no seed for {name}");
        for (path, data) in seeds {
            run(name, *f, &path, &data);
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four byte-level changes of the kinds libFuzzer makes: flips,
/// interesting bytes, insertions, deletions, duplicated and spliced runs.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    const INTERESTING: &[u8] = b"\0\xff\x7f\x80\n\r\"'\\{}[]=:%+/";
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if at < data.len() => data[at] ^= 1 << rng.below(8),
            1 if at < data.len() => data[at] = INTERESTING[rng.below(INTERESTING.len())],
            2 => data.insert(at, rng.next() as u8),
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            4 if at < data.len() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let run = data[at..end].to_vec();
                data.splice(at..at, run);
            }
            _ if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(64)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            _ => data.truncate(at),
        }
    }
    data.truncate(1 << 16);
}

#[test]
fn mutated_seeds_run_clean_for_a_bounded_time() {
    let millis = std::env::var("KEYHOUND_FUZZ_MILLIS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    for (name, f) in targets::TARGETS {
        let seeds: Vec<Vec<u8>> = seeds(name).into_iter().map(|(_, d)| d).collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        let started = Instant::now();
        let mut runs = 0u64;
        while started.elapsed() < Duration::from_millis(millis) {
            let mut data = seeds[rng.below(seeds.len())].clone();
            let other = &seeds[rng.below(seeds.len())];
            for _ in 0..1 + rng.below(8) {
                mutate(&mut rng, &mut data, other);
            }
            run(name, *f, &format!("mutation {runs}"), &data);
            runs += 1;
        }
        assert!(runs > 0, "{name} never ran");
    }
}
