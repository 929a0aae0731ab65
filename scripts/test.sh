#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit + integration) with
# CTest. Extra arguments go to ctest (e.g. -R integration -V).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
cd build
ctest --output-on-failure --timeout 900 -j2 "$@"
