#!/usr/bin/env bash
# Builds a configured build folder with as many jobs as cores (RAG_JOBS to change that): `scripts/build.sh DIR [cmake
# --build args...]`, e.g. `scripts/build.sh build --target rag-server`. On a terminal (and
# outside CI) Ninja's own status line shows the progress; otherwise its per-file progress lines
# are dropped and only compiler output (warnings, errors) remains. The exit status is the
# build's.
set -euo pipefail
dir=$1
shift
if [ -t 1 ] && [ -z "${CI:-}" ]; then
  exec cmake --build "$dir" -j"${RAG_JOBS:-$(nproc)}" "$@"
fi
# pipefail: a failed build fails the pipeline, whatever grep does.
cmake --build "$dir" -j"${RAG_JOBS:-$(nproc)}" "$@" 2>&1 |
  { grep -vE '^\[ *[0-9]+(/[0-9]+\]|%\]) ' || true; }
