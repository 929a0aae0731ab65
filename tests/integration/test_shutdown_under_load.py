"""Shutdown and restart under load (issue 8, point 5), against the fake upstream with latency so
that chats are really in flight (observed in the fake's record of requests, never by time):

- SIGTERM while JSON chats, streamed chats (both faces) and searches are in flight: every one
  completes with 200 (streams end with their `done` event), no new connection is accepted, and
  the process exits 0 before GRACEFUL_TIMEOUT without cutting anyone;
- SIGHUP index reload under mixed load (searches, chats streamed and not, session reads):
  no request fails, and the new index answers afterwards.

test_shutdown.py covers the mechanics with the test build's /_test routes; test_search.py the
reload under a search-only load.
"""
import concurrent.futures
import json
import os
import signal
import socket
import threading
import time
import unittest

import harness
from test_chat_support import FakeUpstream, build_index, read_sse, start_server, tempdir

GRACEFUL_TIMEOUT = 20
QUESTION = "How do I change the port the server listens on?"


def chat_json(server, route, session_id):
    payload = ({"message": QUESTION, "session_id": session_id} if route == "/chat" else
               {"model": "rag", "messages": [{"role": "user", "content": QUESTION}]})
    status, _, body = server.request("POST", route, body=payload, timeout=60)
    return status, json.loads(body) if body else None


