//! Engine throughput and build time (criterion; CI only runs
//! `cargo bench --no-run`, timings on shared 2-core machines mean little).
//!
//! - `scan/no-match`: 16 MiB of code-like text with no keyword at all: the
//!   cost of the keyword prefilter alone, the common case.
//! - `scan/dense`: 16 MiB where every line holds a keyword and every third a
//!   Tencent id/key pair or a secret assignment: the cost of windows,
//!   regexes and pairing.
//! - `compile/builtin`: building the engine from the built-in rules.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keyhound::engine::Engine;
use keyhound::rule::RuleSet;
use std::hint::black_box;

const SIZE: usize = 16 << 20;

/// Deterministic pseudo-random alphanumerics.
struct Gen(u64);

impl Gen {
    fn word(&mut self, len: usize) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                ALNUM[(self.0 % 62) as usize] as char
            })
            .collect()
    }
}

fn no_match() -> Vec<u8> {
    let mut g = Gen(0x5EED);
    let mut s = String::with_capacity(SIZE + 200);
    while s.len() < SIZE {
        let (a, b) = (g.word(8), g.word(12));
        s.push_str(&format!(
            "    let {a} = compute_value({b}, 42); // update the {a} counter\n"
        ));
    }
    s.truncate(SIZE);
    s.into_bytes()
}

fn dense() -> Vec<u8> {
    let mut g = Gen(0xD15E);
    let mut s = String::with_capacity(SIZE + 200);
    let mut n = 0u64;
    while s.len() < SIZE {
        n += 1;
        let line = match n % 3 {
            0 => format!(
                "cred = credential.Credential(\"AKID{}\", \"{}\")\n",
                g.word(32),
                g.word(32)
            ),
            1 => format!("client_secret = \"{}\"\n", g.word(28)),
            _ => format!(
                "password = get_password(\"{}\")  # secret lookup\n",
                g.word(10)
            ),
        };
        s.push_str(&line);
    }
    s.truncate(SIZE);
    s.into_bytes()
}

fn scan(c: &mut Criterion) {
    let engine = Engine::new(&RuleSet::builtin()).unwrap();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    for (name, hay) in [("no-match", no_match()), ("dense", dense())] {
        group.throughput(Throughput::Bytes(hay.len() as u64));
        let mut cache = engine.cache();
        let mut out = Vec::new();
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                engine.scan(&mut cache, Some("bench.py"), black_box(&hay), &mut out);
                out.len()
            })
        });
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    c.bench_function("compile/builtin", |b| {
        b.iter(|| Engine::new(black_box(&rules)).unwrap())
    });
}

criterion_group!(benches, scan, compile);
criterion_main!(benches);
