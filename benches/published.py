#!/usr/bin/env python3
"""Keeps the published-examples lists of rules/tencent.toml complete.

A SecretId that a provider's documentation reuses on many pages (the
canonical COS example id behind `q-ak=` on dozens of API pages) is an
example, not a leak, even without an EXAMPLE suffix. This script walks a
documentation tree (for instance a checkout of tencentyun/qcloud-documents
or tencentyun/intlcloud-documents; never commit their content), counts on
how many pages each id appears, finds the key that most often follows it
there, and prints the ids reused on at least --min-pages pages (with their
key) that the rules file does not list yet, as `published` entries to paste.

    python3 benches/published.py DOCS_TREE [--rules rules/tencent.toml] [--min-pages 5]

Exit status 1 when something is missing, so CI or a release check can run
it against a fresh docs checkout.
"""

import argparse
import collections
import os
import re
import sys

ID = re.compile(rb"(?<![A-Za-z0-9_\-])((?:AKID|IKID)[A-Za-z0-9]{32})(?![A-Za-z0-9_\-])")
KEY = re.compile(rb"(?<![A-Za-z0-9_\-+/.])([A-Za-z0-9]{32})(?![A-Za-z0-9_\-+/=])")
PUBLISHED = re.compile(r'value\s*=\s*"([^"]+)"')
TEXT = (".md", ".markdown", ".html", ".txt", ".rst", ".json", ".yaml", ".yml")
KEY_LINES = 6


def pages(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != ".git"]
        for f in files:
            if f.lower().endswith(TEXT):
                yield os.path.join(d, f)


def placeholder(value):
    """A run of 5 or more of one character: a placeholder the rules drop anyway."""
    return re.search(r"(.)\1{4}", value) is not None


def keys_after(text, end):
    """32-character keys within KEY_LINES lines after an id ending at `end`."""
    stop = end
    for _ in range(KEY_LINES + 1):
        nl = text.find(b"\n", stop + 1)
        if nl < 0:
            stop = len(text)
            break
        stop = nl
    for m in KEY.finditer(text, end, stop):
        k = m.group(1)
        k = k.decode()
        mixed = re.search(r"[a-z]", k) and re.search(r"[A-Z]", k) and re.search(r"[0-9]", k)
        if mixed and not placeholder(k):
            yield k


def scan(root):
    seen = collections.defaultdict(set)
    keys = collections.defaultdict(collections.Counter)
    for path in pages(root):
        try:
            with open(path, "rb") as f:
                text = f.read(4 << 20)
        except OSError:
            continue
        rel = os.path.relpath(path, root)
        for m in ID.finditer(text):
            ident = m.group(1).decode()
            if ident.endswith("EXAMPLE") or placeholder(ident):
                continue
            seen[ident].add(rel)
            for k in keys_after(text, m.end()):
                keys[ident][k] += 1
    return seen, keys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("docs")
    ap.add_argument("--rules", default=os.path.join(os.path.dirname(__file__), "..", "rules", "tencent.toml"))
    ap.add_argument("--min-pages", type=int, default=5)
    ap.add_argument("--name", default=None, help="docs repository name shown in `page` (default: the tree's folder name)")
    a = ap.parse_args()
    with open(a.rules, encoding="utf-8") as f:
        listed = set(PUBLISHED.findall(f.read()))
    seen, keys = scan(a.docs)
    name = a.name or os.path.basename(os.path.abspath(a.docs))
    missing = 0
    for ident, where in sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(where) < a.min_pages:
            continue
        first = sorted(where)[0]
        page = f"{name}: {first} (and {len(where) - 1} other pages)"
        values = [ident]
        if keys[ident]:
            values.append(keys[ident].most_common(1)[0][0])
        for v in values:
            status = "listed" if v in listed else "MISSING"
            print(f"# {status}: {v[:8]}… on {len(where)} pages", file=sys.stderr)
            if v not in listed:
                missing += 1
                print(f'    {{ value = "{v}", page = "{page}" }},')
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
