"""Upstream fault matrix, breaker rows (the circuit breaker of docs/configuration.md: after
repeated failures it fails fast for a cool-down, and /readyz shows it).

Each upstream has its own breaker; 5 consecutive health failures (5xx, 408, timeouts, connection
failures) open it for 30 s by default (LLM_BREAKER_FAILURES, LLM_BREAKER_COOLDOWN; the last class
sets them). While open: calls fail fast with no upstream attempt (chat: 502 in
docs/api.md's shape; search: lexical, 200), /readyz is 503 naming the upstream, /healthz stays 200.
Answers that say nothing about the upstream's health (400, 401, 429) never open it. Each test
has its own server, so an open breaker does not leak into other tests.
"""
import json
import time
import unittest

import test_fault_matrix_support as fm

BAD_GATEWAY = {"detail": "Upstream model error"}


class ServerPerTest(unittest.TestCase):
    """One fake upstream and index per class; a fresh server per test, with ATTEMPTS and
    EXTRA_ENV."""
    ATTEMPTS = fm.ATTEMPTS
    EXTRA_ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.env = fm.Environment(servers=False)

    @classmethod
    def tearDownClass(cls):
        problems = cls.env.close()
        if problems:
            raise AssertionError("\n".join(problems))

    def setUp(self):
        self.env.fake.reset()
        self.server = self.env.start(self.ATTEMPTS, fm.MAIN_TIMEOUT_S, self.EXTRA_ENV)

    def tearDown(self):
        problems = self.env.stop_server(self.server)
        self.assertEqual(problems, [])

    def attempts(self, match=fm.CHAT_MATCH):
        return len([r for r in self.env.fake.requests() if match in r["path"]])

    def record(self, operation, fault, status, body, attempts, breaker, notes):
        self.env.observations.append({
            "operation": operation, "fault": fault, "status": status, "body": body,
            "attempts": attempts, "breaker_after": breaker, "next_request_ok": True,
            "notes": notes, "config": self.server.config})


class BreakerFaults(ServerPerTest):
    def setUp(self):
        super().setUp()
        self.server.config = f"LLM_MAX_RETRIES={fm.ATTEMPTS}; breaker: 5 failures, 30 s cool-down"

    def readyz(self):
        status, _, body = self.server.get_json("/readyz")
        return status, body

    def circuit_open(self, upstream):
        return fm.upstream_metrics(self.server).get(("rag_upstream_circuit_open", upstream))

    def test_chat_breaker_opens_after_five_failures_and_fails_fast(self):
        fake = self.env.fake
        fake.script([{"match": fm.CHAT_MATCH, "status": 500, "body": fm.UPSTREAM_BODY}] * 20)
        first = self.server.post_json("/chat", {"message": fm.QUESTION})
        self.assertEqual(first[0], 502)
        self.assertEqual(self.attempts(fm.CHAT_MATCH), fm.ATTEMPTS)
        self.assertEqual(self.circuit_open("chat"), 0)
        second = self.server.post_json("/chat", {"message": fm.QUESTION})
        self.assertEqual((second[0], second[2]), (502, BAD_GATEWAY))
        opened_after = self.attempts(fm.CHAT_MATCH)
        self.assertEqual(opened_after, 5)  # the 5th failure opens it; the 6th attempt is refused
        self.assertEqual(self.circuit_open("chat"), 1)
        status, ready = self.readyz()
        self.assertEqual(status, 503, ready)
        self.assertIn("open", json.dumps(ready["checks"]["chat_upstream"]))
        self.assertNotIn(fm.KEY, json.dumps(ready))

        fake.reset()  # the upstream is healthy again, but the breaker does not ask it
        status, headers, body = self.server.post_json("/chat", {"message": fm.QUESTION})
        self.assertEqual((status, body), (502, BAD_GATEWAY))
        res, events, _ = fm.stream_chat(self.server, {"message": fm.QUESTION, "stream": True})
        self.assertEqual(events[-1][0], "error")
        self.assertEqual(json.loads(events[-1][1]),
                         {"detail": BAD_GATEWAY["detail"], "status": 502})
        self.assertEqual(self.attempts(fm.CHAT_MATCH), 0)
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        status, _, found = self.server.post_json("/search", {"query": fm.QUESTION})
        self.assertEqual(status, 200)  # the embeddings upstream has its own breaker
        self.assertTrue(found["results"])
        self.record("chat, breaker", "500 on 2 calls (5 failed attempts), then a healthy upstream",
                    status=502, body=BAD_GATEWAY, attempts=0, breaker="open",
                    notes=[f"calls 1-2: {fm.ATTEMPTS} + 2 attempts; then no attempt at all "
                           "(JSON 502, SSE error 502); /readyz 503 "
                           f"{ready['checks']['chat_upstream']!r}; /healthz 200; "
                           "search unaffected"])

    def test_search_breaker_opens_and_search_stays_lexical(self):
        fake = self.env.fake
        fake.script([{"match": fm.EMBED_MATCH, "status": 503}] * 20)
        for i in range(2):  # new spellings: the query-embedding cache must miss
            query = fm.QUESTION + "!" * (i + 1)
            status, _, body = self.server.post_json("/search", {"query": query})
            self.assertEqual(status, 200, body)
        self.assertEqual(self.attempts(fm.EMBED_MATCH), 5)
        self.assertEqual(self.circuit_open("embeddings"), 1)
        status, ready = self.readyz()
        self.assertEqual(status, 503, ready)
        self.assertIn("open", json.dumps(ready["checks"]["embeddings_upstream"]))
        fake.reset()
        status, _, body = self.server.post_json("/search", {"query": fm.QUESTION + "?"})
        self.assertEqual(status, 200)
        self.assertEqual(body["results"][0]["citation_url"], "/config")
        self.assertEqual(self.attempts(fm.EMBED_MATCH), 0)
        status, _, answer = self.server.post_json("/chat", {"message": fm.QUESTION + "?"})
        self.assertEqual(status, 200, answer)  # chat's own breaker is closed
        self.record("search, breaker",
                    "503 on 2 searches (5 failed attempts), then a healthy upstream",
                    status=200, body={"results": len(body["results"])}, attempts=0, breaker="open",
                    notes=["search stays lexical with no embeddings attempt; /readyz 503 "
                           f"{ready['checks']['embeddings_upstream']!r}; chat unaffected"])

    def test_client_errors_and_rate_limits_never_open_the_breaker(self):
        fake = self.env.fake
        faults = [{"match": fm.CHAT_MATCH, "status": s, "body": fm.UPSTREAM_BODY}
                  for s in (400, 401)]
        fake.script((faults * 3) + [{"match": fm.CHAT_MATCH, "status": 429}] * 3 * fm.ATTEMPTS)
        statuses = [self.server.post_json("/chat", {"message": fm.QUESTION})[0] for _ in range(9)]
        self.assertEqual(statuses, [502] * 6 + [429] * 3)
        self.assertEqual(self.attempts(fm.CHAT_MATCH), 6 + 3 * fm.ATTEMPTS)
        self.assertEqual(self.circuit_open("chat"), 0)
        self.assertEqual(self.readyz()[0], 200)
        self.record("chat, breaker", "400/401 ×6 then 429 ×9 in a row",
                    status="502 ×6, 429 ×3", body="docs/api.md shapes",
                    attempts=6 + 3 * fm.ATTEMPTS,
                    breaker="closed",
                    notes=["client errors and rate limits are not health failures"])


