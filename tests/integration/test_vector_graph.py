"""The approximate vector index stored by `rag-server index` (retrieval/stored_graph.hpp;
docs/index.md "Large indexes"): `index` builds it once per index generation into
VECTOR_DB_PATH/vectors.faiss when the index holds HNSW_MIN_VECTORS vectors or more (IVF), or of
the kind VECTOR_INDEX names; `serve` loads it instead of building it, searches exactly while it
is missing, stale or of another kind, and picks it up by itself once `index` stores it. After a
small edit `index` stores only the changes since the stored IVF index (vectors-changes.idx), and
a running server swaps them in over the base it already holds; past a tenth of the base, the
base is rewritten from its lists (the unchanged vectors' codes kept) instead of built again.

HNSW_MIN_VECTORS=2 makes the small corpus "large"; the fake upstream provides the vectors.
Readiness is observed through the server's log lines, never slept for.
"""
import os
import signal
import unittest

import harness
import test_chat_support as chat

STORED = (r"Index loaded: \d+ chunks, (\d+) with vectors "
          r"\(IVF vector index as stored by rag-server index\)")
EXACT = r"Vector search is exact until rag-server index stores the vector index"


class StoredGraph(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = chat.tempdir()
        cls.fake = chat.FakeUpstream()
        cls.docs = os.path.join(cls.tmp.name, "docs")
        os.makedirs(cls.docs)
        for name, text in chat.DOCS.items():
            with open(os.path.join(cls.docs, name), "w", encoding="utf-8") as f:
                f.write(text)
        cls.db = os.path.join(cls.tmp.name, "vector_db")
        cls.graph = os.path.join(cls.db, "vectors.faiss")
        cls.env = {"VECTOR_DB_PATH": cls.db, "HNSW_MIN_VECTORS": "2", "RATE_LIMIT_SEARCH": "off",
                   **cls.fake.openai_env()}

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.tmp.cleanup()

    def index(self):
        done = harness.run_cli(["index", self.docs], env=self.env, cwd=self.tmp.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stderr

    def search(self, server):
        status, _, body = server.post_json("/search", {"query": "which port does the server use"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["results"][0]["citation_url"], "/config")

    def test_index_stores_the_graph_and_serve_loads_it_until_it_is_stale(self):
        # An HNSW graph left by an older version is removed, not left to rot beside the index.
        os.makedirs(self.db, exist_ok=True)
        with open(os.path.join(self.db, "vectors.hnsw"), "wb") as f:
            f.write(b"rag-server vector index 1\n")
        log = self.index()
        self.assertIn("Stored the IVF vector index in", log)
        self.assertFalse(os.path.exists(os.path.join(self.db, "vectors.hnsw")))
        self.assertTrue(os.path.exists(self.graph))
        with open(self.graph, "rb") as f:
            self.assertEqual(f.readline(), b"rag-server vector index 4\n")
        stamp = os.stat(self.graph).st_mtime_ns
        again = self.index()  # nothing changed: the stored graph is kept as it is
        self.assertNotIn("Building the IVF vector index", again)
        self.assertEqual(os.stat(self.graph).st_mtime_ns, stamp)

        server = harness.Server(env=self.env)
        try:
            vectors = int(server.stderr.wait_for(STORED).group(1))
            self.assertGreaterEqual(vectors, 2)
            self.assertEqual(server.stderr.count(EXACT), 0)
            self.search(server)
            self.assertIn("(IVF vector index)", server.get_json("/readyz")[2]["checks"]["index"])

            # Without its graph (deleted, or left behind by a killed indexer) the server
            # searches exactly and says why, instead of building the graph for minutes.
            os.remove(self.graph)
            server.signal(signal.SIGHUP)
            server.stderr.wait_for(EXACT)
            self.search(server)
            status, _, ready = server.get_json("/readyz")
            self.assertEqual(status, 200, ready)
            self.assertIn("exact search until rag-server index stores the vector index",
                          ready["checks"]["index"])

            # `index` stores it again (no document changed) and the server picks it up alone.
            self.assertIn("Stored the IVF vector index in", self.index())
            server.stderr.wait_for(STORED, count=2, timeout=30)
            self.search(server)
        finally:
            server.stop()

    def test_a_small_edit_stores_the_changes_which_a_running_server_swaps_in(self):
        docs = os.path.join(self.tmp.name, "many_docs")
        os.makedirs(docs)
        for i in range(40):
            with open(os.path.join(docs, f"page{i:02}.md"), "w", encoding="utf-8") as f:
                f.write(f"# Page {i}\n\nThis page describes part {i} of the handbook in a paragraph "
                        "long enough to be kept as a chunk of its own by the splitter.\n")
        db = os.path.join(self.tmp.name, "many_db")
        env = dict(self.env, VECTOR_DB_PATH=db)
        base, changes = os.path.join(db, "vectors.faiss"), os.path.join(db, "vectors-changes.idx")
        index = lambda: harness.run_cli(["index", docs], env=env, cwd=self.tmp.name)
        done = index()
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Building the IVF vector index over 40 vectors", done.stderr)
        written = os.stat(base).st_mtime_ns
        server = harness.Server(env=dict(env, IVF_PROBES="1000"))
        try:
            self.assertEqual(int(server.stderr.wait_for(STORED).group(1)), 40)
            with open(os.path.join(docs, "page07.md"), "w", encoding="utf-8") as f:
                f.write("# Page 7\n\nThe zeppelin setting names the airship that carries the "
                        "logs to the archive at the end of every day.\n")
            done = index()
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("Building the IVF vector index", done.stderr)
            self.assertRegex(done.stderr, r"Stored the IVF vector index changes in "
                                          r".*vectors-changes\.idx \(40 vectors: 1 added and 1 "
                                          r"removed since the base")
            self.assertEqual(os.stat(base).st_mtime_ns, written)  # the base is kept as it is
            self.assertEqual(int(server.stderr.wait_for(STORED, count=2, timeout=30).group(1)), 40)
            self.assertEqual(server.stderr.count(EXACT), 0)
            status, _, body = server.post_json("/search", {"query": "zeppelin airship logs"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/page07")

            # Past a tenth of the base since it was written, the base is rewritten from its
            # lists and the changes file goes.
            for i in range(10, 15):
                with open(os.path.join(docs, f"page{i:02}.md"), "a", encoding="utf-8") as f:
                    f.write("An added sentence about the quarterly budget review.\n")
            done = index()
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("Building the IVF vector index", done.stderr)
            self.assertRegex(done.stderr, r"Stored the IVF vector index in .* \(40 vectors: 6 "
                                          r"added and 6 removed since the base, over a tenth")
            self.assertFalse(os.path.exists(changes))
            server.stderr.wait_for(STORED, count=3, timeout=30)
            status, _, body = server.post_json("/search", {"query": "zeppelin airship logs"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/page07")
        finally:
            server.stop()

    def test_below_the_threshold_no_index_is_stored(self):
        env = dict(self.env, HNSW_MIN_VECTORS="100000",
                   VECTOR_DB_PATH=os.path.join(self.tmp.name, "small_db"))
        done = harness.run_cli(["index", self.docs], env=env, cwd=self.tmp.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("vector index", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(env["VECTOR_DB_PATH"], "vectors.faiss")))

    def test_the_kind_is_a_setting_and_a_server_set_for_another_waits_for_its_own(self):
        env = dict(self.env, VECTOR_INDEX="hnsw",
                   VECTOR_DB_PATH=os.path.join(self.tmp.name, "hnsw_db"))
        done = harness.run_cli(["index", self.docs], env=env, cwd=self.tmp.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Stored the HNSW vector index in", done.stderr)
        # A server set for IVF does not search the HNSW graph as if it were what it asked for:
        # it searches exactly and says what the file holds.
        server = harness.Server(env=dict(env, VECTOR_INDEX="ivf"))
        try:
            server.stderr.wait_for(EXACT + r".* was built for other vectors \(HNSW index of "
                                   r"vectors.*; the index has IVF index of vectors")
            self.search(server)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
