"""`rag-server import-faiss DIR`: a Python-design index folder built here at test time — documents.pkl
written by python3's own pickle (protocols 2 to 5), metadata.json, build_info.json and a
vector.index written by libfaiss itself (tests/support/migrate: faiss-fixture) — is imported, and
searches on the imported index rank exactly as FAISS ranks on the original file. Also: unsafe
pickles, count mismatches, lossy FAISS types and existing indexes are refused with nothing written,
and a killed import leaves no half index.

The query embedding is a known vector: the fake upstream's embedding of the query, fetched from the
fake itself; the chunk vectors are built around it with chosen cosines, and the chunk texts share no
word with the query, so BM25 finds nothing and the hybrid ranking is the dense one.
"""
import hashlib
import json
import math
import os
import pickle
import random
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness
from test_chat_support import FakeUpstream

FIXTURE_BIN = os.path.join(harness.BUILD_DIR, "faiss-fixture")
QUERY = "zebra quantum harbor"
WORDS = ["river", "garden", "lantern", "copper", "meadow", "violin", "orchard", "canyon", "pillow",
         "saddle", "tunnel", "marble", "ginger", "falcon", "velvet", "anchor"]
HIGH = [0.97 - 0.03 * j for j in range(14)]          # all kept by the adaptive filter
LOW = [0.25, 0.1, -0.1, -0.3, 0.0, 0.2]               # under SEARCH_MIN_SCORE (0.3)
DEADLINE_S = 120


def run_import(args, env=None):
    return harness.run_cli(["import-faiss"] + list(args), env=env, timeout=DEADLINE_S)


def faiss_fixture(*args):
    if not os.path.exists(FIXTURE_BIN):
        raise AssertionError(f"{FIXTURE_BIN} is not built (tests/support/migrate, target faiss-fixture)")
    r = subprocess.run([FIXTURE_BIN] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=DEADLINE_S)
    if r.returncode != 0:
        raise AssertionError("faiss-fixture failed: " + r.stderr)
    return r.stdout


def write_vectors(path, vectors):
    with open(path, "w") as f:
        f.write(f"{len(vectors)} {len(vectors[0]) if vectors else 1}\n")
        for v in vectors:
            f.write(" ".join("%.9g" % x for x in v) + "\n")


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def around(q, cosine, rng):
    """A unit vector whose cosine with the unit vector q is `cosine`."""
    r = [rng.gauss(0, 1) for _ in q]
    dot = sum(a * b for a, b in zip(r, q))
    u = unit([a - dot * b for a, b in zip(r, q)])
    s = math.sqrt(max(0.0, 1 - cosine * cosine))
    return [cosine * a + s * b for a, b in zip(q, u)]


