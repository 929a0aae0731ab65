#!/usr/bin/env bash
# Retrieval quality, one table (docs/BENCHMARKS.md, "Retrieval quality"): this project's search
# lexical and hybrid, and plain BM25 as a reference, on
#   - the bundled docs/ with bench/quality/docs_questions.jsonl (answerable; odd lines tuned
#     on, even lines held out) and docs_unanswerable.jsonl (the documents do not answer them);
#   - a BEIR collection, when given (SciFact: the train split, BEIR layout, not in this
#     repository: https://github.com/beir-cellar/beir, or any folder of that layout).
# Hybrid uses the test embeddings of tests/fakes (hashed words, dimension 1536): no real model
# is reachable from CI; "dense only" is FUSION_DENSE_WEIGHT=1.
#
#   bench/quality/run.sh [BEIR_DIR [SPLIT=train]]
# Needs build/rag-server and build/fake-upstream (scripts/setup.sh builds both).
set -euo pipefail
cd "$(dirname "$0")/../.."
beir=${1:-}; split=${2:-train}
bin=build/rag-server
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# eval LABEL COLLECTION [args...] → one JSON summary line in $work/rows
row() {
  local label=$1; shift
  "$bin" eval "$@" --json 2>"$work/eval.err" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); s=r["summary"]; s["label"]=sys.argv[1]; print(json.dumps(s))' \
      "$label" >> "$work/rows" || { cat "$work/eval.err" >&2; exit 1; }
}
reference() {
  local label=$1; shift
  python3 bench/quality/bm25_reference.py "$@" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); s["label"]=sys.argv[1]; print(json.dumps(s))' \
      "$label" >> "$work/rows"
}
docs_rows() {  # MODE [eval args...]
  local mode=$1; shift
  for half in odd even; do
    awk -v h=$half '(h == "odd") == (NR % 2 == 1)' bench/quality/docs_questions.jsonl > "$work/q-$half.jsonl"
    row "docs questions ($half half) | $mode" "$work/q-$half.jsonl" --corpus docs "$@"
  done
  row "docs unanswerable | $mode" bench/quality/docs_unanswerable.jsonl --corpus docs "$@"
}

docs_rows lexical --lexical
if [ -n "$beir" ]; then row "$(basename "$beir") $split | lexical" "$beir" --split "$split" --lexical; fi

"$PWD/build/fake-upstream" --port 0 --dim 1536 > "$work/fake.out" &
until grep -q listening "$work/fake.out"; do sleep 0.05; done
port=$(sed 's/.*://' "$work/fake.out")
export OPENAI_BASE_URL="http://127.0.0.1:$port/v1" OPENAI_API_KEY=bench EMBEDDINGS_MODEL=fake-embedding
export EMBED_BATCH_SIZE=64
docs_rows "hybrid (test embeddings)"
docs_rows "dense only (test embeddings)" --fusion-dense-weight 1
if [ -n "$beir" ]; then
  row "$(basename "$beir") $split | hybrid (test embeddings)" "$beir" --split "$split"
  row "$(basename "$beir") $split | dense only (test embeddings)" "$beir" --split "$split" --fusion-dense-weight 1
fi

for half in odd even; do
  reference "docs questions ($half half) | plain BM25 (pages)" questions "$work/q-$half.jsonl" docs
done
reference "docs unanswerable | plain BM25 (pages)" questions bench/quality/docs_unanswerable.jsonl docs
if [ -n "$beir" ]; then reference "$(basename "$beir") $split | plain BM25" beir "$beir" --split "$split"; fi

python3 - "$work/rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows.sort(key=lambda r: r["label"].split(" | ")[0])
print("| set | ranker | nDCG@10 | R@5 | R@10 | R@100 | MRR@10 | no result | unanswerable answered |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    where, ranker = r["label"].split(" | ")
    if r["queries"]:
        cells = [f'{r[k]:.3f}' for k in ("ndcg@10", "recall@5", "recall@10", "recall@100", "mrr@10")]
        cells.append(f'{100 * r["no_result"]:.1f} % of {r["queries"]}')
    else:
        cells = ["", "", "", "", "", ""]
    cells.append(f'{r["unanswerable_answered"]} of {r["unanswerable"]}' if r["unanswerable"] else "")
    print(f"| {where} | {ranker} | " + " | ".join(cells) + " |")
PY
