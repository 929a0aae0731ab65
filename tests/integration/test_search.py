"""POST /search over HTTP: the Python design's shapes, FastAPI-shaped validation, the adaptive
filter's bounds, an unloaded index, and a reload (SIGHUP) under load that fails no request."""
import concurrent.futures
import json
import os
import shutil
import signal
import tempfile
import threading
import unittest

from harness import Server, run_cli, SOURCE_DIR

RESULT_KEYS = {"score", "content", "metadata", "citation_url", "page_title", "citation"}
METADATA_KEYS = {"source", "section", "section_level", "chunk_id", "length", "content_hash",
                 "citation_url", "page_title", "page_description", "source_file"}


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"RATE_LIMIT_SEARCH": "off"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def search(self, payload, **kw):
        return self.server.post_json("/search", payload, **kw)

    def test_results_have_the_python_designs_shape(self):
        status, _, body = self.search({"query": "how do I change the rate limit for chat", "k": 3})
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"results", "query", "timestamp"})
        self.assertEqual(body["query"], "how do I change the rate limit for chat")
        self.assertTrue(1 <= len(body["results"]) <= 3)
        for r in body["results"]:
            self.assertEqual(set(r), RESULT_KEYS)
            self.assertTrue(0 <= r["score"] <= 1)
            self.assertTrue(METADATA_KEYS <= set(r["metadata"]), set(r["metadata"]))
            self.assertEqual(r["citation"], f'{r["page_title"]} ({r["citation_url"]})')
            self.assertEqual(r["citation_url"], r["metadata"]["citation_url"])
        # The setting's own entry is among the best few (the API page's POST /chat section,
        # which also speaks of chat rate limits, scores within a hair of it).
        self.assertIn("/configuration", [r["citation_url"] for r in body["results"]])
        scores = [r["score"] for r in body["results"]]
        self.assertEqual(scores, sorted(scores, reverse=True))
        # The adaptive filter: every result at least half the best score.
        self.assertTrue(all(s >= scores[0] / 2 for s in scores))

    def test_k_defaults_to_5_and_null_means_default(self):
        for payload in ({"query": "configuration"}, {"query": "configuration", "k": None}):
            status, _, body = self.search(payload)
            self.assertEqual(status, 200)
            self.assertLessEqual(len(body["results"]), 5)

    def test_blank_query_is_200_with_no_results(self):
        for query in ("", "   "):
            status, _, body = self.search({"query": query})
            self.assertEqual((status, body["results"]), (200, []))

    def test_validation_errors_are_fastapi_shaped(self):
        cases = [
            ({}, ["body", "query"], "value_error.missing"),
            ({"query": "x", "k": "abc"}, ["body", "k"], "type_error.integer"),
            ({"query": "x", "k": 0}, ["body", "k"], "value_error.number.not_ge"),
            ({"query": "x", "k": 51}, ["body", "k"], "value_error.number.not_le"),
        ]
        for payload, loc, kind in cases:
            status, _, body = self.search(payload)
            self.assertEqual(status, 422, payload)
            self.assertEqual(body["detail"][0]["loc"], loc)
            self.assertEqual(body["detail"][0]["type"], kind)
        status, _, body = self.server.request("POST", "/search", body='{"query": ',
                                              headers={"Content-Type": "application/json"})
        self.assertEqual(status, 422)
        self.assertEqual(json.loads(body)["detail"][0]["type"], "value_error.jsondecode")
        status, _, body = self.server.request("POST", "/search", body="query=x",
                                              headers={"Content-Type": "text/plain"})
        self.assertEqual((status, json.loads(body)["detail"][0]["type"]), (422, "type_error.dict"))

    def test_deep_json_is_refused(self):
        deep = '{"query": ' + "[" * 10000 + "]" * 10000 + "}"
        status, _, body = self.server.request("POST", "/search", body=deep,
                                              headers={"Content-Type": "application/json"})
        self.assertEqual(status, 422)


class NoIndex(unittest.TestCase):
    def test_search_is_503_and_not_ready_until_an_index_exists(self):
        with tempfile.TemporaryDirectory() as d:
            with Server(env={"VECTOR_DB_PATH": os.path.join(d, "none")}) as server:
                status, headers, body = server.post_json("/search", {"query": "anything"})
                self.assertEqual((status, body), (503, {"detail": "Index not loaded"}))
                self.assertIn("retry-after", headers)
                status, _, ready = server.get_json("/readyz")
                self.assertEqual(status, 503)
                self.assertIn("index", ready["reasons"][0])


class ReloadUnderLoad(unittest.TestCase):
    def test_sighup_reload_under_load_fails_no_request(self):
        with tempfile.TemporaryDirectory() as d:
            corpus = os.path.join(d, "corpus")
            shutil.copytree(os.path.join(SOURCE_DIR, "docs"), corpus)
            db = os.path.join(d, "vector_db")
            env = {"VECTOR_DB_PATH": db, "LOG_DIR": d}
            self.assertEqual(run_cli(["index", corpus], env=env).returncode, 0)
            with Server(env={"VECTOR_DB_PATH": db, "RATE_LIMIT_SEARCH": "off"}) as server:
                self.assertEqual(server.request("GET", "/ui/source?url=%2Fnew-page")[0], 404)
                stop = threading.Event()
                statuses = []

                def load():
                    while not stop.is_set():
                        statuses.append(server.post_json("/search", {"query": "zanzibarquux deployment"})[0])

                with concurrent.futures.ThreadPoolExecutor(4) as pool:
                    workers = [pool.submit(load) for _ in range(4)]
                    with open(os.path.join(corpus, "new-page.md"), "w") as f:
                        f.write("# Zanzibarquux\n\n" + "The zanzibarquux deployment mode is a made-up word "
                                "that only this page contains, so a search finds it after the reload. " * 2)
                    self.assertEqual(run_cli(["index", corpus], env=env).returncode, 0)
                    server.signal(signal.SIGHUP)
                    server.stderr.wait_for("Received SIGHUP: reloading the index")
                    server.stderr.wait_for(r"Index loaded: ", count=2)
                    stop.set()
                    for w in workers:
                        w.result()
                self.assertGreater(len(statuses), 0)
                self.assertEqual(set(statuses), {200})
                _, _, body = server.post_json("/search", {"query": "zanzibarquux"})
                self.assertEqual(body["results"][0]["citation_url"], "/new-page")
                # The chat page's source view serves the reloaded snapshot too.
                status, _, page = server.request("GET", "/ui/source?url=%2Fnew-page")
                self.assertEqual(status, 200)
                self.assertIn(b"<h1>Zanzibarquux</h1>", page)
                self.assertIn(b"zanzibarquux deployment mode", page)


if __name__ == "__main__":
    unittest.main()
