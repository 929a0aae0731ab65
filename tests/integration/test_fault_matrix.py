"""Upstream fault matrix (issue 8 point 3; error shapes of docs/api.md; retries, breaker and
timeouts of docs/configuration.md).

Every operation that calls an upstream -- chat (JSON), streamed chat (SSE), the query embedding
of a hybrid /search and of a /chat -- meets every fault the fake upstream scripts (429 with and
without Retry-After or retry-after-ms, 408, 500, 503, 400, 401, a hang past LLM_TIMEOUT, a
connection reset, truncated answers, malformed JSON, embeddings of the wrong dimension), on
every attempt. Each cell checks
the client-visible status and body (docs/api.md's exact shapes, nothing of the upstream's text,
key or address), the number of upstream attempts (the fake's record, cross-checked with /metrics), that
the server stays healthy (process alive, GET /healthz 200, the next normal request served by the
upstream) and the breaker's state. Indexing (`rag-server index` with an embeddings upstream) is
in test_fault_matrix_index.py; the breaker's opening in test_fault_matrix_breaker.py.

Every cell's observation is merged into $RAG_BUILD_DIR/test-output/fault_matrix.json;
tests/integration/fault_matrix_table.py renders that file as the table of docs/RELIABILITY.md.
No sleeps: the only timing assertion is the generous lower bound on the spacing Retry-After asks.
"""
import json
import unittest

import harness
import test_fault_matrix_support as fm

# -- expected outcomes (docs/api.md, docs/configuration.md)
# -----------------------------------------------------------
RATE = {"detail": "Rate limit exceeded. Please try again in a moment."}
BAD_GATEWAY = {"detail": "Upstream model error"}
TIMEOUT = {"detail": "Request timed out. Please try again."}
N = fm.ATTEMPTS          # attempts in all on the main server (LLM_MAX_RETRIES)
H = fm.HANG_ATTEMPTS     # attempts in all on the hang server

# fault name -> (status, body, attempts, Retry-After header expected) for a JSON /chat.
CHAT = {
    "429 + Retry-After: 1": (429, RATE, N, "1"),
    "429 + Retry-After: 600": (429, RATE, 1, "600"),
    "429, no Retry-After": (429, RATE, N, "any"),
    "429 + retry-after-ms: 300": (429, RATE, N, "1"),
    "408": (502, BAD_GATEWAY, N, None),
    "500": (502, BAD_GATEWAY, N, None),
    "503": (502, BAD_GATEWAY, N, None),
    "400": (502, BAD_GATEWAY, 1, None),
    "401": (502, BAD_GATEWAY, 1, None),
    "hang": (504, TIMEOUT, H, None),
    "connection reset": (502, BAD_GATEWAY, N, None),
    "body cut short": (502, BAD_GATEWAY, N, None),
    "reset mid-body": (502, BAD_GATEWAY, N, None),
    "malformed JSON": (502, BAD_GATEWAY, 1, None),
}

# fault name -> (error event status, attempts, token events before the error) for /chat stream.
STREAM = {
    "429 + Retry-After: 1": (429, N, 0),
    "429 + Retry-After: 600": (429, 1, 0),
    "429, no Retry-After": (429, N, 0),
    "500": (502, N, 0),
    "503": (502, N, 0),
    "400": (502, 1, 0),
    "401": (502, 1, 0),
    "hang": (504, H, 0),
    "connection reset": (502, N, 0),
    "cut before the first token": (502, N, 0),
    "cut after 2 tokens": (502, 1, 2),
    "cut mid-event after 2 tokens": (502, 1, 2),
    "reset after 2 tokens": (502, 1, 2),
    "malformed JSON": (502, 1, 0),
}

