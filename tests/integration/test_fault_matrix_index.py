"""Upstream fault matrix, indexing column: `rag-server index` meets each embeddings fault on every
attempt while it embeds a new document into an index that already holds 64-d vectors.

Each cell checks: exit status 1 (embedding failed, lexical index saved: cli/index_cmd.cpp), one
`rag-server index:` line on stderr with no key in any output, the number of upstream attempts,
that the index stayed consistent (the earlier vectors and dimension intact, the new document's
chunks stored without a vector and found lexically, `rag-server search` still works) and that
the next run, with the upstream healthy, completes and embeds the rest. A single 413 instead
halves the batch and the run completes (docs/configuration.md, LLM_MAX_RETRIES). Observations go to
fault_matrix.json like the other test_fault_matrix*.py files.
"""
import json
import os
import shutil
import sqlite3
import tempfile
import time
import unittest

import harness
import test_fault_matrix_support as fm

N, H = fm.ATTEMPTS, fm.HANG_ATTEMPTS
# fault -> embeddings attempts of the failing run (exit status 1 for every fault).
INDEX = {
    "429 + Retry-After: 1": N,
    "429 + Retry-After: 600": 1,
    "429, no Retry-After": N,
    "500": N,
    "503": N,
    "400": 1,
    "401": 1,
    "hang": H,
    "connection reset": N,
    "body cut short": N,
    "reset mid-body": N,
    "malformed JSON": 1,
    "wrong dimension": 1,
}

NEW_DOC = """---
title: Quokkas
url: /quokkas
---
# Quokkas

Quokkas are small marsupials that live on Rottnest Island; this paragraph exists so that the
index gains chunks which the failing run has to embed, and which a lexical search finds.

# Habitat

Their island has no foxes, so quokkas thrive there; a second section gives the new document a
second chunk, so the embeddings request carries two inputs and can be halved on a 413.
"""


def index_counts(db):
    """(documents, chunks, chunks with a vector, embedding_dimension) read from the SQLite file."""
    conn = sqlite3.connect(f"file:{os.path.join(db, 'index.sqlite')}?mode=ro", uri=True)
    try:
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks, embedded = conn.execute("SELECT count(*), count(embedding) FROM chunks").fetchone()
        dim = conn.execute("SELECT value FROM meta WHERE key = 'embedding_dimension'").fetchone()
        return docs, chunks, embedded, dim[0] if dim else None
    finally:
        conn.close()


class IndexFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = fm.Environment(servers=False)
        cls.docs = os.path.join(cls.env.tmp.name, "docs-plus")
        shutil.copytree(cls.env.docs, cls.docs)
        with open(os.path.join(cls.docs, "quokkas.md"), "w", encoding="utf-8") as f:
            f.write(NEW_DOC)
        cls.base = index_counts(cls.env.db)

    @classmethod
    def tearDownClass(cls):
        problems = cls.env.close()
        if problems:
            raise AssertionError("\n".join(problems))

    def cli(self, args, db, fault=None):
        retry = (fm.retry_env(H, fm.HANG_TIMEOUT_S) if fault == "hang"
                 else fm.retry_env(N, fm.MAIN_TIMEOUT_S))
        env = {"VECTOR_DB_PATH": db, **fm.upstream_env(self.env.fake), **retry}
        return harness.run_cli(args, env=env, cwd=self.env.tmp.name, timeout=fm.CLIENT_TIMEOUT)

    def search(self, db, query):
        done = self.cli(["search", query, "--json", "-k", "3"], db)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        return [r["citation_url"] for r in json.loads(done.stdout)["results"]]

    def run_index(self, fault):
        fake = self.env.fake
        db = tempfile.mkdtemp(prefix="db-", dir=self.env.tmp.name)
        shutil.rmtree(db)
        shutil.copytree(self.env.db, db)
        fake.reset()
        fake.script([dict(fm.FAULTS[fault], match=fm.EMBED_MATCH)] * 8)
        started = time.monotonic()
        done = self.cli(["index", self.docs], db, fault)
        seconds = time.monotonic() - started
        attempts = len([r for r in fake.requests() if fm.EMBED_MATCH in r["path"]])
        fake.reset()
        output = done.stdout + done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("rag-server index:")]
        observation = {"operation": "index (embeddings)", "fault": fault, "upstream": "embeddings",
                       "fake_fault": fm.FAULTS[fault],
                       "config": f"LLM_MAX_RETRIES={H if fault == 'hang' else N}",
                       "status": f"exit {done.returncode}",
                       "body": lines[0] if len(lines) == 1 else lines,
                       "attempts": attempts, "seconds": round(seconds, 3), "breaker_after": "n/a",
                       "next_request_ok": False, "notes": [],
                       "expected": {"status": "exit 1", "attempts": INDEX[fault]}}
        self.env.observations.append(observation)

        # Consistent whatever the exit status: old vectors and dimension intact, the new
        # document stored lexically, `rag-server search` works.
        docs, chunks, embedded, dim = index_counts(db)
        observation["notes"].append(f"index after: {docs} documents, {chunks} chunks, "
                                    f"{embedded} with vectors (before: {self.base[2]})")
        base_docs, base_chunks, base_embedded, base_dim = self.base
        self.assertEqual((docs, embedded, dim), (base_docs + 1, base_embedded, base_dim))
        self.assertGreater(chunks, base_chunks)
        self.assertEqual(self.search(db, "quokkas marsupials Rottnest")[0], "/quokkas")
        self.assertEqual(self.search(db, fm.QUESTION)[0], "/config")
        # The next run with a healthy upstream embeds the rest.
        again = self.cli(["index", self.docs], db)
        self.assertEqual(again.returncode, 0, again.stderr[-3000:])
        self.assertEqual(index_counts(db)[1:3], (chunks, chunks))
        observation["next_request_ok"] = True

        self.assertNotIn(fm.KEY, output)
        self.assertEqual(len(lines), 1, done.stderr[-3000:])
        self.assertEqual(done.returncode, 1, done.stderr[-3000:])
        self.assertIn("embedding failed", lines[0])
        self.assertEqual(attempts, INDEX[fault])


    def test_413_once_halves_the_batch_and_completes(self):
        fake = self.env.fake
        db = os.path.join(self.env.tmp.name, "db-413")
        shutil.copytree(self.env.db, db)
        fake.reset()
        fake.script([dict(fm.FAULTS["413 once (batch halves)"], match=fm.EMBED_MATCH)])
        done = self.cli(["index", self.docs], db)
        sent = [len(json.loads(r["body"])["input"]) for r in fake.requests()
                if fm.EMBED_MATCH in r["path"]]
        fake.reset()
        docs, chunks, embedded, _ = index_counts(db)
        self.env.observations.append({
            "operation": "index (embeddings)", "fault": "413 once (batch halves)",
            "upstream": "embeddings", "fake_fault": fm.FAULTS["413 once (batch halves)"],
            "config": f"LLM_MAX_RETRIES={N}", "status": f"exit {done.returncode}",
            "body": "(no error line)", "attempts": len(sent), "breaker_after": "n/a",
            "next_request_ok": embedded == chunks, "expected": {"status": "exit 0"},
            "notes": [f"inputs per request: {sent}", f"index after: {chunks} chunks, "
                      f"{embedded} with vectors"]})
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        self.assertEqual(sent, [2, 1, 1])
        self.assertEqual(embedded, chunks)


for _fault in INDEX:
    _name = "test_" + "".join(c if c.isalnum() else "_" for c in _fault.lower()).strip("_")
    setattr(IndexFaults, _name, lambda self, f=_fault: self.run_index(f))


if __name__ == "__main__":
    unittest.main()
