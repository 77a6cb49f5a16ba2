#!/usr/bin/env python3
"""Organisation scans at scale: repositories per second and peak memory of
`keyhound scan --repos`, for one process over all repositories and for the
same list as 4 shards run one after another plus `keyhound report merge`.
Not run in CI (timings on shared machines mean little).

  python3 benches/org.py [--repos N] [--shards K] [-j THREADS] [--keyhound BIN]

It builds 2*N small git repositories at run time under a temporary
directory (each three commits of four files of 1-8 KiB, one of them three
commits of sixteen files up to 128 KiB; every 10th holds one shared,
invented Tencent pair, every 7th a pair of its own), then measures, for the
first N (the largest repository among them) and for all 2*N:

  one process   keyhound scan --repos LIST -f json
  K shards      keyhound scan --repos LIST --shard I/K, one after another,
                then keyhound report merge over the K reports

and checks that the merged report equals the unsharded one and that the
shared pair is one finding with a location in each repository holding it.
Then it commits to every 5th repository (every 15th with a new invented
pair) and rescans: a full scan against `--since-report` the first report,
whose findings must be the same.
Peak memory is the largest maximum resident set size (/usr/bin/time) of any
one process. The largest repository scanned alone is measured too: peak
memory should follow it (times the repositories scanned at once), not the
number of repositories, so doubling the organisation should leave it flat.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WORDS = "alpha beta gamma delta config service handler request cache token retry index".split()


def invented_pair(rng):
    """A Tencent-shaped pair that exists nowhere: AKID + 32, key of 32."""
    sid = "AKID" + "".join(rng.choice(ALNUM) for _ in range(32))
    key = "".join(rng.choice(ALNUM) for _ in range(32))
    return sid, key


def creds(pair):
    return f'secret_id = "{pair[0]}"\nsecret_key = "{pair[1]}"\n'


def filler(rng, size):
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(8)) + f" = {rng.randrange(10**6)}\n"
        out.append(line)
        n += len(line)
    return "".join(out)


def fast_import_stream(files_per_commit, message="change {}"):
    """A git fast-import stream: one commit per entry of files_per_commit."""
    parts = []
    for i, files in enumerate(files_per_commit):
        msg = (message.format(i) + "\n").encode()
        parts.append(b"commit refs/heads/main\n")
        parts.append(f"committer Bench <bench@example.com> {1700000000 + i} +0000\n".encode())
        parts.append(b"data %d\n%s" % (len(msg), msg))
        for path, text in files:
            data = text.encode()
            parts.append(f"M 644 inline {path}\n".encode())
            parts.append(b"data %d\n%s\n" % (len(data), data))
    return b"".join(parts)


def build_repos(root, count, seed):
    """count repositories under root; returns (paths, holders of the shared
    pair, holders of a pair of their own)."""
    rng = random.Random(seed)
    shared = invented_pair(rng)
    paths, holders, own = [], [], []
    for i in range(count):
        path = os.path.join(root, f"repo{i:05d}")
        subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
        # Repository 1 (in both organisations) is the largest by far.
        per_commit, size = (16, 128 * 1024) if i == 1 else (4, 8192)
        commits = []
        for c in range(3):
            files = [(f"src/mod{c}_{f}.txt", filler(rng, rng.randrange(size // 8, size)))
                     for f in range(per_commit)]
            commits.append(files)
        if i % 10 == 0:
            commits[1].append(("config/app.toml", creds(shared)))
            holders.append(path)
        if i % 7 == 3:
            commits[2].append(("deploy/settings.ini", creds(invented_pair(rng))))
            own.append(path)
        subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=fast_import_stream(commits), check=True)
        paths.append(path)
    return paths, holders, own


def timed(cmd, cwd):
    """Runs cmd under /usr/bin/time; returns (wall s, max RSS KiB, exit code, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name] + cmd, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall, rss = tf.read().split()[-2:]
        return float(wall), int(rss), p.returncode, p.stderr.decode(errors="replace")


