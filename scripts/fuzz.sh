#!/usr/bin/env bash
# Fuzzes the targets of fuzz/ with libFuzzer (docs/FUZZING.md).
#
#   scripts/fuzz.sh [--ci] [--seconds N] [target...]
#
# Builds the fuzz targets in build-asan/ (clang 19, libFuzzer's coverage + ASan + UBSan, -O1 -g1:
# the tree `scripts/sanitize.sh asan` runs the test suite on), then runs each target in
# process for N seconds (default 15 with --ci, else 60), RAG_FUZZ_JOBS at once (default: one
# per core), on a working corpus seeded with fuzz/corpus/<target>/ + fuzz/regressions/<target>/
# and the target's dictionary. Exits non-zero when any run found a crash, a leak, a timeout or
# an allocation over the limit, and prints each reproducer's path and the command that replays
# it. No target named: all of them. The long run of one target:
#   scripts/fuzz.sh --seconds 3600 http_request
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build-asan

ALL_TARGETS=(http_request request_path json_validation html_loader markdown_loader splitter sse_parser
             chat_completion_parser pickle_reader faiss_file lexical_file vector_changes
             vector_index_file)
declare -A DICT=([http_request]=http [request_path]=path [json_validation]=json [html_loader]=html
                 [markdown_loader]=markdown [splitter]=splitter [sse_parser]=sse
                 [chat_completion_parser]=sse [pickle_reader]=pickle [faiss_file]=faiss
                 [lexical_file]=lexical [vector_changes]=vector_changes
                 [vector_index_file]=vector_index)

ci=0
seconds=""
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ci) ci=1 ;;
    --seconds) seconds="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ -n "$seconds" ]] || seconds=$([[ $ci == 1 ]] && echo 15 || echo 60)
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ -n "${DICT[$t]:-}" ]] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
done
# The whole tree gets the coverage instrumentation and the sanitizers; only the targets link
# libFuzzer (fuzz/CMakeLists.txt, RAG_FUZZ_ENGINE; flags in cmake/Sanitizers.cmake).
"$ROOT/scripts/configure-sanitized.sh" asan
"$ROOT/scripts/build.sh" "$BUILD" --target "${targets[@]/#/fuzz_}"

# A huge allocation is a finding (malloc_limit_mb), not an out-of-memory of the machine.
# Leaks are checked after every input whose allocations outlive it (libFuzzer's -detect_leaks),
# with the suppressions of the sanitizer builds (third-party leaks only, each justified there).
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=0:detect_odr_violation=0
export LSAN_OPTIONS=print_suppressions=0:suppressions=$ROOT/tests/sanitizers/lsan.supp
# clang's sanitizers name the functions of a report (which the suppressions match) through
# llvm-symbolizer; any version reads clang 19's debug information.
for s in llvm-symbolizer-19 llvm-symbolizer; do
  if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
done
[[ -n "${ASAN_SYMBOLIZER_PATH:-}" ]] || { echo "fuzz.sh: llvm-symbolizer not found (apt-get install llvm)" >&2; exit 2; }
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

# One target's run; its exit status goes to fuzz-<target>.status beside its log.
run_target() {
  local t=$1 status=0
  local work=$BUILD/corpus/$t  # what this run found; the seeds below are only read
  local out=$BUILD/findings/$t
  rm -rf "$work" "$out"
  mkdir -p "$work" "$out"
  "$BUILD/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -dict="$ROOT/fuzz/dicts/${DICT[$t]}.dict" -artifact_prefix="$out/" \
    -print_final_stats=1 "$work" "$ROOT/fuzz/corpus/$t" "$ROOT/fuzz/regressions/$t" \
    >"$BUILD/fuzz-$t.log" 2>&1 || status=$?
  echo "$status" >"$BUILD/fuzz-$t.status"
}

# RAG_FUZZ_JOBS targets at once (default: one per core), each in its own process for N seconds.
jobs=${RAG_FUZZ_JOBS:-$(nproc)}
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  if (( running >= jobs )); then
    wait -n
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait

findings=()
for t in "${targets[@]}"; do
  out=$BUILD/findings/$t
  log=$BUILD/fuzz-$t.log
  status=$(cat "$BUILD/fuzz-$t.status")
  echo "== $t: ${seconds}s"
  # One line: executions, exec/s, inputs added, peak RSS, and coverage (edges) from the
  # seeds to the end of the run.
  awk '/^#[0-9]+[ \t]+INITED/{for (i = 1; i < NF; i++) if ($i == "cov:") from = $(i + 1)}
       /^#[0-9]+[ \t]+DONE/{for (i = 1; i < NF; i++) if ($i == "cov:") to = $(i + 1)}
       /^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb):/{
         sub("stat::", ""); line = line "   " $1 $2}
       END{print "  " line "   cov:" from "->" to}' "$log"
  reproducers=0
  for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*; do
    if [[ -e "$f" ]]; then findings+=("$f"); reproducers=$((reproducers + 1)); fi
  done
  if [[ $status != 0 && $reproducers == 0 ]]; then
    echo "fuzz.sh: $t exited with $status without a reproducer (log: $log)"; tail -20 "$log"
    findings+=("$log")
  fi
done

if [[ ${#findings[@]} -gt 0 ]]; then
  # Each finding's report and, when small, its bytes: a CI run's clone is gone afterwards, and
  # what it printed last is all that is left of it.
  for f in "${findings[@]}"; do
    t=$(basename "$(dirname "$f")")
    [[ $f == *.log ]] && t=$(basename "$f" .log) && t=${t#fuzz-}
    echo "== finding: $f"
    sed -n '/ERROR: \|runtime error\|out-of-memory\|ALARM/,/^SUMMARY/p' "$BUILD/fuzz-$t.log" | head -40
    if [[ $f != *.log && $(stat -c %s "$f") -le 4096 ]]; then
      echo "  its bytes, base64 (base64 -d > FILE to replay): $(base64 -w0 "$f")"
    fi
  done
  echo "fuzz.sh: FINDINGS (replay one with: $BUILD/fuzz/fuzz_<target> FILE; logs: $BUILD/fuzz-<target>.log):"
  printf '  %s\n' "${findings[@]}"
  exit 1
fi
echo "fuzz.sh: no finding"
