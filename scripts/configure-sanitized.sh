#!/usr/bin/env bash
# Configures a sanitizer build folder the same way for every script that uses it:
#
#   scripts/configure-sanitized.sh asan   # build-asan/: clang 19, ASan + LSan + UBSan, and
#                                         # libFuzzer's coverage, so the fuzz targets
#                                         # (scripts/fuzz.sh) and the test suite
#                                         # (scripts/sanitize.sh asan) share one tree
#   scripts/configure-sanitized.sh tsan   # build-tsan/: g++ 12, TSan
#
# RelWithDebInfo with -O1 -g1 and *without* NDEBUG: assertions stay on. The flags themselves are
# in cmake/Sanitizers.cmake; why one clang tree serves two phases: docs/SANITIZERS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
args=(-DRAG_SANITIZE="$kind" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAG_BUILD_BENCH=OFF
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1")
case "$kind" in
  asan)
    cxx=${RAG_FUZZ_CXX:-clang++-19}
    command -v "$cxx" >/dev/null ||
      { echo "configure-sanitized.sh: $cxx not found (apt-get install clang-19 libclang-rt-19-dev)" >&2; exit 2; }
    args+=(-DCMAKE_CXX_COMPILER="$cxx" -DRAG_FUZZ_ENGINE=libfuzzer) ;;
  tsan) ;;
  *) echo "usage: $0 asan|tsan" >&2; exit 2 ;;
esac
build=build-$kind
# A folder made by another generator or another compiler is made again.
if [ -f "$build/CMakeCache.txt" ] &&
   { ! grep -q "CMAKE_GENERATOR:INTERNAL=Ninja" "$build/CMakeCache.txt" ||
     { [ "$kind" = asan ] && ! grep -q "CMAKE_CXX_COMPILER:.*=.*$cxx\$" "$build/CMakeCache.txt"; }; }; then
  rm -rf "$build"
fi
cmake -S . -B "$build" -G Ninja "${args[@]}" >/dev/null
