#!/usr/bin/env bash
# Installs Microsoft's SARIF multitool (npm @microsoft/sarif-multitool) under
# target/sarif-multitool and prints the path of its native binary on stdout,
# for the validation test in tests/sarif.rs:
#
#   KEYHOUND_SARIF_MULTITOOL=$(bash .ci/sarif-multitool.sh) \
#     cargo test --test integration sarif_multitool -- --ignored
#
# The binary is called directly: the npm wrapper runs it through a shell,
# which splits `--rule-kind "Sarif;Gh"` at the semicolon.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${KEYHOUND_SARIF_MULTITOOL_DIR:-target/sarif-multitool}"
version=5.7.0
pkg="$dir/node_modules/@microsoft/sarif-multitool-linux"
if [ ! -x "$pkg/Sarif.Multitool" ] || ! grep -q "\"version\": \"$version\"" "$pkg/package.json"; then
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "@microsoft/sarif-multitool@$version" >&2
    chmod u+x "$pkg/Sarif.Multitool"
fi
echo "$(cd "$pkg" && pwd)/Sarif.Multitool"
