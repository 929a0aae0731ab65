#!/usr/bin/env python3
"""Plain BM25 as a reference for bench/quality: whole documents, lower-cased alphanumeric words,
no stemming, no stop words, no fields, no score floor (every query gets its ranking). Python's
standard library only, independent of the server's code.

  bm25_reference.py beir DIR [--split train] [--k1 0.9 --b 0.4]
  bm25_reference.py questions FILE DOCS_DIR   # pages = DOCS_DIR's .md files, .ragignore honoured

Prints one JSON object: the metrics of rag-server eval (nDCG@10, recall@5/10/100, MRR@10,
no_result, unanswerable_answered), computed the same way.
"""
import argparse
import fnmatch
import json
import math
import os
import re
from collections import Counter, defaultdict

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text):
    return WORD.findall(text.lower())


class Bm25:
    def __init__(self, docs, k1, b):
        self.ids = list(docs)
        self.tf = [Counter(words(docs[i])) for i in self.ids]
        self.len = [sum(t.values()) for t in self.tf]
        self.avg = sum(self.len) / max(1, len(self.len))
        self.df = Counter(t for tf in self.tf for t in tf)
        self.post = defaultdict(list)
        for n, tf in enumerate(self.tf):
            for t, c in tf.items():
                self.post[t].append((n, c))
        self.k1, self.b = k1, b

    def rank(self, query, depth=100):
        n_docs = len(self.ids)
        acc = defaultdict(float)
        for t in set(words(query)):
            n = self.df.get(t, 0)
            if not n:
                continue
            idf = math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
            for d, c in self.post[t]:
                norm = self.k1 * (1 - self.b + self.b * self.len[d] / self.avg)
                acc[d] += idf * c * (self.k1 + 1) / (c + norm)
        best = sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))[:depth]
        return [self.ids[d] for d, _ in best]


def metrics(ranked, relevant):
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    mrr = next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in relevant), 0.0)
    recall = {k: len(set(ranked[:k]) & relevant) / len(relevant) for k in (5, 10, 100)}
    return {"ndcg@10": dcg / idcg, "recall@5": recall[5], "recall@10": recall[10],
            "recall@100": recall[100], "mrr@10": mrr, "no_result": float(not ranked)}


def summarise(index, queries):
    judged, unanswerable, answered = [], 0, 0
    for text, relevant in queries:
        ranked = index.rank(text)
        if relevant:
            judged.append(metrics(ranked, relevant))
        else:
            unanswerable += 1
            answered += bool(ranked)
    out = {k: sum(m[k] for m in judged) / max(1, len(judged)) for k in
           ("ndcg@10", "recall@5", "recall@10", "recall@100", "mrr@10", "no_result")}
    out.update(queries=len(judged), unanswerable=unanswerable, unanswerable_answered=answered)
    return out


def load_beir(folder, split):
    docs = {}
    with open(os.path.join(folder, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs[str(d["_id"])] = d.get("title", "") + "\n" + d.get("text", "")
    qrels = defaultdict(set)
    with open(os.path.join(folder, "qrels", split + ".tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            q, d, score = line.rstrip("\n").split("\t")
            if int(score) > 0:
                qrels[q].add(d)
    queries = []
    with open(os.path.join(folder, "queries.jsonl"), encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            if str(q["_id"]) in qrels:
                queries.append((q["text"], qrels[str(q["_id"])]))
    return docs, queries


def load_pages(folder):
    """docs/x.md → /x, docs/index.md → /; patterns of .ragignore (names or paths) skipped."""
    ignore = []
    path = os.path.join(folder, ".ragignore")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            ignore = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    pages = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), folder)
            if name.startswith(".") or not name.endswith(".md"):
                continue
            if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in ignore):
                continue
            url = "/" + rel[:-3]
            url = url[: -len("index")].rstrip("/") or "/" if url.endswith("index") else url
            with open(os.path.join(root, name), encoding="utf-8") as f:
                pages[url] = f.read()
    return pages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["beir", "questions"])
    parser.add_argument("path")
    parser.add_argument("docs", nargs="?")
    parser.add_argument("--split", default="train")
    parser.add_argument("--k1", type=float, default=0.9)
    parser.add_argument("--b", type=float, default=0.4)
    args = parser.parse_args()
    if args.kind == "beir":
        docs, queries = load_beir(args.path, args.split)
    else:
        docs = load_pages(args.docs)
        with open(args.path, encoding="utf-8") as f:
            queries = [(q["question"], set(q["pages"])) for q in map(json.loads, f) if q]
    print(json.dumps(summarise(Bm25(docs, args.k1, args.b), queries)))


if __name__ == "__main__":
    main()
