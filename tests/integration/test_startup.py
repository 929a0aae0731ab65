"""Start-up and failure correctness (issue 18, points 1 and 2): from the first accepted
connection every answer is the right one, and a retrieval that cannot happen is a 503 with
Retry-After, never the "nothing found" refusal (on /chat, its stream, and /v1).

The first test connects the moment the port opens: it picks a free port, starts the server on
it and retries the connection at once on every refusal (no sleep), so its first request lands
as early as any client's could. The old server listened before its index was loaded: those
first requests got 503 on /search and the 200 refusal on /chat.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import tempfile
import time
import unittest

from harness import LISTENING, Server, scaled, shared_index
from test_chat_support import read_sse

JSON = {"Content-Type": "application/json"}
# Answered by the bundled docs/ (docs/configuration.md, RATE_LIMIT_CHAT).
QUESTION = "How do I change the per-client rate limit of POST /chat?"
REFUSAL = "couldn't find anything in the indexed documents"
NO_LIMITS = {"RATE_LIMIT_CHAT": "off", "RATE_LIMIT_SEARCH": "off", "RATE_LIMIT_HEALTH": "off"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect_as_soon_as_open(server, port, timeout=20):
    deadline = time.monotonic() + scaled(timeout)
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=scaled(10))
        except ConnectionRefusedError:
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server never opened its port:\n" + server.stderr.text())


def post(conn, path, payload):
    conn.request("POST", path, body=json.dumps(payload), headers=JSON)
    res = conn.getresponse()
    return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()


class FirstConnection(unittest.TestCase):
    def test_the_first_requests_get_the_indexed_answers(self):
        port = free_port()
        with Server(env=dict(NO_LIMITS, PORT=str(port)), wait=False) as server:
            sock = connect_as_soon_as_open(server, port)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(30))
            conn.sock = sock
            status, _, body = post(conn, "/chat", {"message": QUESTION})
            self.assertEqual(status, 200, body[:300])
            answer = json.loads(body)
            self.assertNotIn(REFUSAL, answer["response"])
            self.assertTrue(answer["sources"])
            status, _, body = post(conn, "/search", {"query": QUESTION})
            self.assertEqual(status, 200, body[:300])
            self.assertTrue(json.loads(body)["results"], "no result for a question the docs answer")
            conn.close()
            # The log says why: the index was in before the port opened.
            server.stderr.wait_for(LISTENING.pattern)
            lines = server.stderr.lines
            loaded = next(i for i, line in enumerate(lines) if "Index loaded: " in line)
            listening = next(i for i, line in enumerate(lines) if LISTENING.search(line))
            self.assertLess(loaded, listening)


class WithoutIndex(unittest.TestCase):
    """No index at start (rag-server index not run yet): the server listens, says why, and
    answers 503 + Retry-After wherever an answer needs the index, until one is loaded."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="rag-startup-")
        cls.db = os.path.join(cls.root, "vector_db")
        os.makedirs(cls.db)
        shared_index()  # built now, copied in by the last test
        cls.server = Server(env=dict(NO_LIMITS, VECTOR_DB_PATH=cls.db))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def assert_503(self, status, headers, body):
        self.assertEqual(status, 503, body[:300])
        self.assertEqual(headers.get("retry-after"), "5")
        self.assertNotIn(REFUSAL.encode(), body)

    def test_1_probes_say_alive_but_not_ready(self):
        self.server.stderr.wait_for("Serving without an index")
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        status, headers, body = self.server.request("GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertIn(b"index", body)

    def test_2_search_and_chat_are_503_never_the_refusal(self):
        self.assert_503(*self.server.request("POST", "/search", body={"query": QUESTION}))
        status, headers, body = self.server.request("POST", "/chat", body={"message": QUESTION})
        self.assert_503(status, headers, body)
        self.assertEqual(json.loads(body), {"detail": "Index not loaded"})
        status, headers, body = self.server.request(
            "POST", "/v1/chat/completions",
            body={"model": "rag", "messages": [{"role": "user", "content": QUESTION}]})
        self.assert_503(status, headers, body)
        self.assertEqual(json.loads(body)["error"]["message"], "Index not loaded")

    def test_3_streams_end_with_a_503_error(self):
        conn = self.server.connection()
        conn.request("POST", "/chat", body=json.dumps({"message": QUESTION, "stream": True}),
                     headers=JSON)
        events = read_sse(conn.getresponse())
        conn.close()
        self.assertEqual([e for e, _ in events if e != ":"], ["error"])
        self.assertEqual(json.loads(events[-1][1]), {"detail": "Index not loaded", "status": 503})

        conn = self.server.connection()
        conn.request("POST", "/v1/chat/completions", headers=JSON, body=json.dumps(
            {"model": "rag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}))
        data = [d for e, d in read_sse(conn.getresponse()) if e != ":"]
        conn.close()
        self.assertEqual(json.loads(data[0])["error"]["message"], "Index not loaded")
        self.assertEqual(data[-1], "[DONE]")

    def test_4_the_index_arriving_later_is_served(self):
        for name in os.listdir(shared_index()):
            shutil.copy(os.path.join(shared_index(), name), self.db)
        self.server.signal(signal.SIGHUP)
        self.server.stderr.wait_for("Index loaded: ")
        status, _, body = self.server.post_json("/chat", {"message": QUESTION})
        self.assertEqual(status, 200)
        self.assertNotIn(REFUSAL, body["response"])
        self.assertEqual(self.server.request("GET", "/readyz")[0], 200)


if __name__ == "__main__":
    unittest.main()
