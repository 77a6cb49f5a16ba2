#!/usr/bin/env bash
# Installs the pre-commit framework (PyPI `pre-commit`) in a venv for the
# hook tests in tests/precommit.rs, and prints its `pre-commit` executable:
#
#   KEYHOUND_PRE_COMMIT=$(bash .ci/pre-commit-venv.sh) \
#     cargo test --test integration precommit -- --ignored
#
# Venv: KEYHOUND_PRE_COMMIT_VENV, default target/precommit-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KEYHOUND_PRE_COMMIT_VENV:-target/precommit-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=4,<5' >&2
echo "$(cd "$venv" && pwd)/bin/pre-commit"
