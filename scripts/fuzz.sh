#!/usr/bin/env bash
# Fuzzes the targets of fuzz/ with AFL++ (docs/FUZZING.md).
#
#   scripts/fuzz.sh [--ci] [--seconds N] [--jobs J] [target...]
#
# Builds build-fuzz/ (afl-g++ in AFL++'s classic GCC mode, ASan + UBSan, -O1), then runs
# afl-fuzz on each target for N seconds (default 20 with --ci, else 60), one after the other,
# seeded with fuzz/corpus/<target>/ + fuzz/regressions/<target>/ and the target's dictionary.
# Exits non-zero when any run saved a crash or a hang, and prints each reproducer's path and
# the command that replays it. No target named: all of them. The long run of one target:
#   scripts/fuzz.sh --seconds 3600 http_request
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build-fuzz

ALL_TARGETS=(http_request json_validation html_loader markdown_loader splitter sse_parser
             chat_completion_parser pickle_reader)
declare -A DICT=([http_request]=http [json_validation]=json [html_loader]=html
                 [markdown_loader]=markdown [splitter]=splitter [sse_parser]=sse
                 [chat_completion_parser]=sse [pickle_reader]=pickle)
# Per-execution timeout (ms): http_request builds the whole server in every afl-fuzz child.
declare -A TIMEOUT=([http_request]=5000)

ci=0
seconds=""
jobs=2
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ci) ci=1 ;;
    --seconds) seconds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ -n "$seconds" ]] || seconds=$([[ $ci == 1 ]] && echo 20 || echo 60)
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

for tool in afl-fuzz afl-g++; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (apt-get install afl++)" >&2; exit 2; }
done

# AFL++'s GCC plugin does not match Debian's GCC: use the classic (afl-as) GCC mode.
export AFL_CC_COMPILER=GCC AFL_QUIET=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=afl-g++ \
  "${launcher[@]}" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DRAG_FUZZ_AFL=ON -DRAG_BUILD_TESTS=OFF -DRAG_BUILD_BENCH=OFF >/dev/null

built=()
available=$(cmake --build "$BUILD" --target help)
for t in "${targets[@]}"; do
  if [[ -z "${DICT[$t]:-}" ]]; then echo "fuzz.sh: unknown target $t" >&2; exit 2; fi
  if grep -qx "\.\.\. fuzz_$t" <<<"$available"; then
    built+=("$t")
  else
    echo "fuzz.sh: target $t is not in this tree yet (skipped)"
  fi
done
[[ ${#built[@]} -gt 0 ]] || exit 0
cmake --build "$BUILD" -j"$jobs" --target "${built[@]/#/fuzz_}"

# afl-fuzz needs abort_on_error and symbolize=0; a huge allocation is a finding, not an OOM.
# Leak checks double the cost of every execution: the fuzz-replay tests of the ASan build
# (LeakSanitizer on) cover leaks instead.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:max_allocation_size_mb=1024:allocator_may_return_null=0:detect_odr_violation=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
# http_request: the tiny index is written once here, then only opened by each child.
export RAG_FUZZ_INDEX_DIR=$BUILD/fuzz-index

findings=()
for t in "${built[@]}"; do
  bin=$BUILD/fuzz/fuzz_$t
  seeds=$BUILD/seeds/$t
  out=$BUILD/afl/$t
  rm -rf "$seeds" "$out"
  mkdir -p "$seeds" "$(dirname "$out")"
  find "$ROOT/fuzz/corpus/$t" "$ROOT/fuzz/regressions/$t" -type f ! -name '.*' \
    -exec cp -t "$seeds" {} + 2>/dev/null || true
  [[ -n "$(ls -A "$seeds")" ]] || printf 'x' >"$seeds/empty"
  "$bin" </dev/null >/dev/null  # warms up (and creates the http index) before timing starts
  echo "== $t: ${seconds}s"
  afl-fuzz -V "$seconds" -t "${TIMEOUT[$t]:-2000}" -m none -i "$seeds" -o "$out" \
    -x "$ROOT/fuzz/dicts/${DICT[$t]}.dict" -- "$bin" >"$BUILD/afl-$t.log" 2>&1 || {
    echo "fuzz.sh: afl-fuzz failed on $t (log: $BUILD/afl-$t.log)"; tail -20 "$BUILD/afl-$t.log"
    findings+=("$BUILD/afl-$t.log")
    continue
  }
  stats=$out/default/fuzzer_stats
  awk -F' *: *' '/^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs) /{printf "   %s=%s", $1, $2} END{print ""}' "$stats"
  for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
    [[ -e "$f" ]] && findings+=("$f")
  done
done

if [[ ${#findings[@]} -gt 0 ]]; then
  echo "fuzz.sh: FINDINGS (replay one with: <build>/fuzz/fuzz_<target> FILE):"
  printf '  %s\n' "${findings[@]}"
  exit 1
fi
echo "fuzz.sh: no finding"