def make_python_db(folder, texts, metadata, vectors, protocol=4, factory="Flat", metric="ip",
                   build_info=None, pickled=None):
    """Writes the Python design's four files into `folder`."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "documents.pkl"), "wb") as f:
        if pickled is not None:
            f.write(pickled)
        else:
            pickle.dump(texts, f, protocol=protocol)
    with open(os.path.join(folder, "metadata.json"), "w", encoding="utf-8") as f:
        json.dump(metadata, f, ensure_ascii=False)
    info = {"total_documents": len({m.get("source") for m in metadata}), "total_chunks": len(texts),
            "embedding_dimension": len(vectors[0]) if vectors else 0,
            "build_timestamp": "2024-01-15T10:30:45.123456"}
    info.update(build_info or {})
    with open(os.path.join(folder, "build_info.json"), "w") as f:
        json.dump(info, f)
    vec_file = os.path.join(folder, "vectors.txt")
    write_vectors(vec_file, vectors)
    faiss_fixture("write", vec_file, os.path.join(folder, "vector.index"), factory, metric)
    os.remove(vec_file)


def small_db(folder, n=6, dim=8, protocol=4, **kw):
    rng = random.Random(n)
    texts = [f"Paragraph {i} about the {WORDS[i % len(WORDS)]}." for i in range(n)]
    metadata = [{"source": f"docs/p{i % 2}.md", "chunk_id": i, "citation_url": f"/p{i % 2}",
                 "page_title": f"Page {i % 2}"} for i in range(n)]
    vectors = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(n)]
    make_python_db(folder, texts, metadata, vectors, protocol=protocol, **kw)
    return texts, metadata, vectors


def tree_digest(folder):
    """{name: sha256} of the files directly in `folder`."""
    out = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
        else:
            out[name + "/"] = "dir"
    return out


class Evil:
    """Pickles as a call to os.system: what a tampered documents.pkl would hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class ImportFaissTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstream()
        cls.env = cls.fake.openai_env()
        cls.query_vector = cls.embed(QUERY)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    @classmethod
    def embed(cls, text):
        body = json.dumps({"model": "fake-embedding", "input": [text]}).encode()
        req = urllib.request.Request(cls.fake.base + "/v1/embeddings", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as res:
            data = json.loads(res.read())["data"]
        return sorted(data, key=lambda d: d["index"])[0]["embedding"]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rag-import-it-")
        self.root = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    # -- the corpus whose ranking is known ---------------------------------------------------
    def ranked_db(self, folder, protocol):
        """20 chunks over 4 documents, interleaved (so grouping by document reorders rows), with
        chosen cosines to the query; one text object repeated (a memo reference in the pickle)."""
        rng = random.Random(7)
        cosines = HIGH + LOW
        rng.shuffle(cosines)
        texts, metadata, vectors = [], [], []
        for i, c in enumerate(cosines):
            w1, w2 = WORDS[i % len(WORDS)], WORDS[(i * 5 + 3) % len(WORDS)]
            texts.append(f"Passage {i} tells of the {w1} and the {w2}: na\u00efve caf\u00e9 "
                         f"\u2615 \u6771\u4eac {chr(0x1F600 + i)}.")
            metadata.append({"source": f"site/doc{i % 4}.md", "chunk_id": i, "length": len(texts[-1]),
                             "section": f"Part {i}", "section_level": "h2",
                             "citation_url": f"/doc{i % 4}", "page_title": f"Doc {i % 4}",
                             "page_description": "", "python_id": i})
            vectors.append(around(self.query_vector, c, rng))
        texts[-1] = texts[0]  # the same str object twice: pickle writes a memo reference
        make_python_db(folder, texts, metadata, vectors, protocol=protocol)
        return texts

    def faiss_ranking(self, folder, k):
        qfile = os.path.join(self.root, "query.txt")
        with open(qfile, "w") as f:
            f.write(" ".join("%.9g" % x for x in self.query_vector) + "\n")
        out = faiss_fixture("search", os.path.join(folder, "vector.index"), qfile, k)
        hits = [line.split() for line in out.splitlines()]
        return [(int(i), float(s)) for i, s in hits]

    @staticmethod
    def expected(faiss_hits, min_score=0.3):
        """FAISS's ranking through the adaptive filter (src/retrieval/README.md): drop under the
        floor, keep those at least half the best."""
        kept = [(i, s) for i, s in faiss_hits if s >= min_score]
        return [(i, s) for i, s in kept if s >= kept[0][1] / 2] if kept else []

    def assert_same_ranking(self, results, faiss_hits):
        want = self.expected(faiss_hits)
        got = [(r["metadata"]["python_id"], r["score"]) for r in results]
        self.assertEqual([i for i, _ in got], [i for i, _ in want], f"search {got}\nfaiss {want}")
        for (_, a), (_, b) in zip(got, want):
            self.assertAlmostEqual(a, b, delta=1e-4)

    def test_ranking_matches_faiss_for_pickle_protocols_2_to_5(self):
        for protocol in (2, 3, 4, 5):
            with self.subTest(protocol=protocol):
                src = os.path.join(self.root, f"python_p{protocol}")
                out = os.path.join(self.root, f"imported_p{protocol}")
                texts = self.ranked_db(src, protocol)
                before = tree_digest(src)
                r = run_import([src, "--out", out], env=self.env)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("imported 20 chunks (4 documents)", r.stdout)
                self.assertIn(f"dimension {len(self.query_vector)}", r.stdout)
                self.assertIn("model 'fake-embedding'", r.stdout)
                self.assertEqual(tree_digest(src), before, "the Python files must not change")
                for k in (10, 20):
                    s = harness.run_cli(["search", QUERY, "-k", str(k), "--json"],
                                        env=dict(self.env, VECTOR_DB_PATH=out), timeout=DEADLINE_S)
                    self.assertEqual(s.returncode, 0, s.stderr)
                    results = json.loads(s.stdout)["results"]
                    self.assert_same_ranking(results, self.faiss_ranking(src, k))
                    for res in results:
                        self.assertEqual(res["content"], texts[res["metadata"]["python_id"]])

    def test_every_text_survives_the_pickle_at_every_protocol(self):
        """Differential check against CPython's pickle: what the import stores is what Python
        pickled (empty, long, non-ASCII, repeated objects, several APPENDS batches of 1000)."""
        shared = "the same object " * 3
        texts = ["", "x" * 70000, "\u00e9\u2713\U0001F600 \u6771\u4eac", shared, shared, shared]
        texts += [f"item {i} " + "\u00fc" * (i % 300) for i in range(1500)]
        rng = random.Random(11)
        vectors = [unit([rng.gauss(0, 1) for _ in range(4)]) for _ in texts]
        metadata = [{"source": f"d{i % 3}.md", "python_id": i} for i in range(len(texts))]
        for protocol in (2, 3, 4, 5):
            with self.subTest(protocol=protocol):
                src = os.path.join(self.root, f"p{protocol}")
                out = os.path.join(self.root, f"o{protocol}")
                make_python_db(src, texts, metadata, vectors, protocol=protocol)
                r = run_import([src, "--out", out], env=self.env)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                db = sqlite3.connect(f"file:{os.path.join(out, 'index.sqlite')}?mode=ro", uri=True)
                try:
                    rows = db.execute("SELECT text, metadata, length(embedding) FROM chunks").fetchall()
                    model = db.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()
                    dim = db.execute("SELECT value FROM meta WHERE key='embedding_dimension'").fetchone()
                finally:
                    db.close()
                self.assertEqual(len(rows), len(texts))
                for text, meta, blob_len in rows:
                    self.assertEqual(text, texts[json.loads(meta)["python_id"]])
                    self.assertEqual(blob_len, 4 * 4)
                self.assertEqual((model[0], dim[0]), ("fake-embedding", "4"))

    def test_a_later_index_run_keeps_the_imported_vectors_of_unchanged_chunks(self):
        """`rag-server index` over the Python design's source folder treats the imported index as
        its own: chunks whose text is unchanged keep their imported vectors (no embeddings call),
        a new file is embedded, documents it does not find are removed."""
        site = os.path.join(self.root, "site")
        os.makedirs(site)
        para = ("The {} orchard keeps its ladders in the copper barn beside the meadow, and every "
                "picker signs the ledger before the first crate leaves the {} gate.")
        for name, word in (("one.md", "north"), ("two.md", "south")):
            with open(os.path.join(site, name), "w") as f:
                f.write(f"# Title {word}\n\n" + para.format(word, word) + "\n")
        # The chunk texts this build's splitter makes of these files, read from a scratch index.
        scratch = os.path.join(self.root, "scratch")
        r = harness.run_cli(["index", site], env={"VECTOR_DB_PATH": scratch})
        self.assertEqual(r.returncode, 0, r.stderr)
        db = sqlite3.connect(os.path.join(scratch, "index.sqlite"))
        rows = db.execute("SELECT d.path, c.text, c.metadata FROM chunks c JOIN documents d "
                          "ON d.id = c.document_id ORDER BY d.path, c.seq").fetchall()
        db.close()
        self.assertEqual(len(rows), 2)
        dim = len(self.query_vector)
        rng = random.Random(5)
        texts = [t for _, t, _ in rows] + ["A chunk of a page that is gone from the site."]
        metadata = [json.loads(m) for _, _, m in rows] + [{"source": "site/gone.md"}]
        vectors = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in texts]
        src = os.path.join(self.root, "python")
        out = os.path.join(self.root, "vector_db")
        make_python_db(src, texts, metadata, vectors)
        r = run_import([src, "--out", out], env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)

        with open(os.path.join(site, "three.md"), "w") as f:
            f.write("# Title west\n\n" + para.format("west", "west") + "\n")
        r = harness.run_cli(["index", site], env=dict(self.env, VECTOR_DB_PATH=out), timeout=DEADLINE_S)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("embeddings: 1 made, 2 reused", r.stdout + r.stderr)
        self.assertIn("1 removed", r.stdout + r.stderr)
        db = sqlite3.connect(os.path.join(out, "index.sqlite"))
        stored = dict(db.execute("SELECT text, embedding FROM chunks").fetchall())
        db.close()
        self.assertEqual(len(stored), 3)
        for text, vector in zip(texts[:2], vectors[:2]):
            blob = stored[text]
            got = [float(x) for x in memoryview(blob).cast("f")]
            for a, b in zip(got, vector):
                self.assertAlmostEqual(a, b, places=6)

    def test_served_search_ranks_like_faiss_on_the_original_file(self):
        src = os.path.join(self.root, "python")
        out = os.path.join(self.root, "vector_db")
        self.ranked_db(src, 5)
        r = run_import([src], env=dict(self.env, VECTOR_DB_PATH=out))  # default --out
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        env = dict(self.env, VECTOR_DB_PATH=out, RATE_LIMIT_SEARCH="off")
        self.fake.reset()
        with harness.Server(env=env) as server:
            for k in (5, 10, 20):
                status, _, body = server.post_json("/search", {"query": QUERY, "k": k})
                self.assertEqual(status, 200, body)
                self.assert_same_ranking(body["results"], self.faiss_ranking(src, k))
                top = body["results"][0]
                self.assertEqual(top["citation"], f"{top['page_title']} ({top['citation_url']})")
                self.assertEqual(top["metadata"]["section_level"], "h2")
                self.assertIn("chunk_id", top["metadata"])
            requests = [x for x in self.fake.requests() if x["path"].endswith("/embeddings")]
            self.assertTrue(requests, "the query must have been embedded by the upstream")

    def test_malicious_pickle_is_refused_and_nothing_runs_or_is_written(self):
        for protocol in (2, 4):
            with self.subTest(protocol=protocol):
                marker = os.path.join(self.root, f"pwned{protocol}")
                src = os.path.join(self.root, f"evil{protocol}")
                out = os.path.join(self.root, f"out{protocol}")
                payload = pickle.dumps(["fine", Evil(marker)], protocol=protocol)
                small_db(src, n=2, pickled=payload)
                r = run_import([src, "--out", out], env=self.env)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("GLOBAL", r.stderr)
                self.assertIn("nothing is executed", r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertFalse(os.path.exists(marker))
                self.assertFalse(os.path.exists(os.path.join(out, "index.sqlite")))

    def test_count_mismatch_is_refused_with_nothing_written(self):
        src = os.path.join(self.root, "python")
        out = os.path.join(self.root, "out")
        texts, metadata, vectors = small_db(src, n=6)
        with open(os.path.join(src, "metadata.json"), "w") as f:
            json.dump(metadata[:5], f)
        r = run_import([src, "--out", out], env=self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the files disagree", r.stderr)
        self.assertIn("metadata.json has 5 entries", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "index.sqlite")))

        small_db(src, n=6)
        with open(os.path.join(src, "documents.pkl"), "wb") as f:
            pickle.dump(texts + ["one more"], f, protocol=3)
        r = run_import([src, "--out", out], env=self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("vector.index has 6 vectors, documents.pkl 7 texts", r.stderr)
        self.assertEqual(os.listdir(out) if os.path.exists(out) else [], [])

    def test_lossy_faiss_types_are_refused(self):
        src = os.path.join(self.root, "python")
        small_db(src, n=40, factory="SQ8")
        r = run_import([src, "--out", os.path.join(self.root, "out")], env=self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("IndexScalarQuantizer", r.stderr)
        self.assertIn("rag-server index", r.stderr)

    def test_existing_index_is_kept_unless_forced_and_in_place_keeps_python_files(self):
        src = os.path.join(self.root, "vector_db")
        small_db(src, n=6)
        python_files = tree_digest(src)
        env = dict(self.env, VECTOR_DB_PATH=src)  # the Python design's folder is VECTOR_DB_PATH
        r = run_import([src], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        after = tree_digest(src)
        for name in ("vector.index", "metadata.json", "documents.pkl"):
            self.assertEqual(after[name], python_files[name])
        self.assertEqual(after["build_info.python.json"], python_files["build_info.json"])
        self.assertIn("index.sqlite", after)

        r = run_import([src], env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--force", r.stderr)
        self.assertEqual(tree_digest(src), after)
        r = run_import([src, "--force", "--model", "other-model"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("model 'other-model'", r.stdout)
        check = harness.run_cli(["check"], env=dict(env, OPENAI_BASE_URL="", EMBEDDINGS_MODEL="",
                                                   CHAT_MODEL=""))
        self.assertIn("6 chunks", check.stdout + check.stderr)
        self.assertIn("other-model", check.stdout + check.stderr)

    def test_usage_errors_exit_2(self):
        r = run_import([os.path.join(self.root, "missing")], env=self.env)
        self.assertEqual(r.returncode, 2, r.stderr)
        os.makedirs(os.path.join(self.root, "empty"))
        r = run_import([os.path.join(self.root, "empty")], env=self.env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("vector.index", r.stderr)
        r = run_import(["--frobnicate"], env=self.env)
        self.assertNotEqual(r.returncode, 0)

    def test_killed_import_leaves_no_half_index_and_the_next_one_cleans_up(self):
        src = os.path.join(self.root, "big")
        out = os.path.join(self.root, "out")
        n, dim = 20000, 32
        rng = random.Random(3)
        texts = [f"Chunk number {i} of a large corpus about the {WORDS[i % 16]}." for i in range(n)]
        metadata = [{"source": f"docs/f{i % 500}.md", "chunk_id": i} for i in range(n)]
        vectors = [unit([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(n)]
        make_python_db(src, texts, metadata, vectors)
        full_env = {k: v for k, v in os.environ.items() if k not in harness._CLEARED}
        full_env.update(self.env)
        proc = subprocess.Popen([harness.SERVER_BIN, "import-faiss", src, "--out", out], env=full_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + DEADLINE_S
        temp = None
        while temp is None and proc.poll() is None and time.monotonic() < deadline:
            names = os.listdir(out) if os.path.isdir(out) else []
            temp = next((x for x in names if x.startswith(".import-faiss-")), None)
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(DEADLINE_S)
        index = os.path.join(out, "index.sqlite")
        if proc.returncode == -signal.SIGKILL:
            # Killed while writing: no index at all (the temporary folder holds the half one).
            self.assertIsNotNone(temp, "the import never started writing")
            self.assertFalse(os.path.exists(index))
        r = run_import([src, "--out", out, "--force"], env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"imported {n} chunks (500 documents)", r.stdout)
        self.assertEqual([x for x in os.listdir(out) if x.startswith(".import")], [])


if __name__ == "__main__":
    unittest.main()
