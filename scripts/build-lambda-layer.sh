#!/usr/bin/env bash
# Kept from the original project as a thin wrapper: the build lives in `nox -s build_layer` (tools/build).
# Arguments pass through, e.g. scripts/build-lambda-layer.sh --arch arm64 --bundle-boto3
set -euo pipefail
cd "$(dirname "$0")/.."
make --quiet .venv/bin/nox
exec .venv/bin/nox -s build_layer -- "$@"
