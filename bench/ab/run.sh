#!/usr/bin/env bash
# Before/after throughput of two rag-server binaries on the same machine at the same time:
# GET / and POST /search (lexical, the queries of bench/search/queries.lua over Debian's
# python3.11-doc HTML), rate limits off. Both servers run side by side; each round measures
# A then B, or B then A (alternating), so drift in the machine's load falls on both alike.
#
#   bench/ab/run.sh BIN_A BIN_B [duration_s=10] [connections=64] [rounds=5]
#
# Prints one line per round and target (with B/A of that round), then per target the median
# req/s of each and the median of the rounds' B/A (the steadier figure on a busy machine: both
# halves of a round see about the same load). Both must be Release builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [duration_s] [connections] [rounds]" >&2; exit 2; }
bin_a=$1; bin_b=$2; duration=${3:-10}; connections=${4:-64}; rounds=${5:-5}
corpus=/usr/share/doc/python3.11/html
[ -d "$corpus" ] || apt-get install -y -qq python3.11-doc >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

VECTOR_DB_PATH="$work/index" LOG_DIR="$work" "$bin_b" index "$corpus" > /dev/null 2>&1

# Starts binary $2 as server $1 (a or b); sets port_$1.
start() {
  local log="$work/$1.err"
  env VECTOR_DB_PATH="$work/index" HOST=127.0.0.1 PORT=0 WORKERS=${WORKERS:-2} LOG_DIR="$work/$1" \
    RATE_LIMIT_HEALTH=off RATE_LIMIT_SEARCH=off "$2" serve > /dev/null 2> "$log" &
  until grep -q "Server listening" "$log" && grep -q "Index loaded" "$log"; do sleep 0.05; done
  printf -v "port_$1" '%s' "$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')"
}
start a "$bin_a"
start b "$bin_b"

# rps SERVER TARGET: requests per second of one wrk run.
rps() {
  local port_var="port_$1" script=()
  [ "$2" = search ] && script=(-s bench/search/queries.lua)
  wrk -t2 -c"$connections" -d"${duration}s" "${script[@]}" "http://127.0.0.1:${!port_var}/" \
    > "$work/wrk.txt"
  grep -q "Non-2xx" "$work/wrk.txt" && { echo "non-2xx answers:" >&2; cat "$work/wrk.txt" >&2; exit 1; }
  grep -q "Requests/sec" "$work/wrk.txt" || {
    echo "server $1 stopped answering:" >&2; tail -5 "$work/$1.err" >&2; exit 1; }
  awk '/Requests\/sec/ {print $2}' "$work/wrk.txt"
}

echo "round  target  A_rps  B_rps  B/A"
for i in $(seq "$rounds"); do
  for target in root search; do
    if [ $((i % 2)) = 1 ]; then a=$(rps a $target); b=$(rps b $target)
    else b=$(rps b $target); a=$(rps a $target); fi
    ratio=$(python3 -c "print(f'{$b/$a:.3f}')")
    echo "$i  $target  $a  $b  $ratio"
    echo "$a" >> "$work/$target.a"; echo "$b" >> "$work/$target.b"; echo "$ratio" >> "$work/$target.r"
  done
done
for target in root search; do
  echo "median $target: A $(median < "$work/$target.a") req/s, B $(median < "$work/$target.b") req/s," \
    "median of the rounds' B/A $(median < "$work/$target.r")"
done
