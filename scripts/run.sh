#!/usr/bin/env bash
# Quick start: install what is missing, build, and serve on http://localhost:8000 (no
# credentials needed). Extra arguments go to `rag-server serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/rag-server serve "$@"
