"""Where the time of an answer goes (docs/api.md, "Server-Timing"), end to end over loopback: /search,
/chat and /v1/chat/completions answer a Server-Timing header with their stages (embed, retrieve,
llm) and the total; a stream reports the time to its first token in the SSE `done` event; the
JSON access log line of each request carries the same stages as `timing_ms`.

The fake upstream waits a known time before answering, so the `llm` stage has a lower bound by
construction; no figure is compared with a wall-clock expectation beyond that.
"""
import json
import re
import unittest

from test_chat_support import ServerWithFakeUpstream, read_sse

QUESTION = "How do I change the port the server listens on?"
FAKE_LATENCY_MS = 60
STAGE = r"([a-z]+);dur=(\d+\.\d)"


def parse_server_timing(value):
    """'embed;dur=1.0, total;dur=3.2' → {'embed': 1.0, 'total': 3.2}, checking the syntax."""
    parts = value.split(", ")
    stages = {}
    for part in parts:
        m = re.fullmatch(STAGE, part)
        if not m:
            raise AssertionError(f"not a Server-Timing metric: {part!r} in {value!r}")
        stages[m.group(1)] = float(m.group(2))
    return stages, [re.fullmatch(STAGE, p).group(1) for p in parts]


class ServerTimingTest(ServerWithFakeUpstream):
    def setUp(self):
        self.fake.reset()
        self.fake.configure(latency_ms=FAKE_LATENCY_MS, answer="")

    def tearDown(self):
        self.fake.configure(latency_ms=0)

    def access_log_timing(self, request_id):
        """The timing_ms of the access-log line of `request_id` (waits for the line)."""
        line = self.server.stdout.wait_for(r'\{"time".*"request_id":"' + re.escape(request_id) + '".*')
        record = json.loads(line.group(0))
        return record.get("timing_ms")

    def test_search_names_its_stages_in_the_header_and_the_access_log(self):
        status, headers, body = self.server.request(
            "POST", "/search", body={"query": "port the server listens on"})
        self.assertEqual(status, 200, body)
        stages, order = parse_server_timing(headers["server-timing"])
        self.assertEqual(order, ["embed", "retrieve", "total"])
        self.assertGreaterEqual(stages["total"], stages["retrieve"])
        logged = self.access_log_timing(headers["x-request-id"])
        self.assertEqual(list(logged), ["embed", "retrieve"])

    def test_chat_json_answer_times_the_model(self):
        status, headers, body = self.server.request("POST", "/chat", body={"message": QUESTION})
        self.assertEqual(status, 200, body)
        stages, order = parse_server_timing(headers["server-timing"])
        self.assertEqual(order, ["embed", "retrieve", "llm", "total"])
        self.assertGreaterEqual(stages["llm"], FAKE_LATENCY_MS)
        self.assertGreaterEqual(stages["total"], stages["llm"])
        self.assertNotIn("timing_ms", json.loads(body))  # the body keeps the Python design's shape
        logged = self.access_log_timing(headers["x-request-id"])
        self.assertEqual(list(logged), ["embed", "retrieve", "llm"])
        self.assertGreaterEqual(logged["llm"], FAKE_LATENCY_MS)

    def test_a_stream_reports_its_time_to_first_token_in_done_and_the_log(self):
        conn = self.server.connection()
        conn.request("POST", "/chat", body=json.dumps({"message": QUESTION, "stream": True}),
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        request_id = res.getheader("X-Request-Id")
        events = read_sse(res)
        conn.close()
        done = json.loads(next(d for e, d in events if e == "done"))
        timing = done["timing_ms"]
        self.assertEqual(list(timing), ["embed", "retrieve", "llm", "ttft", "total"])
        self.assertGreaterEqual(timing["ttft"], FAKE_LATENCY_MS)  # the model answered first
        self.assertLessEqual(timing["ttft"], timing["total"])
        logged = self.access_log_timing(request_id)
        self.assertEqual(list(logged), ["embed", "retrieve", "llm", "ttft"])

    def test_openai_face_times_json_answers_and_streams(self):
        payload = {"model": "rag-server", "messages": [{"role": "user", "content": QUESTION}]}
        status, headers, body = self.server.request("POST", "/v1/chat/completions", body=payload)
        self.assertEqual(status, 200, body)
        _, order = parse_server_timing(headers["server-timing"])
        self.assertEqual(order, ["embed", "retrieve", "llm", "total"])

        conn = self.server.connection()
        conn.request("POST", "/v1/chat/completions", body=json.dumps({**payload, "stream": True}),
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        request_id = res.getheader("X-Request-Id")
        res.read()
        conn.close()
        self.assertEqual(list(self.access_log_timing(request_id)), ["embed", "retrieve", "llm", "ttft"])

    def test_refusals_and_other_routes_have_no_model_stage(self):
        status, headers, _ = self.server.request("POST", "/chat",
                                                 body={"message": "zqxv wplk frobnitz"})
        self.assertEqual(status, 200)
        _, order = parse_server_timing(headers["server-timing"])
        self.assertEqual(order, ["embed", "retrieve", "total"])
        status, headers, _ = self.server.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertNotIn("server-timing", headers)
        self.assertIsNone(self.access_log_timing(headers["x-request-id"]))


if __name__ == "__main__":
    unittest.main()
