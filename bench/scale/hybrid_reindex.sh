#!/usr/bin/env bash
# The 1 % re-index + swap of a hybrid index (issue 22, point 5; bench/scale/RESULTS.md): over a
# corpus made by make_corpus.py and an index folder already built from it with embeddings (say
# by run.sh --hybrid, or `rag-server index` with the fake embedder), starts a server, then
# twice edits 1 % of the files (--touch, then --restore) and runs `rag-server index`, timing
# from the run's start to the server's log line for the new snapshot. Prints each run's wall
# time and peak RSS, what it stored (the lexical changes, the vector index or its changes),
# the server's "Index loaded" line, and the server's VmRSS/VmHWM at the end. The embeddings
# come from the fake embedder (build/fake-upstream, 0 ms, --dim dimensions) over real HTTP.
#
#   [RAG_SERVER_BIN=build/rag-server] [FAKE_UPSTREAM_BIN=build/fake-upstream] \
#   bench/scale/hybrid_reindex.sh --source corpus.jsonl --corpus DIR --n COUNT --db DB
#     [--seed 1] [--dim 1536]
#
# --source, --n and --seed are those the corpus DIR was made with (make_corpus.py needs them to
# edit it the same way); DB is the index folder (VECTOR_DB_PATH). The corpus is restored on the
# way out whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
source_file=; corpus=; n=; db=; seed=1; dim=1536
while [ $# -gt 0 ]; do
  case $1 in
    --source) source_file=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --dim) dim=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$source_file" ] || [ ! -d "$corpus" ] || [ -z "$n" ] || [ ! -d "$db" ]; then
  echo "--source, --corpus, --n and --db are required (see --help)" >&2; exit 2
fi
bin=$(realpath "${RAG_SERVER_BIN:-build/rag-server}")
fake_bin=$(realpath "${FAKE_UPSTREAM_BIN:-build/fake-upstream}")
source_file=$(realpath "$source_file"); db=$(realpath "$db")
corpus_parent=$(dirname "$(realpath "$corpus")"); corpus_name=$(basename "$corpus")
edit() {
  (cd "$corpus_parent" && python3 "$root/bench/scale/make_corpus.py" --source "$source_file" \
     --n "$n" --seed "$seed" --out "$corpus_name" "--$1")
}

work=$(mktemp -d /tmp/rag-hybrid-reindex.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  edit restore > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$fake_bin" --port 0 --dim "$dim" > "$work/fake.out" &
pids+=($!)
until grep -q listening "$work/fake.out"; do sleep 0.05; done
fake_port=$(grep -o '[0-9]*$' "$work/fake.out")
export OPENAI_BASE_URL=http://127.0.0.1:$fake_port/v1 OPENAI_API_KEY=bench
export EMBEDDINGS_MODEL=fake-embedding VECTOR_DB_PATH=$db

index() {
  local start end
  start=$(date +%s.%N)
  (cd "$corpus_parent" && /usr/bin/time -f "%e s, peak %M KB" "$bin" index "$corpus_name") \
    > "$work/index.out" 2> "$work/index.err"
  end=$(date +%s.%N)
  echo "index: $(echo "$end - $start" | bc) s wall ($(tail -1 "$work/index.err"))"
  grep -E "Stored|Rebuilding|afresh|Building" "$work/index.err" | sed 's/.* - INFO - /  /' || true
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOST=127.0.0.1 PORT=$port WORKERS=2 LOG_DIR=$work STATE_DIR=$work/state INDEX_LOAD_WAIT=3600 \
  RATE_LIMIT_SEARCH=off "$bin" serve > "$work/server.out" 2> "$work/server.err" &
server=$!
pids+=($server)
until grep -q "Server listening" "$work/server.err"; do sleep 0.2; done
grep "Index loaded" "$work/server.err" | sed 's/.*Index loaded/served: Index loaded/'
for round in touch restore; do
  edit "$round"
  loads=$(grep -c "Index loaded" "$work/server.err")
  start=$(date +%s.%N)
  index
  until [ "$(grep -c 'Index loaded' "$work/server.err")" -gt "$loads" ]; do sleep 0.05; done
  end=$(date +%s.%N)
  echo "$round: from the run's start to the new snapshot served: $(echo "$end - $start" | bc) s"
  grep "Index loaded" "$work/server.err" | tail -1 | sed 's/.*Index loaded/  Index loaded/'
done
grep -E "VmRSS|VmHWM" "/proc/$server/status"
