#!/usr/bin/env bash
# Quick start: install what is missing, build, index the bundled documentation (docs/) and
# serve it on http://localhost:8000 (no credentials needed: lexical search and extractive
# answers; configure an upstream in .env for generated answers). Extra arguments go to
# `rag-server serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/rag-server index docs
exec build/rag-server serve "$@"