# fault name -> embeddings attempts; the query embedding failing leaves the search lexical (200).
EMBED = {
    "429 + Retry-After: 1": N,
    "429 + Retry-After: 600": 1,
    "429, no Retry-After": N,
    "500": N,
    "503": N,
    "400": 1,
    "401": 1,
    "hang": H,
    "connection reset": N,
    "body cut short": N,
    "malformed JSON": 1,
    "wrong dimension": 1,
}


class _MatrixBase(unittest.TestCase):
    """One fake upstream, one index with vectors, a main server and a hang server (short
    LLM_TIMEOUT) per class."""

    @classmethod
    def setUpClass(cls):
        cls.env = fm.Environment()

    @classmethod
    def tearDownClass(cls):
        problems = cls.env.close()
        if problems:
            raise AssertionError("\n".join(problems))

    def setUp(self):
        self.env.fake.reset()

    def server_for(self, fault):
        return self.env.hang_server if fault == "hang" else self.env.server

    def check_no_leak(self, raw, where):
        for secret in self.env.forbidden():
            self.assertNotIn(secret.encode(), raw, f"{secret!r} leaked into {where}")

    def check_headers(self, headers):
        self.assertIn("x-request-id", headers)


class ChatFaults(_MatrixBase):
    def run_chat(self, fault):
        status, body, attempts, retry_after = CHAT[fault]
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "chat", fault, fm.CHAT_MATCH)
        cell.expected = {"status": status, "attempts": attempts}
        sid = cell.session_id()
        with cell:
            cell.status, headers, raw = server.request(
                "POST", "/chat", body={"message": fm.QUESTION, "session_id": sid},
                timeout=fm.CLIENT_TIMEOUT)
        cell.body = json.loads(raw)
        cell.retry_after = headers.get("retry-after")
        cell.finish(self)  # health first, so the table has it even when a check below fails
        self.check_headers(headers)
        self.check_no_leak(raw, "the /chat body")
        self.assertEqual((cell.status, cell.body), (status, body), cell.describe())
        self.assertEqual(cell.attempts, attempts, cell.describe())
        if retry_after == "any":
            self.assertRegex(cell.retry_after or "", r"^[1-9]\d*$")
        elif retry_after:
            self.assertEqual(cell.retry_after, retry_after)
        if fault == "429 + Retry-After: 1":
            cell.check_spacing(self, 1.0)
        if fault == "429 + retry-after-ms: 300":
            cell.check_spacing(self, 0.3)
        # A failed exchange is not remembered.
        self.assertEqual(server.get_json(f"/sessions/{sid}/history")[2]["history"], [])
        cell.check_metrics(self)


class StreamFaults(_MatrixBase):
    def run_stream(self, fault):
        error_status, attempts, tokens = STREAM[fault]
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "chat_stream", fault, fm.CHAT_MATCH)
        cell.expected = {"status": 200}
        if fault != "reset after 2 tokens":
            cell.expected["attempts"] = attempts
        sid = cell.session_id()
        with cell:
            res, events, raw = fm.stream_chat(server, {"message": fm.QUESTION, "session_id": sid,
                                                       "stream": True})
        cell.status = res.status
        self.check_no_leak(raw, "the SSE stream")
        self.assertEqual(res.status, 200)
        self.assertTrue(res.getheader("Content-Type", "").startswith("text/event-stream"))
        names = [e for e, _ in events if e != ":"]
        cell.body = {"events": names, "error": json.loads(events[-1][1]) if events else None}
        cell.finish(self)
        expected_names = ["sources"] + ["token"] * tokens + ["error"]
        detail = {429: RATE, 502: BAD_GATEWAY, 504: TIMEOUT}[error_status]["detail"]
        self.assertEqual(cell.body["error"], {"detail": detail, "status": error_status})
        delivered = "".join(json.loads(d)["delta"] for e, d in events if e == "token")
        if fault == "reset after 2 tokens":
            # An RST may drop deltas still in the kernel's buffer: an attempt whose deltas never
            # reached the client may be retried. What the client saw must still be one clean
            # prefix of the answer (no delta twice), then the error.
            self.assertLessEqual(len(names) - 2, tokens, cell.describe())
            self.assertEqual(names[0], "sources")
            self.assertEqual(names[-1], "error")
            self.assertTrue(fm.ANSWER.startswith(delivered), delivered)
            self.assertLessEqual(cell.attempts, N, cell.describe())
            cell.notes.append("an RST can drop deltas not yet read; such an attempt is retried")
        else:
            self.assertEqual(names, expected_names, cell.describe())
            self.assertEqual(cell.attempts, attempts, cell.describe())
            self.assertTrue(fm.ANSWER.startswith(delivered), delivered)
        if fault == "429 + Retry-After: 1":
            cell.check_spacing(self, 1.0)
        self.assertEqual(server.get_json(f"/sessions/{sid}/history")[2]["history"], [])
        cell.check_metrics(self)


