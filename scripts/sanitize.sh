#!/usr/bin/env bash
# Builds the whole tree with sanitizers (all but the benchmarks, which no test runs) and runs
# the test suite (unit + integration + fuzz-corpus replays) on it.
#
#   scripts/sanitize.sh asan [ctest args...]   # ASan + LSan + UBSan, build dir build-asan/
#   scripts/sanitize.sh tsan [ctest args...]   # TSan, build dir build-tsan/
#
# Extra arguments go to ctest (e.g. -R 'integration\.' -E test_scale_out -V). Exits non-zero
# if the build fails, any test fails, or any sanitizer report is found in the servers' logs
# kept under <build>/test-logs/. Compiler flags: cmake/Sanitizers.cmake; suppressions (third-
# party code only, each justified): tests/sanitizers/*.supp; rationale: docs/SANITIZERS.md.
# Environment: RAG_JOBS (build parallelism, default nproc), RAG_CTEST_JOBS (default 2),
# RAG_SANITIZE_TARGETS (space-separated targets to build instead of all; then select the
# matching tests with ctest args, e.g. -L integration).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kind=${1:-}
case "$kind" in
  asan|tsan) shift ;;
  *) echo "usage: $0 asan|tsan [ctest args...]" >&2; exit 2 ;;
esac
build="$root/build-$kind"
# The suppression files, copied where every user can read them: some tests drop to user
# nobody (store_read_only_folder_as_nobody), and a checkout under a private folder (a
# `mktemp -d` clone) would make the sanitizer runtime fail to read them and abort.
supp=$(mktemp -d /tmp/rag-sanitizer-supp.XXXXXX)
trap 'rm -rf "$supp"' EXIT
cp "$root"/tests/sanitizers/*.supp "$supp"/
chmod 755 "$supp" && chmod 644 "$supp"/*.supp

start=$(date +%s)
scripts/configure-sanitized.sh "$kind"
targets=()
for t in ${RAG_SANITIZE_TARGETS:-}; do targets+=(--target "$t"); done
scripts/build.sh "$build" "${targets[@]}"
built=$(date +%s)
echo "sanitize.sh: $kind build took $((built - start)) s"

# Runtime options. halt_on_error: the first report kills the process, so the test that
# caused it fails and its output carries the trace.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:print_suppressions=0:suppressions=$supp/asan.supp"
export LSAN_OPTIONS="print_suppressions=0:suppressions=$supp/lsan.supp"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_suppressions=0:suppressions=$supp/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:print_suppressions=0:suppressions=$supp/tsan.supp"
# libgomp and OpenBLAS are not instrumented; one thread each keeps TSan free of their
# internal (false-positive) races, and matches production (DESIGN: one OpenMP thread/query).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# The runtime names the functions of a report, which the suppressions match, through
# llvm-symbolizer (clang's runtime looks for no other; any version reads clang 19's output).
for s in llvm-symbolizer-19 llvm-symbolizer; do
  if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
done
# Instrumented servers are slower; harness deadlines may multiply by this.
if [ "$kind" = tsan ]; then
  export RAG_TEST_TIME_SCALE=${RAG_TEST_TIME_SCALE:-4}
else
  export RAG_TEST_TIME_SCALE=${RAG_TEST_TIME_SCALE:-2}
fi

rm -rf "$build/test-logs"
status=0
(cd "$build" && ctest --output-on-failure --timeout 1800 -j"${RAG_CTEST_JOBS:-2}" "$@") || status=$?
echo "sanitize.sh: $kind tests took $(( $(date +%s) - built )) s (ctest exit $status)"

# A report in a server that a test stopped without checking its stderr still fails the run.
pattern='ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error: |SUMMARY: UndefinedBehaviorSanitizer'
if [ -d "$build/test-logs" ] && grep -rlE "$pattern" "$build/test-logs" >/dev/null 2>&1; then
  echo "sanitize.sh: sanitizer reports in $build/test-logs:" >&2
  grep -rlE "$pattern" "$build/test-logs" >&2
  status=1
fi
exit "$status"
