#!/usr/bin/env bash
# Instructions per lexical search, independent of machine load: the server under callgrind
# answers 200 POST /search (bench/search/queries.lua's eight queries in turn) on an index of
# Debian's python3.11-doc HTML, then reports the inclusive instruction counts of the search
# functions. Compare two builds with the same INDEX folder format:
#
#   bench/search/callgrind.sh [BINARY=build/rag-server]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/rag-server}
corpus=/usr/share/doc/python3.11/html
[ -d "$corpus" ] || apt-get install -y -qq python3.11-doc >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
VECTOR_DB_PATH="$work/index" "$bin" index "$corpus" > /dev/null 2>&1
VECTOR_DB_PATH="$work/index" RATE_LIMIT_SEARCH=off WORKERS=1 HOST=127.0.0.1 PORT=0 LOG_DIR="$work" \
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" serve > /dev/null 2> "$work/err" &
pid=$!
until grep -q "Index loaded" "$work/err"; do sleep 0.2; done
until grep -q "Server listening" "$work/err"; do sleep 0.2; done
port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/err" | grep -o '[0-9]*$')
queries=$(sed -n 's/^  "\(.*\)",$/\1/p' bench/search/queries.lua)
mapfile -t qs <<< "$queries"
for i in $(seq 0 199); do
  curl -sf -o /dev/null "localhost:$port/search" -H 'content-type: application/json' \
    -d "{\"query\": \"${qs[$((i % ${#qs[@]}))]}\", \"k\": 5}"
done
kill "$pid"; wait "$pid" 2>/dev/null || true
callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null |
  awk '/Snapshot::search\(|Bm25Index::search\(/ {gsub(",", "", $1); printf "%-22s %8.0f instructions per search\n", ($0 ~ /Bm25Index/ ? "Bm25Index::search" : "Snapshot::search"), $1 / 200}'