class SearchEmbeddingFaults(_MatrixBase):
    def run_search(self, fault):
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "search (query embedding)", fault, fm.EMBED_MATCH)
        cell.expected = {"status": 200, "attempts": EMBED[fault]}
        with cell:
            cell.status, headers, raw = server.request(
                "POST", "/search", body={"query": cell.unique_query(), "k": 3},
                timeout=fm.CLIENT_TIMEOUT)
        body = json.loads(raw)
        cell.body = {"results": len(body.get("results", [])),
                     "first": (body.get("results") or [{}])[0].get("citation_url")}
        cell.finish(self)
        self.check_headers(headers)
        self.check_no_leak(raw, "the /search body")
        # Degraded, not failed: the search falls back to BM25 and still answers.
        self.assertEqual(cell.status, 200, body)
        self.assertEqual(cell.body["first"], "/config", body)
        self.assertEqual(cell.attempts, EMBED[fault], cell.describe())
        if fault == "429 + Retry-After: 1":
            cell.check_spacing(self, 1.0)
        cell.check_metrics(self)


class ChatEmbeddingFaults(_MatrixBase):
    def run_chat_embedding(self, fault):
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "chat (query embedding)", fault, fm.EMBED_MATCH)
        cell.expected = {"status": 200, "attempts": EMBED[fault]}
        with cell:
            cell.status, headers, raw = server.request(
                "POST", "/chat", body={"message": cell.unique_query()}, timeout=fm.CLIENT_TIMEOUT)
        body = json.loads(raw)
        cell.body = {"response": body.get("response", "")[:24] + "…",
                     "sources": len(body.get("sources", []))}
        cell.finish(self)
        self.check_headers(headers)
        self.check_no_leak(raw, "the /chat body")
        self.assertEqual(cell.status, 200, body)
        self.assertTrue(body["response"].startswith("FAKE-ANSWER:"), body)
        self.assertEqual(body["sources"][0]["url"], "/config")
        self.assertEqual(cell.attempts, EMBED[fault], cell.describe())
        self.assertEqual(len(cell.other_requests(fm.CHAT_MATCH)), 1)
        cell.check_metrics(self)


# fault -> (status, error type, error code, detail, attempts, Retry-After) on the OpenAI face.
OPENAI = {
    "429 + Retry-After: 600": (429, "rate_limit_error", "rate_limit_exceeded", RATE, 1, "600"),
    "429, no Retry-After": (429, "rate_limit_error", "rate_limit_exceeded", RATE, N, "any"),
    "500": (502, "server_error", "upstream_error", BAD_GATEWAY, N, None),
    "401": (502, "server_error", "upstream_error", BAD_GATEWAY, 1, None),
    "hang": (504, "server_error", "timeout", TIMEOUT, H, None),
    "malformed JSON": (502, "server_error", "upstream_error", BAD_GATEWAY, 1, None),
}
# fault -> (error code, attempts, content chunks before the error) for the OpenAI face's stream.
OPENAI_STREAM = {
    "500": ("upstream_error", N, 0),
    "hang": ("timeout", H, 0),
    "cut after 2 tokens": ("upstream_error", 1, 2),
}