def chat_stream(server, route, session_id):
    """Returns (status, [(event, data)]) of a streamed chat on either face."""
    payload = ({"message": QUESTION, "session_id": session_id, "stream": True} if route == "/chat" else
               {"model": "rag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    conn = server.connection(timeout=60)
    try:
        conn.request("POST", route, body=json.dumps(payload), headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        return res.status, read_sse(res)
    finally:
        conn.close()


def stream_completed(route, events):
    names = [e for e, _ in events if e != ":"]
    if route == "/chat":
        return bool(names) and names[0] == "sources" and names[-1] == "done"
    return bool(events) and events[-1] == ("", "[DONE]")


def partial_search(server, query):
    """A POST /search whose head and half its body are sent: in flight at the server. Returns
    (socket, rest of the body)."""
    body = json.dumps({"query": query, "k": 3}).encode()
    sock = server.raw_socket(timeout=harness.scaled(30))
    sock.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
    return sock, body[len(body) // 2:]


def read_reply(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


class SigtermUnderLoad(unittest.TestCase):
    def test_sigterm_lets_every_chat_stream_and_search_in_flight_finish(self):
        with tempdir() as tmp:
            db = build_index(tmp)
            fake = FakeUpstream(latency_ms=int(1500 * harness.TIME_SCALE), stream_delay_ms=80)
            server = start_server(db, fake, {"GRACEFUL_TIMEOUT": str(GRACEFUL_TIMEOUT), "LLM_TIMEOUT": "30"})
            try:
                jobs = ([(chat_json, "/chat", f"term-json-{i}") for i in range(5)] +
                        [(chat_stream, "/chat", f"term-stream-{i}") for i in range(5)] +
                        [(chat_json, "/v1/chat/completions", None) for _ in range(2)] +
                        [(chat_stream, "/v1/chat/completions", None) for _ in range(2)])
                # Searches in flight: head and half the body sent (the server reads them at
                # once; they are sent first so they are long read when the signal comes).
                searches = [partial_search(server, q) for q in
                            ("port", "sessions expire", "logs rotated", "MAX_SESSIONS")]
                with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
                    futures = [pool.submit(fn, server, route, sid) for fn, route, sid in jobs]
                    # Every chat has reached the upstream (held there by the fake's latency).
                    fake.wait_for_requests(len(jobs), "chat/completions", timeout=30)
                    server.signal(signal.SIGTERM)
                    signalled = time.monotonic()
                    m = server.stderr.wait_for(r"Shutting down: (\d+) open connections, (\d+) requests in flight")
                    self.assertGreaterEqual(int(m.group(1)), len(jobs) + len(searches))
                    self.assertGreaterEqual(int(m.group(2)), len(jobs))
                    server.stderr.wait_for(r"Listener closed: no new connections")
                    with self.assertRaises(ConnectionRefusedError):
                        socket.create_connection(("127.0.0.1", server.port), timeout=5)
                    # The half-sent searches are finished now, after the signal: still served.
                    for sock, rest in searches:
                        sock.sendall(rest)
                    for sock, _ in searches:
                        reply = read_reply(sock)
                        sock.close()
                        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:80])
                        self.assertIn(b"Connection: close", reply)
                        self.assertIn(b'"results":[{', reply)
                    results = [f.result() for f in futures]
                code = server.wait(timeout=GRACEFUL_TIMEOUT + 10)
                took = time.monotonic() - signalled
                for (fn, route, _), (status, body) in zip(jobs, results):
                    self.assertEqual(status, 200, (route, body))
                    if fn is chat_stream:
                        self.assertTrue(stream_completed(route, body), (route, body[-3:]))
                    elif route == "/chat":
                        self.assertTrue(body["response"].startswith("FAKE-ANSWER"), body)
                    else:
                        self.assertIn("FAKE-ANSWER", body["choices"][0]["message"]["content"])
                self.assertEqual(code, 0)
                self.assertLess(took, GRACEFUL_TIMEOUT)
                text = server.stderr.text()
                self.assertNotIn("Grace period over", text)
                self.assertIn("Server stopped", text)
            finally:
                server.stop()
                fake.stop()


class ReloadUnderMixedLoad(unittest.TestCase):
    def test_sighup_under_searches_chats_streams_and_session_reads_fails_nothing(self):
        with tempdir() as tmp:
            db = build_index(tmp)
            docs = os.path.join(tmp, "docs")
            fake = FakeUpstream(latency_ms=200, stream_delay_ms=20)
            server = start_server(db, fake)
            stop = threading.Event()
            lock = threading.Lock()
            outcomes = {"search": [], "chat": [], "stream": [], "history": []}

            def record(kind, ok, detail):
                with lock:
                    outcomes[kind].append((ok, detail))

            def search_loop(i):
                while not stop.is_set():
                    status, _, body = server.post_json("/search", {"query": "port server listens"})
                    record("search", status == 200 and len(body["results"]) > 0, status)

            def chat_loop(i):
                n = 0
                while not stop.is_set():
                    n += 1
                    status, body = chat_json(server, "/chat", f"hup-{i}")
                    record("chat", status == 200 and body["response"].startswith("FAKE-ANSWER"), status)

            def stream_loop(i):
                while not stop.is_set():
                    status, events = chat_stream(server, "/chat", f"hup-stream-{i}")
                    record("stream", status == 200 and stream_completed("/chat", events), status)

            def history_loop(i):
                while not stop.is_set():
                    status, _, body = server.get_json(f"/sessions/hup-{i % 2}/history")
                    record("history", status == 200 and "history" in body, status)

            def counts():
                with lock:
                    return {k: len(v) for k, v in outcomes.items()}

            def wait_for_more(before, more=3):
                deadline = time.monotonic() + harness.scaled(60)
                while any(counts()[k] < before[k] + more for k in before):
                    self.assertLess(time.monotonic(), deadline, f"load stalled: {counts()}")
                    time.sleep(0.05)

            try:
                loops = [search_loop] * 3 + [chat_loop] * 2 + [stream_loop] * 2 + [history_loop] * 2
                with concurrent.futures.ThreadPoolExecutor(len(loops)) as pool:
                    workers = [pool.submit(fn, i) for i, fn in enumerate(loops)]
                    wait_for_more({k: 0 for k in outcomes})  # every kind of load is running
                    with open(os.path.join(docs, "zanzibar.md"), "w") as f:
                        f.write("---\ntitle: Zanzibarquux\nurl: /zanzibar\n---\n# Zanzibarquux\n\n" +
                                "The zanzibarquux deployment mode is a made-up word that only this page "
                                "contains, so that a search finds it after the reload. " * 2 + "\n")
                    indexed = harness.run_cli(["index", docs], env={"VECTOR_DB_PATH": db}, cwd=tmp)
                    self.assertEqual(indexed.returncode, 0, indexed.stderr[-2000:])
                    server.signal(signal.SIGHUP)
                    server.stderr.wait_for("Received SIGHUP: reloading the index")
                    server.stderr.wait_for(r"Index loaded: ", count=2)
                    wait_for_more(counts())  # load continues on the new snapshot
                    stop.set()
                    for w in workers:
                        w.result()
                failed = {k: [d for ok, d in v if not ok] for k, v in outcomes.items()}
                self.assertEqual(failed, {k: [] for k in outcomes}, counts())
                _, _, body = server.post_json("/search", {"query": "zanzibarquux"})
                self.assertEqual(body["results"][0]["citation_url"], "/zanzibar")
                print(f"\nRELOAD_UNDER_LOAD requests={counts()}")
            finally:
                stop.set()
                server.stop()
                fake.stop()


if __name__ == "__main__":
    unittest.main()
