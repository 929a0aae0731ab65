#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test layer; what CI runs (.ci/run).
#
#   scripts/test.sh                      # what CI runs: main fuzz asan tsan
#   RAG_TEST_PHASES="main asan" scripts/test.sh               # some of them
#   RAG_TEST_PHASES=main scripts/test.sh -R integration -V    # one phase; args go to its ctest
#
# Phases:
#   main  the unit and integration tests (CTest) on the Release build in build/
#   fuzz  every fuzz target under libFuzzer for 15 s (scripts/fuzz.sh, docs/FUZZING.md)
#   asan  the whole suite again under ASan+LSan+UBSan (scripts/sanitize.sh, docs/SANITIZERS.md)
#   tsan  the concurrent server under ThreadSanitizer: the integration tests that load it,
#         and the unit tests of the classes threads share (TSAN_* below; scripts/sanitize.sh)
# Every phase runs even when an earlier one failed; the exit status is non-zero if any failed,
# and the summary names them and repeats the end of each one's output (all of it is in
# build-logs/test-<phase>.log), so that the last lines of a run say why it failed.
set -euo pipefail
cd "$(dirname "$0")/.."
phases=${RAG_TEST_PHASES:-main fuzz asan tsan}
scripts/setup.sh --test

TSAN_TESTS='integration\.test_(chat|openai|search|shutdown|shutdown_under_load|guards|rate_limits|scale_out|slow_clients|http_basics|fault_matrix_breaker)$'
# ...and the unit tests of the classes that threads share (the rest are single-threaded).
TSAN_UNIT_TARGETS='upstream_adapter_test upstream_bounded_test upstream_policy_test
  ratelimit_memory_test ratelimit_redis_test redis_client_test session_memory_test
  session_redis_test retrieval_core_test retrieval_snapshot_test rag_pipeline_test
  api_chat_http_test observability_test'

failed=()
mkdir -p build-logs
run_phase() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== test.sh: phase $name"
  if "$@" 2>&1 | tee "build-logs/test-$name.log"; then
    echo "=== test.sh: phase $name passed in $((SECONDS - start)) s"
  else
    echo "=== test.sh: phase $name FAILED after $((SECONDS - start)) s"
    failed+=("$name")
  fi
}

for phase in $phases; do
  case "$phase" in
    main) run_phase main bash -c 'cd build && ctest --output-on-failure --timeout 900 -j2 "$@"' _ "$@" ;;
    fuzz) run_phase fuzz scripts/fuzz.sh --ci --seconds 15 ;;
    asan) run_phase asan scripts/sanitize.sh asan ;;
    # TSan on what runs concurrently: the server under the integration tests that load it, and
    # the unit tests of the shared classes (the single-threaded rest runs under ASan above).
    # Unit tests are the names that start upper-case (GoogleTest's Suite.Case); a target not
    # built registers a *_NOT_BUILT placeholder test instead, excluded.
    tsan) RAG_SANITIZE_TARGETS="rag-server rag-server-test fake-upstream $TSAN_UNIT_TARGETS" \
            run_phase tsan scripts/sanitize.sh tsan -E '_NOT_BUILT$' -R "$TSAN_TESTS|^[A-Z]" ;;
    *) echo "test.sh: unknown phase $phase (main, fuzz, asan, tsan)" >&2; exit 2 ;;
  esac
done

if [ "${#failed[@]}" -gt 0 ]; then
  for name in "${failed[@]}"; do
    echo "=== test.sh: the end of phase $name's output (all of it: build-logs/test-$name.log)"
    tail -n 80 "build-logs/test-$name.log"
  done
  echo "test.sh: FAILED phases: ${failed[*]}"
  exit 1
fi
echo "test.sh: all phases passed ($phases)"
