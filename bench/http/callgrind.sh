#!/usr/bin/env bash
# GET / cost per request, independent of machine load: instructions (callgrind's Ir, all
# threads, kernel excluded) and heap allocations (calls to malloc/calloc/realloc) per request.
#
#   bench/http/callgrind.sh [rag-server binary=build/rag-server] [requests=4000] [connections=4]
#   TARGET=/search BODY='{"query": "port"}' VECTOR_DB_PATH=... RATE_LIMIT_SEARCH=off \
#     bench/http/callgrind.sh ...          # the same for POST /search (or any TARGET)
#
# The server runs under valgrind --tool=callgrind with the settings of run.sh (WORKERS=2,
# access log on, rate limit on GET / off); 500 warm-up requests, counters zeroed, then exactly
# `requests` requests from count_client.py, counters dumped. Prints the two figures and keeps
# the profile (callgrind_annotate it) in $OUT (default /tmp/rag-callgrind).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
bin=${1:-build/rag-server}; requests=${2:-4000}; connections=${3:-4}
out=${OUT:-/tmp/rag-callgrind}
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install -y valgrind" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out/logs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

PORT=$port HOST=127.0.0.1 WORKERS=${WORKERS:-2} RATE_LIMIT_HEALTH=off LOG_DIR="$out/logs" \
  valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
  --callgrind-out-file="$out/callgrind.out.%p" "$bin" serve > "$out/access.jsonl" 2> "$out/server.err" &
vg=$!
trap 'kill $vg 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q "Server listening" "$out/server.err" && break; sleep 0.1; done
grep -q "Server listening" "$out/server.err" || { echo "server did not start" >&2; cat "$out/server.err" >&2; exit 1; }
if [ -n "${TARGET:-}" ]; then  # an index to search: wait until it is in
  for _ in $(seq 600); do grep -q "Index loaded" "$out/server.err" && break; sleep 0.1; done
fi

target=(${TARGET:-/} ${BODY:+"$BODY"})
python3 "$here/count_client.py" "$port" 500 "$connections" "${target[@]}"
HOST=127.0.0.1 callgrind_control -z "$vg" >/dev/null  # valgrind names its pipe after $HOST
python3 "$here/count_client.py" "$port" "$requests" "$connections" "${target[@]}"
HOST=127.0.0.1 callgrind_control -d "$vg" >/dev/null
kill $vg; wait $vg 2>/dev/null || true
trap - EXIT

# The dump made by -d is the one with a part number (callgrind.out.PID.1).
profile=$(ls "$out"/callgrind.out.*.1 2>/dev/null | head -1)
python3 - "$profile" "$requests" <<'PY'
import re, sys
path, n = sys.argv[1], int(sys.argv[2])
total = 0
allocs = 0
cfn = None
with open(path) as f:
    for line in f:
        if line.startswith("summary:") or line.startswith("totals:"):
            total = max(total, int(line.split()[1]))
        elif line.startswith("cfn="):
            cfn = line[4:].strip()
        elif line.startswith("calls=") and cfn in ("malloc", "calloc", "realloc"):
            allocs += int(line[6:].split()[0])
print(f"profile {path}")
print(f"instructions/request {total / n:.0f}   allocations/request {allocs / n:.2f}")
PY
