#!/usr/bin/env bash
# A bounded fuzzing run: builds the cargo-fuzz targets of fuzz/ and runs each
# for FUZZ_SECONDS (default 35) over a scratch corpus seeded from
# fuzz/corpus/<target> (checked in, never written to) and the generated seeds
# of fuzz/src/seeds.rs (one-line files of 2 MiB, archives of every format,
# written to fuzz/corpus-gen/ by an ignored test of keyhound's suite), with
# inputs up to 4 MiB. A crash, a timeout or an out-of-memory fails the run;
# libFuzzer saves the input in fuzz/artifacts/<target>/. Installs cargo-fuzz
# itself. On a stable toolchain RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${FUZZ_SECONDS:-35}
rm -rf corpus-gen
(cd .. && KEYHOUND_FUZZ_SEEDS="$PWD/fuzz/corpus-gen" \
  cargo test --test integration fuzz::fuzz_generated_seeds_written_for_cargo_fuzz -- --ignored --exact)
# Without cargo-fuzz or a toolchain that can build its sanitizer flags, the
# same targets run through the stable fallback: the seed corpus replayed and
# a deterministic mutation loop of FUZZ_SECONDS per target (tests/fuzz.rs).
fallback() {
  echo "cargo fuzz is not usable here ($1): running the stable replay and mutation loop instead" >&2
  cd ..
  KEYHOUND_FUZZ_MILLIS=$((secs * 1000)) cargo test --test integration fuzz::
  exit 0
}
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz || fallback "cargo install --locked cargo-fuzz failed"
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -a || fallback "cargo fuzz build failed"
for t in $(cargo fuzz list); do
  work=corpus-run/$t
  mkdir -p "$work"
  log=$(mktemp)
  seeds=()
  for d in "corpus/$t" "corpus-gen/$t"; do
    if [ -d "$d" ]; then seeds+=("$d"); fi
  done
  if ! cargo fuzz run -a "$t" "$work" "${seeds[@]}" -- \
      -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -max_len=4194304 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $t failed (input saved under fuzz/artifacts/$t)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  echo "-- $t: ${secs}s, $runs runs, $cov, no crash"
  rm -f "$log"
done
