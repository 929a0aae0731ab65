#!/bin/sh
# Runs the retrieval benchmarks in a Release build; figures go to RESULTS.md (by hand).
# Usage: bench/retrieval/run.sh [BUILD_DIR]   (default: build-bench-retrieval)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build-bench-retrieval}
if [ ! -d /usr/share/doc/python3.11/html ]; then
  apt-get install -y python3.11-doc  # the realistic corpus of issue 4's benchmark
fi
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRAG_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target bench_retrieval -j2 >/dev/null
B="$BUILD/bench/retrieval/bench_retrieval"
"$B" snapshot 20000 1536
"$B" lexical /usr/share/doc/python3.11/html 3000
"$B" faiss 100000 1536 300
