#!/usr/bin/env bash
# Indexing benchmark: lexical `rag-server index` over Debian's python3.11-doc HTML
# (/usr/share/doc/python3.11/html: ~530 HTML pages plus their reStructuredText sources as
# .txt). Measures a cold build (chunks/s, peak RSS), an unchanged re-run, and the index size.
# Usage: bench/indexing/run.sh [BUILD_DIR]   (a Release build dir; default: build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CORPUS=/usr/share/doc/python3.11/html

if [ ! -d "$CORPUS" ]; then
  apt-get install -y python3.11-doc
fi
cmake --build "$BUILD" --target rag-index-driver -j2 >/dev/null
DRIVER="$BUILD/rag-index-driver"
OUT=$(mktemp -d /tmp/rag-bench-indexing.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export VECTOR_DB_PATH="$OUT/db"
unset AZURE_OPENAI_EMBEDDINGS_ENDPOINT OPENAI_BASE_URL EMBEDDINGS_MODEL || true

summary() { grep -o 'indexed .*' "$1" | tail -1; }
rate() {  # chunks per second from the summary line
  python3 - "$1" <<'PY'
import re, sys
line = open(sys.argv[1]).read()
m = re.findall(r"index: (\d+) documents, (\d+) chunks; time ([\d.]+) s", line)[-1]
docs, chunks, secs = int(m[0]), int(m[1]), float(m[2])
print(f"documents={docs} chunks={chunks} seconds={secs:.2f} chunks_per_s={chunks / secs:.0f}")
PY
}

echo "== cold build"
/usr/bin/time -f "peak_rss_kib=%M wall_s=%e" "$DRIVER" index "$CORPUS" >"$OUT/cold.log" 2>&1
summary "$OUT/cold.log"; rate "$OUT/cold.log"; tail -1 "$OUT/cold.log"
echo "== unchanged re-run"
/usr/bin/time -f "peak_rss_kib=%M wall_s=%e" "$DRIVER" index "$CORPUS" >"$OUT/warm.log" 2>&1
summary "$OUT/warm.log"; tail -1 "$OUT/warm.log"
echo "== index size"
du -b "$VECTOR_DB_PATH"/index.sqlite "$VECTOR_DB_PATH"/build_info.json
du -b "$CORPUS" --exclude=_static --exclude=_images | tail -1 | sed 's/^/corpus_bytes=/'

# With the fake embedder (tests/fakes, 0 ms latency, 64 dimensions) when it is built here:
# the same corpus, every chunk embedded through the real OpenAI-compatible adapter.
FAKE="$BUILD/fake-upstream"
if [ -x "$FAKE" ]; then
  echo "== cold build with the fake embedder (EMBED_BATCH_SIZE=16, EMBED_CONCURRENCY=4)"
  coproc FAKEPROC { exec "$FAKE" --port 0 --dim 64 --threads 1; }
  read -r line <&"${FAKEPROC[0]}"
  port=${line##*:}
  export VECTOR_DB_PATH="$OUT/db-embedded" OPENAI_BASE_URL="http://127.0.0.1:$port/v1" \
         OPENAI_API_KEY=bench EMBEDDINGS_MODEL=fake-embedding
  /usr/bin/time -f "peak_rss_kib=%M wall_s=%e" "$DRIVER" index "$CORPUS" >"$OUT/emb.log" 2>&1
  kill "$FAKEPROC_PID"
  summary "$OUT/emb.log"; rate "$OUT/emb.log"; tail -1 "$OUT/emb.log"
  du -b "$VECTOR_DB_PATH"/index.sqlite
else
  echo "(fake-upstream not built in $BUILD: skipping the embedded run)"
fi