def run_ok(what, result):
    wall, rss, code, err = result
    if code not in (0, 1):
        sys.exit(f"org.py: {what} exited {code}: {err.strip()[:500]}")
    return wall, rss


def measure(bin_, work, paths, shards, threads, holders, uniques):
    """One process and `shards` shards + merge over `paths`; returns figures."""
    tag = f"n{len(paths)}"
    listing = os.path.join(work, f"{tag}.txt")
    with open(listing, "w") as f:
        f.write("# benchmark organisation\n" + "".join(p + "\n" for p in paths))
    scan = [bin_, "scan", "--repos", listing, "-f", "json", "-j", str(threads), "-q"]
    whole = os.path.join(work, f"{tag}-whole.json")
    one_wall, one_rss = run_ok("unsharded scan", timed(scan + ["-o", whole], work))
    shard_wall, shard_rss, reports = 0.0, 0, []
    for i in range(shards):
        out = os.path.join(work, f"{tag}-shard-{i}.json")
        w, r = run_ok(f"shard {i}", timed(scan + ["--shard", f"{i}/{shards}", "-o", out], work))
        shard_wall += w
        shard_rss = max(shard_rss, r)
        reports.append(out)
    merged = os.path.join(work, f"{tag}-merged.json")
    merge_wall, merge_rss = run_ok("merge", timed([bin_, "report", "merge", *reports, "-o", merged], work))
    with open(whole, "rb") as f:
        whole_bytes = f.read()
    with open(merged, "rb") as f:
        merged_bytes = f.read()
    whole_doc, merged_doc = json.loads(whole_bytes), json.loads(merged_bytes)
    if whole_doc != merged_doc:
        sys.exit(f"org.py: {len(paths)} repositories: the merged shards differ from the unsharded scan")
    # The shared pair: the one finding with locations in several
    # repositories, one in each repository holding it; every other planted
    # pair is a finding of its own.
    def repos_of(f):
        return {loc.get("repo") for loc in f.get("locations", [])}

    multi = [f for f in whole_doc["findings"] if len(repos_of(f)) > 1]
    shared_in = len(repos_of(multi[0])) if len(multi) == 1 else 0
    if shared_in != len(holders) or len(whole_doc["findings"]) != 1 + uniques:
        sys.exit(f"org.py: {len(paths)} repositories: expected the shared pair in {len(holders)} "
                 f"repositories and {1 + uniques} findings; the report has {len(multi)} shared "
                 f"findings and {len(whole_doc['findings'])} findings")
    return {
        "again": (scan, whole, paths, tag),
        "repos": len(paths),
        "findings": len(whole_doc["findings"]),
        "shared_in": shared_in,
        "one": (one_wall, one_rss),
        "shards": (shard_wall, shard_rss),
        "merge": (merge_wall, merge_rss),
        "identical_bytes": whole_bytes == merged_bytes,
    }


