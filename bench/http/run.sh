#!/usr/bin/env bash
# GET / throughput: rag-server vs nginx serving an equivalent static JSON file, both on
# loopback, both with access logs on, measured by wrk in the same run.
#
#   bench/http/run.sh [duration_s=10] [connections=64] [rounds=3]
#
# Prints one line per round and the medians. rag-server is build/rag-server unless
# RAG_SERVER_BIN names another binary; it must be a Release build (check CMAKE_BUILD_TYPE in
# that build's CMakeCache.txt: a Debug binary is ~10x slower per request).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}; connections=${2:-64}; rounds=${3:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "needs wrk and nginx: apt-get install -y wrk nginx-light" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: same body shape as GET /, served as a file with the same content type.
nginx_port=$(free_port)
mkdir -p "$work/html" "$work/logs"
printf '{"message":"RAG Server","status":"running","timestamp":"2026-11-24T20:00:00.000000"}' > "$work/html/index.json"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log $work/logs/access.log;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location = / { default_type "application/json; charset=utf-8"; root $work/html; try_files /index.json =404; }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"

rag_port=$(free_port)
PORT=$rag_port HOST=127.0.0.1 WORKERS=${WORKERS:-2} RATE_LIMIT_HEALTH=off LOG_DIR="$work/logs" \
  "${RAG_SERVER_BIN:-build/rag-server}" serve > "$work/access.jsonl" 2> "$work/rag.err" &
for _ in $(seq 100); do grep -q "Server listening" "$work/rag.err" && break; sleep 0.1; done

rps() { wrk -t2 -c"$connections" -d"${duration}s" --latency "$1" | awk '/Requests\/sec/ {print $2} / 99%/ {p99=$2} END {print p99}' | paste -sd' '; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "round  nginx_rps  nginx_p99  rag_rps  rag_p99  ratio"
: > "$work/ratios"; : > "$work/n"; : > "$work/r"
for i in $(seq "$rounds"); do
  read -r n p99n < <(rps "http://127.0.0.1:$nginx_port/")
  read -r r p99r < <(rps "http://127.0.0.1:$rag_port/")
  ratio=$(python3 -c "print(f'{$r/$n:.2f}')")
  echo "$i  $n  $p99n  $r  $p99r  $ratio"
  echo "$n" >> "$work/n"; echo "$r" >> "$work/r"; echo "$ratio" >> "$work/ratios"
done
echo "median: nginx $(median < "$work/n") req/s, rag-server $(median < "$work/r") req/s, ratio $(median < "$work/ratios")"
