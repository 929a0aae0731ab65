#!/usr/bin/env bash
# POST /search throughput and latency on a real corpus (Debian's python3.11-doc HTML), lexical
# and hybrid (fake embedder at 0 ms), start-up to ready, and the cost of rate limiting (off vs
# in-memory vs Redis, limits set high so nothing is refused).
#
#   [RAG_SERVER_BIN=path] bench/search/run.sh [duration_s=10] [connections=64] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}; connections=${2:-64}; rounds=${3:-3}
corpus=/usr/share/doc/python3.11/html
[ -d "$corpus" ] || apt-get install -y -qq python3.11-doc >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
bin=${RAG_SERVER_BIN:-build/rag-server}  # another binary to compare (a Release build)
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Starts the server with the given environment; sets $port, $server_pid and $ready_s (seconds
# from launch to "Index loaded").
start() {
  local log="$work/server.err"; : > "$log"
  local t0; t0=$(date +%s.%N)
  env "$@" HOST=127.0.0.1 PORT=0 LOG_DIR="$work" "$bin" serve > /dev/null 2> "$log" &
  server_pid=$!
  until grep -q "Index loaded" "$log"; do sleep 0.01; done
  local t1; t1=$(date +%s.%N)
  until grep -q "Server listening" "$log"; do sleep 0.01; done
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
  ready_s=$(python3 -c "print(f'{$t1-$t0:.2f}')")
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }

# Runs wrk `rounds` times; prints median rps, p50, p99.
measure() {
  : > "$work/rps"; : > "$work/p50"; : > "$work/p99"
  for _ in $(seq "$rounds"); do
    wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/search/queries.lua \
      "http://127.0.0.1:$port" > "$work/wrk.txt"
    grep -q "Non-2xx" "$work/wrk.txt" && { echo "non-2xx answers:"; cat "$work/wrk.txt"; exit 1; }
    awk '/Requests\/sec/ {print $2}' "$work/wrk.txt" >> "$work/rps"
    awk '/ 50%/ {print $2}' "$work/wrk.txt" >> "$work/p50"
    awk '/ 99%/ {print $2}' "$work/wrk.txt" >> "$work/p99"
  done
  echo "$(median < "$work/rps") req/s, p50 $(sort "$work/p50" | sed -n "$(( (rounds+1)/2 ))p"), p99 $(sort "$work/p99" | sed -n "$(( (rounds+1)/2 ))p")"
}

echo "== indexing $corpus"
VECTOR_DB_PATH="$work/lex" "$bin" index "$corpus" 2>&1 | grep -E "^.*indexed" | tail -1
chunks=$(python3 -c "import json;print(json.load(open('$work/lex/build_info.json'))['total_chunks'])")
echo "chunks: $chunks"

echo "== lexical, rate limiting off"
start VECTOR_DB_PATH="$work/lex" RATE_LIMIT_SEARCH=off WORKERS=2
echo "start-up to ready: $ready_s s"
echo "POST /search: $(measure)"; stop

echo "== lexical, in-memory rate limiter (limit never reached)"
start VECTOR_DB_PATH="$work/lex" RATE_LIMIT_SEARCH=1000000000/hour WORKERS=2
echo "POST /search: $(measure)"; stop

if command -v redis-server > /dev/null; then
  rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$rport" --save '' --appendonly no > /dev/null &
  until redis-cli -p "$rport" ping > /dev/null 2>&1; do sleep 0.05; done
  echo "== lexical, Redis rate limiter (limit never reached)"
  start VECTOR_DB_PATH="$work/lex" RATE_LIMIT_SEARCH=1000000000/hour WORKERS=2 \
    REDIS_URL="redis://127.0.0.1:$rport/0"
  echo "POST /search: $(measure)"; stop
fi

echo "== hybrid (fake embedder at 0 ms, 64 dimensions)"
build/fake-upstream --port 0 > "$work/fake.out" &
until grep -q listening "$work/fake.out"; do sleep 0.05; done
fport=$(grep -o '[0-9]*$' "$work/fake.out")
upstream=(OPENAI_BASE_URL="http://127.0.0.1:$fport/v1" OPENAI_API_KEY=bench EMBEDDINGS_MODEL=fake-embedding)
env "${upstream[@]}" VECTOR_DB_PATH="$work/hyb" "$bin" index "$corpus" 2>&1 | grep -E "indexed" | tail -1
start "${upstream[@]}" VECTOR_DB_PATH="$work/hyb" RATE_LIMIT_SEARCH=off WORKERS=2
echo "start-up to ready: $ready_s s"
echo "POST /search: $(measure)"; stop
