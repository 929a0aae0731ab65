"""`rag-server index` end to end: incremental runs over a real folder, and `kill -9` in the
middle of a large run leaves a consistent index that the next run completes.

Uses RAG_SERVER_BIN when its `index` subcommand is available, else the standalone
`rag-index-driver` (same cli/index_cmd.cpp) from RAG_BUILD_DIR.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

DEADLINE_S = 120


def find_binary():
    server = os.environ.get("RAG_SERVER_BIN")
    if server and os.path.exists(server):
        probe = subprocess.run([server, "index", "--help"], capture_output=True, text=True)
        if probe.returncode == 0 and "--chunk-paragraphs" in probe.stdout:
            return [server]
    build = os.environ.get("RAG_BUILD_DIR", "")
    driver = os.path.join(build, "rag-index-driver")
    if os.path.exists(driver):
        return [driver]
    return None


BIN = find_binary()


def paragraph(seed, i):
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
             "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]
    body = " ".join(words[(seed * 7 + i * 3 + k) % len(words)] for k in range(24))
    return f"Paragraph {i} of document {seed}: {body}."


def write_doc(root, n, variant=""):
    sub = os.path.join(root, f"part{n % 10}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"doc{n:05d}.md"), "w") as f:
        f.write(f"# Document {n}{variant}\n\n")
        for i in range(7):
            f.write(paragraph(n, i) + variant + "\n\n")


def check_consistent(db_path):
    """The invariants a reader relies on; returns (documents, chunks)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = con.execute("SELECT count(*) FROM chunks WHERE document_id NOT IN "
                              "(SELECT id FROM documents)").fetchone()[0]
        assert orphans == 0, f"{orphans} chunks without a document"
        empty = con.execute("SELECT count(*) FROM documents d WHERE NOT EXISTS "
                            "(SELECT 1 FROM chunks c WHERE c.document_id = d.id)").fetchone()[0]
        assert empty == 0, f"{empty} documents without chunks"
        gaps = con.execute("SELECT count(*) FROM (SELECT document_id, max(seq) + 1 AS m, "
                           "count(*) AS n FROM chunks GROUP BY document_id) WHERE m != n").fetchone()[0]
        assert gaps == 0, f"{gaps} documents with missing chunk positions"
        for (meta,) in con.execute("SELECT metadata FROM chunks LIMIT 50"):
            keys = set(json.loads(meta))
            assert {"source", "section", "section_level", "length", "content_hash",
                    "citation_url", "page_title", "page_description", "source_file"} <= keys
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = con.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return docs, chunks
    finally:
        con.close()


