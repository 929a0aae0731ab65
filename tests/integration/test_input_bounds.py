"""Hostile input against the bounds of issue 18: metric labels (point 5), validation errors
(point 6), history items and session bytes (point 7), the search query (point 9). One server
with the product's default limits; each test says what the old code did.

The rows of the bad-input table in docs/RELIABILITY.md name these tests.
"""
import json
import unittest

from harness import TIME_SCALE
from test_bad_input import JSON, DefaultLimitsServer, rss_mb

# Defaults of docs/configuration.md.
MAX_HISTORY_MESSAGES = 200
MAX_HISTORY_CHARS = 16000
MAX_SESSION_BYTES = 65536
MAX_QUERY_CHARS = 8000
MAX_ERRORS = 16


def history(count, chars):
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": "x" * chars}
            for i in range(count)]


class InputBounds(DefaultLimitsServer, unittest.TestCase):
    def post_raw(self, path, body):
        return self.server.request("POST", path, body=body, headers=JSON)

    # -- point 5: every label set of /metrics is bounded ---------------------------------------
    def test_invented_methods_share_one_metric_label(self):
        # Old: each invented method became a label value; 200 of them grew /metrics by ~80 KB
        # per method and without limit (5 KB → 16 MB reproduced).
        before = len(self.server.request("GET", "/metrics")[2])
        for i in range(200):
            status, _, _ = self.server.request(f"BREW{i:03d}", "/search")
            self.assertEqual(status, 405)
        text = self.server.request("GET", "/metrics")[2].decode()
        self.assertFalse('method="BREW' in text, "an invented method became a label value")
        self.assertTrue('method="OTHER",status="405"} 200' in text, "no single OTHER series")
        self.assertLess(len(text), before + 8192)

    # -- point 6: an error answer is bounded whatever the request --------------------------------
    def test_a_quarter_million_empty_history_items_get_a_small_422(self):
        # Old: 500,000 errors, a 47 MB answer and ~480 MB resident.
        body = '{"message": "hi", "history": [' + ",".join(["{}"] * 250_000) + "]}"
        self.assertLess(len(body), 1 << 20)
        rss_before = rss_mb(self.server.proc.pid)
        status, _, data = self.post_raw("/chat", body)
        self.assertEqual(status, 422)
        self.assertLess(len(data), 1024)
        detail = json.loads(data)["detail"]
        self.assertEqual(detail, [{"loc": ["body", "history"],
                                   "msg": f"ensure this value has at most {MAX_HISTORY_MESSAGES} items",
                                   "type": "value_error.list.max_items",
                                   "ctx": {"limit_value": MAX_HISTORY_MESSAGES}}])
        if TIME_SCALE == 1:  # instrumented allocators keep freed memory in quarantine
            growth = rss_mb(self.server.proc.pid) - rss_before
            self.assertLess(growth, 100, f"RSS grew by {growth:.0f} MB")

    def test_many_bad_items_within_the_bound_report_at_most_sixteen_errors(self):
        items = [{"role": "robot", "content": None, "timestamp": []}] * MAX_HISTORY_MESSAGES
        status, _, data = self.post_raw("/chat", json.dumps({"message": "hi", "history": items}))
        self.assertEqual(status, 422)
        detail = json.loads(data)["detail"]
        self.assertEqual(len(detail), MAX_ERRORS)
        self.assertEqual(detail[0]["loc"], ["body", "history", 0, "role"])
        self.assertLess(len(data), 8192)

    def test_many_messages_on_the_openai_face_get_one_small_400(self):
        messages = [{"role": "user", "content": ""}] * 30_000
        status, _, data = self.post_raw("/v1/chat/completions",
                                        json.dumps({"model": "rag", "messages": messages}))
        self.assertEqual(status, 400)
        self.assertLess(len(data), 1024)
        self.assertEqual(json.loads(data)["error"]["param"], "messages")

    # -- point 7: history items and session bytes ----------------------------------------------
    def test_a_history_item_over_max_history_chars_is_422_and_never_stored(self):
        # Old: a 900 KB history item was stored and sent to the model on every turn.
        session = "bounds-900k"
        status, _, data = self.server.post_json(
            "/chat", {"message": "hi", "session_id": session,
                      "history": [{"role": "user", "content": "y" * 900_000}]})
        self.assertEqual(status, 422)
        self.assertEqual(data["detail"][0]["loc"], ["body", "history", 0, "content"])
        self.assertEqual(data["detail"][0]["type"], "value_error.any_str.max_length")
        self.assertEqual(data["detail"][0]["ctx"], {"limit_value": MAX_HISTORY_CHARS})
        self.assertEqual(self.server.get_json(f"/sessions/{session}/history")[2]["history"], [])
        ok = history(1, MAX_HISTORY_CHARS)
        self.assertEqual(self.server.post_json("/chat", {"message": "hi", "history": ok})[0], 200)

    def test_a_history_item_over_max_history_chars_is_400_on_the_openai_face(self):
        messages = [{"role": "assistant", "content": "y" * 900_000},
                    {"role": "user", "content": "hi"}]
        status, _, data = self.post_raw("/v1/chat/completions",
                                        json.dumps({"model": "rag", "messages": messages}))
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["error"]["param"], "messages")

    def test_a_session_keeps_at_most_max_session_bytes(self):
        # Old: the whole history was stored, 15 items of 15,000 characters = 225 KB.
        session = "bounds-bytes"
        big = history(15, 15000)
        status, _, _ = self.server.post_json("/chat", {"message": "hi", "session_id": session,
                                                       "history": big})
        self.assertEqual(status, 200)
        stored = self.server.get_json(f"/sessions/{session}/history")[2]["history"]
        size = sum(len(m["role"]) + len(m["content"].encode()) for m in stored)
        self.assertLessEqual(size, MAX_SESSION_BYTES)
        self.assertEqual(stored[-2]["content"], "hi")  # the newest exchange is kept
        self.assertEqual(stored[0]["content"], "x" * 15000)  # then the newest history items

    # -- point 9: the search query -------------------------------------------------------------
    def test_a_query_over_max_query_chars_is_422(self):
        # Old: 200 after seconds of CPU on an I/O thread.
        words = "word " * 200_000
        status, _, data = self.server.post_json("/search", {"query": words})
        self.assertEqual(status, 422)
        self.assertEqual(data["detail"], [{"loc": ["body", "query"],
                                           "msg": f"ensure this value has at most {MAX_QUERY_CHARS} characters",
                                           "type": "value_error.any_str.max_length",
                                           "ctx": {"limit_value": MAX_QUERY_CHARS}}])
        at_bound = ("port " * MAX_QUERY_CHARS)[:MAX_QUERY_CHARS]
        self.assertEqual(self.server.post_json("/search", {"query": at_bound})[0], 200)


if __name__ == "__main__":
    unittest.main()
