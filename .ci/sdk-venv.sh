#!/usr/bin/env bash
# Sets up Tencent's official Python SDK (common, cam, sts, cloudaudit, csip from PyPI) and
# Alibaba Cloud's (sts20150401, ram20150501), Volcengine's, Huawei Cloud's (iam) and
# Baidu AI Cloud's (bce-python-sdk) in a venv for the conformance tests in
# tests/cam/sdk.rs, tests/providers_alibaba.rs and tests/providers_clouds.rs, and prints the venv's
# python on stdout. Venv: KEYHOUND_SDK_VENV, default target/sdk-venv.
#
#   KEYHOUND_SDK_PYTHON=$(bash .ci/sdk-venv.sh) cargo test
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KEYHOUND_SDK_VENV:-target/sdk-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    tencentcloud-sdk-python-common tencentcloud-sdk-python-cam tencentcloud-sdk-python-sts \
    tencentcloud-sdk-python-cloudaudit tencentcloud-sdk-python-csip \
    alibabacloud-sts20150401 alibabacloud-ram20150501 \
    volcengine huaweicloudsdkiam bce-python-sdk >&2
echo "$(cd "$venv" && pwd)/bin/python"
