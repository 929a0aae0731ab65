"""POST /chat, its SSE stream and the sessions API against the real binary and the fake upstream
(docs/api.md). Needs the routes wired in cli/serve and `rag-server index`.
"""
import json
import re
import socket
import time
import unittest

import harness
from test_chat_support import (API_KEY, ServerWithFakeUpstream, build_index, in_threads,
                               read_sse, start_server, tempdir)

QUESTION = "How do I change the port the server listens on?"


class ChatTest(ServerWithFakeUpstream):
    def setUp(self):
        self.fake.reset()

    def chat(self, payload, **kw):
        return self.server.post_json("/chat", payload, **kw)

    # -- shapes ---------------------------------------------------------------------------------
    def test_answer_has_the_python_designs_shape(self):
        status, headers, body = self.chat({"message": QUESTION})
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        # The Python design's fields, and response_id (additive: docs/api.md, "Feedback").
        self.assertEqual(set(body), {"response", "session_id", "timestamp", "sources",
                                     "response_id"})
        self.assertTrue(body["response"].startswith("FAKE-ANSWER:"))
        self.assertRegex(body["session_id"], r"^[0-9a-f]{32}$")
        self.assertRegex(body["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
        self.assertGreater(len(body["sources"]), 0)
        for s in body["sources"]:
            # The Python design's fields, and `cited` (additive: docs/api.md, "Citations").
            self.assertEqual(set(s), {"url", "title", "content_preview", "content_full",
                                      "similarity_score", "cited"})
            self.assertGreaterEqual(s["similarity_score"], 0)
            self.assertLessEqual(s["similarity_score"], 1)
            full = s["content_full"]
            expected = full if len(full) <= 200 else full[:200] + "..."
            self.assertEqual(s["content_preview"], expected)
        self.assertEqual(body["sources"][0]["url"], "/config")
        # The prompt: system template with the numbered, fenced passages, then the message.
        sent = json.loads(self.fake.chat_requests()[-1]["body"])
        self.assertEqual(sent["messages"][0]["role"], "system")
        self.assertIn('<passage n="1" url="/config" title="Configuration">\n',
                      sent["messages"][0]["content"])
        self.assertEqual(sent["messages"][-1], {"role": "user", "content": QUESTION})

    def test_each_request_without_session_id_gets_a_new_one(self):
        ids = {self.chat({"message": QUESTION})[2]["session_id"] for _ in range(3)}
        self.assertEqual(len(ids), 3)
        _, _, body = self.chat({"message": QUESTION, "session_id": None})
        self.assertNotIn(body["session_id"], ids)

    # -- sessions -------------------------------------------------------------------------------
    def test_history_is_kept_replaced_trimmed_and_deleted(self):
        sid = "it-history-1"
        self.chat({"message": QUESTION, "session_id": sid})
        _, _, h = self.server.get_json(f"/sessions/{sid}/history")
        self.assertEqual(h["session_id"], sid)
        self.assertEqual([m["role"] for m in h["history"]], ["user", "assistant"])
        self.assertEqual(set(h["history"][0]), {"role", "content"})
        self.assertEqual(h["history"][0]["content"], QUESTION)

        given = [{"role": "user", "content": "earlier question"},
                 {"role": "assistant", "content": "earlier answer"}]
        self.chat({"message": QUESTION, "session_id": sid, "history": given})
        _, _, h = self.server.get_json(f"/sessions/{sid}/history")
        self.assertEqual(h["history"][:2], given)  # replaced, then this exchange appended
        self.assertEqual(len(h["history"]), 4)
        sent = json.loads(self.fake.chat_requests()[-1]["body"])["messages"]
        self.assertEqual(sent[1:3], given)

        for _ in range(3):  # MAX_CONVERSATION_HISTORY=6
            self.chat({"message": QUESTION, "session_id": sid})
        _, _, h = self.server.get_json(f"/sessions/{sid}/history")
        self.assertEqual(len(h["history"]), 6)
        self.assertNotIn("earlier question", [m["content"] for m in h["history"]])

        status, _, body = self.server.request("DELETE", f"/sessions/{sid}")
        self.assertEqual((status, json.loads(body)), (200, {"message": f"Session {sid} cleared"}))
        status, _, body = self.server.request("DELETE", f"/sessions/{sid}")
        self.assertEqual(json.loads(body), {"message": f"Session {sid} not found"})
        self.assertEqual(self.server.get_json(f"/sessions/{sid}/history")[2]["history"], [])

    def test_unknown_session_history_is_empty_and_bad_ids_are_422(self):
        self.assertEqual(self.server.get_json("/sessions/never-seen/history")[2],
                         {"session_id": "never-seen", "history": []})
        status, _, body = self.server.get_json("/sessions/" + "x" * 129 + "/history")
        self.assertEqual(status, 422)
        self.assertEqual(body["detail"][0]["loc"], ["path", "session_id"])

    def test_concurrent_requests_on_one_session_keep_whole_exchanges(self):
        sid = "it-concurrent"
        # The same search terms ("very" is a stop word), told apart by how many "very"s.
        questions = [QUESTION + " very" * i for i in range(12)]
        in_threads(lambda i: self.chat({"message": questions[i], "session_id": sid}), 12)
        _, _, h = self.server.get_json(f"/sessions/{sid}/history")
        history = h["history"]
        self.assertEqual(len(history), 6)
        for user, assistant in zip(history[0::2], history[1::2]):
            self.assertEqual(user["role"], "user")
            self.assertEqual(assistant["role"], "assistant")
            # The fake answers with the words of the question: the pair belongs together.
            self.assertEqual(assistant["content"].count("very"), user["content"].count("very"))
            self.assertTrue(assistant["content"].startswith("FAKE-ANSWER:"))

    # -- validation, refusal ----------------------------------------------------------------------
    def test_validation_errors_are_fastapi_shaped(self):
        status, _, body = self.chat({"session_id": "x"})
        self.assertEqual(status, 422)
        self.assertEqual(body["detail"][0], {"loc": ["body", "message"], "msg": "field required",
                                             "type": "value_error.missing"})
        status, _, body = self.chat({"message": "hi", "history": [{"role": "user"}]})
        self.assertEqual(status, 422)
        self.assertEqual(body["detail"][0]["loc"], ["body", "history", 0, "content"])
        status, _, _ = self.chat({"message": "a" * 8001})
        self.assertEqual(status, 422)
        status, _, _ = self.chat({"message": "hi", "session_id": "has space"})
        self.assertEqual(status, 422)
        self.assertEqual(self.fake.chat_requests(), [])

    def test_empty_message_and_no_passage_get_the_refusal_without_upstream(self):
        for message in ["", "   ", "Quantum chromodynamics of gluon plasmas explained"]:
            status, _, body = self.chat({"message": message, "session_id": "it-refuse"})
            self.assertEqual(status, 200)
            self.assertEqual(body["sources"], [])
            self.assertIn("couldn't find", body["response"])
        self.assertEqual(self.fake.chat_requests(), [])
        _, _, h = self.server.get_json("/sessions/it-refuse/history")
        self.assertEqual(len(h["history"]), 6)  # refusals are kept in history

    def test_short_follow_up_is_searched_with_the_history(self):
        history = [{"role": "user", "content": "Tell me about sessions and inactivity"},
                   {"role": "assistant", "content": "They expire."}]
        _, _, body = self.chat({"message": "how long then?", "history": history})
        self.assertEqual(body["sources"][0]["url"], "/sessions")
        _, _, alone = self.chat({"message": "how long then?"})
        self.assertEqual(alone["sources"], [])

    # -- streaming --------------------------------------------------------------------------------
    def stream(self, payload, headers=None):
        conn = self.server.connection(timeout=30)
        conn.request("POST", "/chat", body=json.dumps(payload),
                     headers={"Content-Type": "application/json", **(headers or {})})
        res = conn.getresponse()
        events = read_sse(res)
        conn.close()
        return res, events

    def test_stream_order_and_equality_with_the_json_answer(self):
        _, _, plain = self.chat({"message": QUESTION, "session_id": "it-plain"})
        res, events = self.stream({"message": QUESTION, "session_id": "it-stream", "stream": True})
        self.assertEqual(res.status, 200)
        self.assertTrue(res.getheader("Content-Type").startswith("text/event-stream"))
        self.assertEqual(res.getheader("Cache-Control"), "no-cache")
        self.assertEqual(res.getheader("X-Accel-Buffering"), "no")
        names = [e for e, _ in events if e != ":"]
        self.assertEqual(names[0], "sources")
        self.assertEqual(names[-1], "done")
        self.assertGreater(names.count("token"), 1)
        self.assertEqual(set(names[1:-1]), {"token"})
        data = {e: d for e, d in events}
        tokens = "".join(json.loads(d)["delta"] for e, d in events if e == "token")
        done = json.loads(data["done"])
        self.assertEqual(set(done), set(plain) | {"timing_ms"})  # docs/api.md, "Server-Timing"
        self.assertEqual(done["response"], tokens)
        self.assertEqual(done["response"], plain["response"])
        self.assertEqual(done["sources"], plain["sources"])
        # The first event comes before the answer: the same sources, without `cited` yet.
        self.assertEqual(json.loads(data["sources"]),
                         [{k: v for k, v in s.items() if k != "cited"} for s in plain["sources"]])
        _, _, h = self.server.get_json("/sessions/it-stream/history")
        self.assertEqual(h["history"][1]["content"], tokens)

    def test_accept_header_selects_the_stream(self):
        res, events = self.stream({"message": QUESTION}, {"Accept": "text/event-stream"})
        self.assertEqual(events[-1][0], "done")

    # -- errors -----------------------------------------------------------------------------------
    def test_upstream_errors_are_mapped_without_upstream_text(self):
        body_text = "upstream secret body " + API_KEY
        self.fake.script([{"match": "chat/completions", "status": 500, "body": body_text}] * 4)
        status, headers, body = self.chat({"message": QUESTION})
        self.assertEqual(status, 502)
        self.assertEqual(body, {"detail": "Upstream model error"})
        self.assertIn("x-request-id", headers)

        self.fake.reset()
        self.fake.script([{"match": "chat/completions", "status": 429,
                           "headers": {"Retry-After": "1"}}] * 4)
        status, headers, body = self.chat({"message": QUESTION})
        self.assertEqual(status, 429)
        self.assertEqual(body, {"detail": "Rate limit exceeded. Please try again in a moment."})
        self.assertIn("retry-after", headers)

        self.fake.reset()
        self.fake.script([{"match": "chat/completions", "status": 500}] * 4)
        res, events = self.stream({"message": QUESTION, "stream": True})
        self.assertEqual(events[-1][0], "error")
        self.assertEqual(json.loads(events[-1][1]), {"detail": "Upstream model error", "status": 502})
        self.assertNotIn(API_KEY, self.server.stderr.text())
        self.assertNotIn(API_KEY, self.server.stdout.text())

    def test_upstream_timeout_is_504(self):
        self.fake.script([{"match": "chat/completions", "hang": True}] * 4)
        with start_server(self.db, self.fake, {"LLM_TIMEOUT": "0.5", "LLM_MAX_RETRIES": "1"}) as s:
            status, _, body = s.post_json("/chat", {"message": QUESTION})
        self.assertEqual(status, 504)
        self.assertEqual(body, {"detail": "Request timed out. Please try again."})

    def test_disconnect_cancels_the_upstream_call(self):
        self.fake.configure(latency_ms=20000)
        try:
            body = json.dumps({"message": QUESTION, "session_id": "it-gone"}).encode()
            sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            sock.sendall(b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            deadline = time.monotonic() + 10
            while not self.fake.chat_requests():  # the upstream call is in flight
                self.assertLess(time.monotonic(), deadline, "upstream never called")
                time.sleep(0.02)
            sock.close()
            started = time.monotonic()
            self.server.stderr.wait_for(r"LLM generation cancelled", timeout=10)
            self.assertLess(time.monotonic() - started, 10)  # long before the fake's 20 s
            _, _, h = self.server.get_json("/sessions/it-gone/history")
            self.assertEqual(h["history"], [])
        finally:
            self.fake.configure(latency_ms=0)


class ExtractiveTest(unittest.TestCase):
    def test_without_chat_upstream_answers_are_extractive_and_cited(self):
        with tempdir() as tmp:
            db = build_index(tmp)
            with start_server(db) as server:
                status, _, body = server.post_json("/chat", {"message": QUESTION})
                self.assertEqual(status, 200)
                self.assertEqual(body["mode"], "extractive")
                self.assertIn("Set the PORT variable", body["response"])
                self.assertIn("[1]", body["response"])
                self.assertEqual(body["sources"][0]["url"], "/config")


if __name__ == "__main__":
    unittest.main()
