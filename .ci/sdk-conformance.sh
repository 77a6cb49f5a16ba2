#!/usr/bin/env bash
# Conformance of keyhound's CAM/STS emulator and TC3 signer with Tencent's
# official Python SDK (tests/cam/sdk.rs + tests/sdk/conformance.py):
# the SDK calls the emulator on 127.0.0.1, and keyhound's signer must
# reproduce the SDK's Authorization headers. Installs the SDK from PyPI into
# a venv (KEYHOUND_SDK_VENV, default target/sdk-venv); talks to nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KEYHOUND_SDK_VENV:-target/sdk-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    tencentcloud-sdk-python-common tencentcloud-sdk-python-cam tencentcloud-sdk-python-sts
KEYHOUND_SDK_PYTHON="$(cd "$venv" && pwd)/bin/python" \
    cargo test --test integration -- --exact cam::sdk::official_sdk_conforms