def rescan(bin_, work, scan, whole, paths, tag):
    """Commits to every 5th repository, then times a full scan and a scan
    since the report `whole`; exits when their findings differ."""
    rng = random.Random(len(paths))
    for i, path in enumerate(paths):
        if i % 5:
            continue
        files = [(f"src/later{tag}_{i}.txt", filler(rng, 4096))]
        if i % 15 == 0:
            files.append((f"deploy/later{tag}.ini", creds(invented_pair(rng))))
        msg = b"change later\n"
        stream = fast_import_stream([files], "change later").replace(
            b"data %d\n%s" % (len(msg), msg), b"data %d\n%sfrom refs/heads/main^0\n" % (len(msg), msg), 1)
        subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=stream, check=True)
    full = os.path.join(work, f"{tag}-full-again.json")
    since = os.path.join(work, f"{tag}-since.json")
    full_wall, _ = run_ok("full rescan", timed(scan + ["-o", full], work))
    inc_wall, inc_rss = run_ok("rescan since", timed(scan + ["--since-report", whole, "-o", since], work))
    with open(full) as f:
        full_doc = json.load(f)
    with open(since) as f:
        since_doc = json.load(f)
    if full_doc["findings"] != since_doc["findings"]:
        sys.exit(f"org.py: {len(paths)} repositories: the rescan since the report differs from a full scan")
    if not all(r.get("incremental") for r in since_doc["repositories"]):
        sys.exit(f"org.py: {len(paths)} repositories: not every repository was rescanned incrementally")
    return full_wall, inc_wall, inc_rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=200, help="repositories of the smaller organisation (default 200)")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("-j", "--threads", type=int, default=2)
    ap.add_argument("--keyhound", default=os.path.join(ROOT, "target/release/keyhound"))
    ap.add_argument("--keep", action="store_true", help="keep the generated repositories")
    a = ap.parse_args()
    a.keyhound = os.path.abspath(a.keyhound)
    if not os.access(a.keyhound, os.X_OK):
        sys.exit(f"org.py: {a.keyhound} is not an executable (cargo build --release first)")
    work = tempfile.mkdtemp(prefix="keyhound-org-bench-")
    try:
        print(f"building {2 * a.repos} repositories under {work} ...", flush=True)
        paths, holders, own = build_repos(os.path.join(work, "repos"), 2 * a.repos, seed=12)
        sizes = {p: sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(p, ".git"))
                        for f in fs) for p in paths}
        largest = max(paths, key=lambda p: sizes[p])
        alone = os.path.join(work, "largest.json")
        lw, lr = run_ok("largest alone", timed([a.keyhound, "scan", "--git", largest, "-f", "json", "-q",
                                                "-j", str(a.threads), "-o", alone], work))
        print(f"largest repository: {sizes[largest] / 1024:.0f} KiB of .git, scanned alone "
              f"{lw:.2f} s, peak {lr / 1024:.1f} MiB")
        first = set(paths[: a.repos])
        results = [measure(a.keyhound, work, paths[: a.repos], a.shards, a.threads,
                           [h for h in holders if h in first], sum(p in first for p in own)),
                   measure(a.keyhound, work, paths, a.shards, a.threads, holders, len(own))]
        # Rescans after both organisations' first reports (committing to the
        # first N repositories changes the larger organisation too).
        for r in results:
            r["rescan"] = rescan(a.keyhound, work, *r["again"])
        print(f"\n{'repos':>6} {'run':<22} {'wall s':>8} {'repos/s':>8} {'peak MiB':>9}")
        for r in results:
            n = r["repos"]
            sw, sr = r["shards"]
            mw, mr = r["merge"]
            rows = [("one process", *r["one"]),
                    (f"{a.shards} shards (sequential)", sw, sr),
                    ("merge", mw, mr),
                    (f"{a.shards} shards + merge", sw + mw, max(sr, mr))]
            for name, wall, rss in rows:
                rate = f"{n / wall:8.1f}" if name != "merge" and wall > 0 else f"{'':>8}"
                print(f"{n:>6} {name:<22} {wall:8.2f} {rate} {rss / 1024:9.1f}")
            fw, iw, ir = r["rescan"]
            print(f"{n:>6} {'rescan, full':<22} {fw:8.2f} {n / fw:8.1f}")
            print(f"{n:>6} {'rescan, since report':<22} {iw:8.2f} {n / iw:8.1f} {ir / 1024:9.1f}"
                  f"  (x{fw / iw:.1f} faster, same findings)")
            print(f"{'':>6} findings {r['findings']}, shared pair in {r['shared_in']} repositories, "
                  f"merged == unsharded ({'same bytes' if r['identical_bytes'] else 'same JSON'})")
        small, big = results
        ratio = big["one"][1] / small["one"][1]
        print(f"\npeak RSS, one process: {small['one'][1] / 1024:.1f} MiB for {small['repos']} repositories, "
              f"{big['one'][1] / 1024:.1f} MiB for {big['repos']} (x{ratio:.2f} for x2 repositories); "
              f"largest repository alone {lr / 1024:.1f} MiB")
    finally:
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