@unittest.skipIf(BIN is None, "neither rag-server with `index` nor rag-index-driver is built")
class IndexCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rag_index_cli_")
        self.corpus = os.path.join(self.tmp, "corpus")
        os.makedirs(self.corpus)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith(("AZURE_OPENAI", "OPENAI_")) or k in ("EMBEDDINGS_MODEL",):
                del self.env[k]

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_index(self, db, *extra):
        env = dict(self.env, VECTOR_DB_PATH=db)
        return subprocess.run(BIN + ["index", self.corpus, *extra], env=env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=DEADLINE_S)

    def test_incremental_add_change_delete(self):
        db = os.path.join(self.tmp, "db")
        for n in range(5):
            write_doc(self.corpus, n)
        with open(os.path.join(self.corpus, "broken.pdf"), "w") as f:
            f.write("not a pdf")
        r = self.run_index(db)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("broken.pdf", out)  # reported, not fatal
        self.assertRegex(out, r"chunks: \d+ added, 0 kept, 0 removed")
        docs, chunks = check_consistent(os.path.join(db, "index.sqlite"))
        self.assertEqual(docs, 5)
        with open(os.path.join(db, "build_info.json")) as f:
            info = json.load(f)
        self.assertEqual(info["total_chunks"], chunks)
        self.assertEqual(info["total_documents"], 5)

        write_doc(self.corpus, 5)                 # add
        write_doc(self.corpus, 1, " (revised)")   # change
        os.remove(os.path.join(self.corpus, "part2", "doc00002.md"))  # delete
        r = self.run_index(db)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("2 new or changed", out)
        self.assertIn("1 removed", out)
        docs, _ = check_consistent(os.path.join(db, "index.sqlite"))
        self.assertEqual(docs, 5)

    def test_exclude_skips_matching_entries(self):
        db = os.path.join(self.tmp, "db")
        for n in range(4):
            write_doc(self.corpus, n)
        names = sorted(os.path.relpath(os.path.join(d, f), self.corpus)
                       for d, _, files in os.walk(self.corpus) for f in files)
        # Each --exclude takes one glob; the PATH after it is still a PATH.
        env = dict(self.env, VECTOR_DB_PATH=db)
        r = subprocess.run(BIN + ["index", "--exclude", "doc00001.md", self.corpus,
                                  "--exclude", "part2/*"],
                           env=env, cwd=self.tmp, capture_output=True, text=True,
                           timeout=DEADLINE_S)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with sqlite3.connect(os.path.join(db, "index.sqlite")) as conn:
            sources = sorted(row[0] for row in conn.execute("SELECT path FROM documents"))
        expected = sorted("corpus/" + n for n in names
                          if not n.endswith("doc00001.md") and not n.startswith("part2/"))
        self.assertTrue(expected)
        self.assertLess(len(expected), len(names))
        self.assertEqual(sources, expected)
        check_consistent(os.path.join(db, "index.sqlite"))

    def test_missing_path_is_fatal_and_flags_are_validated(self):
        db = os.path.join(self.tmp, "db")
        env = dict(self.env, VECTOR_DB_PATH=db)
        r = subprocess.run(BIN + ["index", os.path.join(self.tmp, "nope")], env=env,
                           capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(r.returncode, 2)
        write_doc(self.corpus, 0)
        r = self.run_index(db, "--chunk-paragraphs", "2", "--chunk-overlap", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--chunk-overlap", r.stdout + r.stderr)

    def test_embeddings_through_fake_upstream_and_unchanged_chunks_keep_vectors(self):
        fake = os.path.join(os.environ.get("RAG_BUILD_DIR", ""), "fake-upstream")
        if not os.path.exists(fake):
            self.skipTest("fake-upstream is not built")
        proc = subprocess.Popen([fake, "--port", "0", "--dim", "64"], stdout=subprocess.PIPE,
                                text=True)
        try:
            port = int(proc.stdout.readline().rsplit(":", 1)[1])
            self.env.update(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
                            OPENAI_API_KEY="test-key", EMBEDDINGS_MODEL="fake-embedding",
                            EMBED_BATCH_SIZE="4", EMBED_CONCURRENCY="2")
            for n in range(5):
                write_doc(self.corpus, n)
            db = os.path.join(self.tmp, "db")
            r = self.run_index(db)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            _, chunks = check_consistent(os.path.join(db, "index.sqlite"))
            self.assertIn(f"embeddings: {chunks} made", r.stdout + r.stderr)
            with open(os.path.join(db, "build_info.json")) as f:
                self.assertEqual(json.load(f)["embedding_dimension"], 64)

            def vectors():
                con = sqlite3.connect(f"file:{os.path.join(db, 'index.sqlite')}?mode=ro", uri=True)
                rows = dict(con.execute("SELECT content_hash, embedding FROM chunks "
                                        "WHERE embedding_model = 'fake-embedding'").fetchall())
                total = con.execute("SELECT count(*) FROM chunks").fetchone()[0]
                con.close()
                return rows, total
            before, total = vectors()
            self.assertEqual(len(before), total)
            self.assertTrue(all(len(v) == 64 * 4 for v in before.values()))

            # Add a paragraph at the end of one document: one new chunk, the others unchanged.
            path = os.path.join(self.corpus, "part3", "doc00003.md")
            with open(path, "a") as f:
                f.write("An extra closing paragraph, long enough to pass the splitter's minimum "
                        "paragraph length, so that it makes one new chunk at the end.\n")
            r = self.run_index(db)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("embeddings: 1 made", r.stdout + r.stderr)
            after, total = vectors()
            self.assertEqual(len(after), total)
            kept = set(before) & set(after)
            self.assertEqual(len(kept), total - 1)
            for h in kept:
                self.assertEqual(before[h], after[h])
        finally:
            proc.terminate()
            proc.wait(timeout=DEADLINE_S)
            proc.stdout.close()

    def test_kill_9_mid_run_leaves_consistent_index_and_rerun_completes(self):
        for n in range(6000):
            write_doc(self.corpus, n)
        db = os.path.join(self.tmp, "db")
        env = dict(self.env, VECTOR_DB_PATH=db)
        proc = subprocess.Popen(BIN + ["index", self.corpus], env=env, cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        killed_at = None
        deadline = time.monotonic() + DEADLINE_S
        try:
            for line in proc.stdout:
                m = re.search(r"indexing files: (\d+)/(\d+)", line)
                if m and int(m.group(1)) * 100 >= 20 * int(m.group(2)):
                    killed_at = int(m.group(1))
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                self.assertLess(time.monotonic(), deadline)
        finally:
            proc.stdout.close()
            proc.wait(timeout=DEADLINE_S)
        self.assertIsNotNone(killed_at, "never saw a progress line at 20%")
        self.assertEqual(proc.returncode, -signal.SIGKILL,
                         "the run finished before the kill: corpus too small for this machine")

        docs, chunks = check_consistent(os.path.join(db, "index.sqlite"))
        self.assertGreater(docs, 0, "no batch was committed before the kill")
        self.assertLess(docs, 6000)

        r = subprocess.run(BIN + ["index", self.corpus], env=env, cwd=self.tmp,
                           capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertRegex(out, rf"\b{docs} unchanged\b")  # resumed, not redone
        docs2, chunks2 = check_consistent(os.path.join(db, "index.sqlite"))
        self.assertEqual(docs2, 6000)

        # Same content as an uninterrupted build.
        clean = os.path.join(self.tmp, "clean")
        r = self.run_index(clean)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        def texts(path):
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            rows = con.execute("SELECT d.path, c.seq, c.text FROM chunks c JOIN documents d "
                               "ON d.id = c.document_id ORDER BY d.path, c.seq").fetchall()
            con.close()
            return rows
        self.assertEqual(texts(os.path.join(db, "index.sqlite")),
                         texts(os.path.join(clean, "index.sqlite")))


if __name__ == "__main__":
    unittest.main()