class ConfiguredBreaker(ServerPerTest):
    """LLM_BREAKER_FAILURES and LLM_BREAKER_COOLDOWN: the breaker opens after that many failed
    attempts, fails fast for the cool-down, then lets one probe through whose success closes it."""

    COOLDOWN_S = fm._scaled(3.0)  # long enough for the fail-fast checks, short for the test
    ATTEMPTS = 1
    EXTRA_ENV = {"LLM_BREAKER_FAILURES": "2", "LLM_BREAKER_COOLDOWN": f"{COOLDOWN_S:g}"}

    def chat_check(self):
        status, _, body = self.server.get_json("/readyz")
        return status, body["checks"]["chat_upstream"]

    def test_opens_after_the_configured_failures_and_probes_after_the_cool_down(self):
        fake = self.env.fake
        fake.script([{"match": fm.CHAT_MATCH, "status": 500, "body": fm.UPSTREAM_BODY}] * 2)
        self.assertEqual(self.server.post_json("/chat", {"message": fm.QUESTION})[0], 502)
        self.assertEqual(self.chat_check()[0], 200)  # one failure of two
        self.assertEqual(self.server.post_json("/chat", {"message": fm.QUESTION})[0], 502)
        status, check = self.chat_check()
        self.assertEqual(status, 503, check)
        self.assertIn("open", json.dumps(check))
        self.assertEqual(self.attempts(), 2)

        fake.reset()  # healthy again; the open breaker does not ask it
        self.assertEqual(self.server.post_json("/chat", {"message": fm.QUESTION})[0], 502)
        self.assertEqual(self.attempts(), 0)

        deadline = time.monotonic() + 4 * self.COOLDOWN_S
        while self.chat_check()[0] != 200:  # the cool-down passes: half-open, ready again
            self.assertLess(time.monotonic(), deadline, "the breaker never left the open state")
            time.sleep(0.05)
        self.assertIn("half_open", json.dumps(self.chat_check()[1]))
        status, _, answer = self.server.post_json("/chat", {"message": fm.QUESTION})
        self.assertEqual(status, 200, answer)  # the probe succeeded: closed
        self.assertEqual(self.attempts(), 1)
        self.assertIn("closed", json.dumps(self.chat_check()[1]))
        self.assertEqual(fm.upstream_metrics(self.server).get(("rag_upstream_circuit_open", "chat")),
                         0)
        self.server.config = (f"LLM_MAX_RETRIES=1; LLM_BREAKER_FAILURES=2, "
                              f"LLM_BREAKER_COOLDOWN={self.COOLDOWN_S:g}")
        self.record("chat, breaker", "500 on 2 calls, then a healthy upstream (configured breaker)",
                    status=200, body="answer", attempts=3, breaker="closed",
                    notes=["calls 1-2: 1 attempt each, then open: call 3 fails fast (502, no "
                           "attempt); after the cool-down /readyz is 200 'half_open', call 4 is the "
                           "probe (200) and closes the breaker"])


if __name__ == "__main__":
    unittest.main()