class OpenAiFaceFaults(_MatrixBase):
    """POST /v1/chat/completions: the same faults in OpenAI's error shape."""

    def openai_payload(self, stream=False):
        return {"model": "rag", "stream": stream,
                "messages": [{"role": "user", "content": fm.QUESTION}]}

    def run_openai(self, fault):
        status, etype, code, detail, attempts, retry_after = OPENAI[fault]
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "openai /v1/chat/completions", fault, fm.CHAT_MATCH)
        cell.expected = {"status": status, "attempts": attempts}
        with cell:
            cell.status, headers, raw = server.request(
                "POST", "/v1/chat/completions", body=self.openai_payload(),
                timeout=fm.CLIENT_TIMEOUT)
        cell.body = json.loads(raw)
        cell.retry_after = headers.get("retry-after")
        cell.finish(self)
        self.check_headers(headers)
        self.check_no_leak(raw, "the /v1/chat/completions body")
        self.assertEqual(cell.status, status)
        self.assertEqual(cell.body, {"error": {"message": detail["detail"], "type": etype,
                                               "param": None, "code": code}})
        self.assertEqual(cell.attempts, attempts, cell.describe())
        if retry_after == "any":
            self.assertRegex(cell.retry_after or "", r"^[1-9]\d*$")
        elif retry_after:
            self.assertEqual(cell.retry_after, retry_after)
        cell.check_metrics(self)

    def run_openai_stream(self, fault):
        code, attempts, chunks = OPENAI_STREAM[fault]
        server = self.server_for(fault)
        cell = fm.Cell(self.env, server, "openai /v1/chat/completions stream", fault,
                       fm.CHAT_MATCH)
        cell.expected = {"status": 200, "attempts": attempts}
        conn = server.connection(timeout=fm.CLIENT_TIMEOUT)
        with cell:
            conn.request("POST", "/v1/chat/completions", body=json.dumps(self.openai_payload(True)),
                         headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            raw = res.read()
            conn.close()
        cell.status = res.status
        data = [d for e, d in fm.parse_sse(raw) if e != ":"]
        error = json.loads(data[-2]) if len(data) >= 2 else None
        contents = [json.loads(d)["choices"][0]["delta"].get("content", "") for d in data[1:-2]]
        cell.body = {"chunks": len(data), "error": error, "last": data[-1] if data else None}
        cell.finish(self)
        self.check_no_leak(raw, "the /v1 stream")
        self.assertEqual(res.status, 200)
        self.assertEqual(data[-1], "[DONE]")
        self.assertEqual(error["error"]["code"], code)
        self.assertEqual(len([c for c in contents if c]), chunks, data)
        self.assertTrue(fm.ANSWER.startswith("".join(contents)))
        self.assertEqual(cell.attempts, attempts, cell.describe())
        cell.check_metrics(self)


def _add_cells(cls, table, runner, skip=()):
    for fault in table:
        if fault in skip:
            continue
        name = "test_" + "".join(c if c.isalnum() else "_" for c in fault.lower()).strip("_")
        setattr(cls, name, lambda self, f=fault: getattr(self, runner)(f))


_add_cells(ChatFaults, CHAT, "run_chat")
_add_cells(StreamFaults, STREAM, "run_stream")
_add_cells(SearchEmbeddingFaults, EMBED, "run_search")
_add_cells(ChatEmbeddingFaults, EMBED, "run_chat_embedding")
_add_cells(OpenAiFaceFaults, OPENAI, "run_openai")
for _fault in OPENAI_STREAM:
    setattr(OpenAiFaceFaults, "test_stream_" + "".join(
        c if c.isalnum() else "_" for c in _fault.lower()).strip("_"),
        lambda self, f=_fault: self.run_openai_stream(f))


if __name__ == "__main__":
    unittest.main()
