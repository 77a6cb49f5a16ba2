#!/usr/bin/env python3
"""Score a keyhound JSON report against the planted ground truth.

  benches/recall.py REPORT.json [TRUTH.json] [--root PREFIX]

REPORT is `keyhound scan <dir> --format json --show-secrets -o REPORT.json`
(secrets must be shown: pairs are matched by value). TRUTH defaults to
/work/shared/bench/planted.json. Prints, then exits 1 if any planted pair is
missed or mispaired, or any other Tencent finding exists:

  pairs          planted pairs
  found          pairs whose SecretId is in some tencent.* finding
  paired         of those, pairs whose finding carries the planted SecretKey
  extra_tencent  tencent.* findings that are not a planted pair (with paths)
  other_rules    findings per non-Tencent rule (context, not scored)
"""
import argparse
import collections
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("truth", nargs="?", default="/work/shared/bench/planted.json")
    args = ap.parse_args()
    truth = json.load(open(args.truth))["pairs"]
    report = json.load(open(args.report))
    findings = report["findings"] if isinstance(report, dict) else report

    by_id = collections.defaultdict(list)
    for f in findings:
        if f["rule"].startswith("tencent."):
            by_id[f["secret"]].append(f)
    planted_ids = {p["secret_id"] for p in truth}

    found, paired, missed, mispaired = 0, 0, [], []
    for p in truth:
        fs = by_id.get(p["secret_id"], [])
        if not fs:
            missed.append(p["n"])
            continue
        found += 1
        if any(f.get("key") == p["secret_key"] for f in fs):
            paired += 1
        else:
            mispaired.append((p["n"], p["format"], [f.get("key") for f in fs]))
    extra = [
        (f["rule"], f["secret"][:8] + "…", [l.get("path") for l in f.get("locations", [])][:3])
        for f in findings
        if f["rule"].startswith("tencent.") and f["secret"] not in planted_ids
    ]
    # one planted id found with two different keys is one right and one extra finding
    dup = [
        (f["rule"], f["secret"][:8] + "…", f.get("key"))
        for f in findings
        if f["rule"].startswith("tencent.") and f["secret"] in planted_ids
        and f.get("key") != next(p["secret_key"] for p in truth if p["secret_id"] == f["secret"])
        and len(by_id[f["secret"]]) > 1
    ]
    other = collections.Counter(f["rule"] for f in findings if not f["rule"].startswith("tencent."))
    print(f"pairs          {len(truth)}")
    print(f"found          {found}   missed: {missed}")
    print(f"paired         {paired}   mispaired: {mispaired}")
    print(f"extra_tencent  {len(extra) + len(dup)}")
    for e in extra + dup:
        print(f"    {e}")
    print(f"other_rules    {dict(sorted(other.items()))}")
    ok = found == paired == len(truth) and not extra and not dup
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
