#!/usr/bin/env python3
"""SQLite FTS5 over the passages of a corpus made by make_corpus.py: a reference for what a
lexical top-10 query costs on this machine, next to rag-server's own figures (run.sh).

What it does:
- build: one FTS5 table (title, section, body), Porter stemming over unicode61 with diacritics
  folded (the closest of SQLite's tokenizers to the server's Snowball English one), filled with
  the same passages that `rag-server index` makes chunks of (make_corpus.passages(): the
  splitter's rule for that layout), in one transaction, then merged into one segment
  ('optimize', as a bulk-built index would be). The time covers reading the Markdown too.
- query: each query's words, lower-cased, minus NLTK's English stop words (the server drops
  the same list, src/retrieval/README.md), as an OR of quoted terms; top 10 by
  bm25(title 3, section 2, body 1) (the server's BM25F field weights); rowid and score only.
  One thread, one pass over the queries after a short warm-up, stopped after --time-budget
  seconds (a million passages makes an OR query of common words cost hundreds of milliseconds);
  the time per query is the execute-and-fetch time.

Prints one JSON object on stdout (build_s, db_bytes, passages, queries, qps, p50_ms, p99_ms,
mean_terms) and a readable line on stderr.

  fts5_reference.py --corpus DIR --queries queries.jsonl --db PATH [--max-queries N]
                    [--time-budget 60]
"""
import argparse
import json
import os
import re
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_corpus import passages  # noqa: E402

# NLTK's English stop-word list without "no", "nor", "not" (as the server has it).
STOP_WORDS = set("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be been
being have has had having do does did doing a an the and but if or because as until while of at
by for with about against between into through during before after above below to from up down
in out on off over under again further then once here there when where why how all any both
each few more most other some such only own same so than too very s t can will just don
don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn
doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn
needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())
WORD = re.compile(r"\w+(?:'\w+)?")
WARM_UP = 20


def fts_query(text):
    terms = []
    for w in WORD.findall(text.lower()):
        if w not in STOP_WORDS and w not in terms:
            terms.append(w)
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms), len(terms)


def build(corpus, db_path):
    for suffix in ("", "-journal", "-wal"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    t0 = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE VIRTUAL TABLE p USING fts5(title, section, body, "
               "tokenize='porter unicode61 remove_diacritics 2')")
    n = 0
    with db:
        rows = ((title, section, body) for _, title, section, body in passages(corpus))
        db.executemany("INSERT INTO p(title, section, body) VALUES (?, ?, ?)", rows)
        n = db.execute("SELECT count(*) FROM p").fetchone()[0]
    with db:
        db.execute("INSERT INTO p(p) VALUES ('optimize')")
    build_s = time.perf_counter() - t0
    return db, n, build_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True, help="a folder written by make_corpus.py")
    ap.add_argument("--queries", required=True, help="a BEIR queries.jsonl (its \"text\" field)")
    ap.add_argument("--db", required=True, help="the SQLite file to build (replaced)")
    ap.add_argument("--max-queries", type=int, default=0, help="0: all")
    ap.add_argument("--time-budget", type=float, default=60, help="seconds of querying at most")
    args = ap.parse_args()

    with open(args.queries, encoding="utf-8") as f:
        queries = [json.loads(line)["text"] for line in f if line.strip()]
    if args.max_queries:
        queries = queries[: args.max_queries]
    db, n, build_s = build(args.corpus, args.db)
    db_bytes = os.path.getsize(args.db)

    sql = "SELECT rowid, bm25(p, 3.0, 2.0, 1.0) AS s FROM p WHERE p MATCH ? ORDER BY s LIMIT 10"
    prepared = [fts_query(q) for q in queries]
    prepared = [(m, k) for m, k in prepared if k]
    for m, _ in prepared[:WARM_UP]:
        db.execute(sql, (m,)).fetchall()
    times = []
    t0 = time.perf_counter()
    for m, _ in prepared:
        t = time.perf_counter()
        db.execute(sql, (m,)).fetchall()
        times.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() - t0 > args.time_budget:
            break
    total = time.perf_counter() - t0
    times.sort()
    result = {
        "passages": n,
        "build_s": round(build_s, 2),
        "db_bytes": db_bytes,
        "queries": len(times),
        "mean_terms": round(statistics.mean(k for _, k in prepared), 1),
        "qps": round(len(times) / total, 1),
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
    }
    print(json.dumps(result))
    print(f"FTS5: {n} passages, built in {result['build_s']} s, {db_bytes / 1e6:.0f} MB; "
          f"{result['queries']} queries ({result['mean_terms']} terms each on average): "
          f"{result['qps']} q/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
          file=sys.stderr)


if __name__ == "__main__":
    main()
