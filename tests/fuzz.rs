//! The fuzz targets of `fuzz/` on the stable toolchain, without cargo-fuzz:
//! every seed of `fuzz/corpus/<target>/` and every generated seed
//! (`fuzz/src/seeds.rs`: long lines, archives) replayed through the target,
//! then a short deterministic mutation loop over the seeds
//! (`KEYHOUND_FUZZ_MILLIS` per target, default 300). A failing input is
//! saved to the temporary directory and named in the failure.
//! `.ci/fuzz.sh` runs the same targets under libFuzzer, over the same seeds
//! with lines of several MB.

#[path = "../fuzz/src/seeds.rs"]
mod generated;
#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// One-line seeds replayed here are this long (cargo-fuzz gets
/// [`CI_LINE`]): a debug build scans them in well under a second.
const TEST_LINE: usize = 128 << 10;

/// One-line seeds `.ci/fuzz.sh` writes for cargo-fuzz.
const CI_LINE: usize = 2 << 20;

/// The checked-in seeds of `target` (a target may have none) and its
/// generated ones.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut out: Vec<(String, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    out.extend(
        generated::generated(TEST_LINE)
            .into_iter()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, name, bytes)| (format!("generated {name}"), bytes)),
    );
    out.sort();
    out
}

#[test]
#[ignore = "run by .ci/fuzz.sh: writes the generated seeds, lines of 2 MiB, under $KEYHOUND_FUZZ_SEEDS/<target>/ for cargo-fuzz"]
fn fuzz_generated_seeds_written_for_cargo_fuzz() {
    let dir =
        std::env::var_os("KEYHOUND_FUZZ_SEEDS").expect("KEYHOUND_FUZZ_SEEDS names a directory");
    let dir = PathBuf::from(dir);
    let seeds = generated::generated(CI_LINE);
    for (target, name, bytes) in &seeds {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    }
    let long = seeds.iter().filter(|(_, _, b)| b.len() >= CI_LINE).count();
    assert!(long >= 5, "{long} seeds of several MB");
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
    data.truncate(1 << 20);
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
