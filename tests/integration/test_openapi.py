"""GET /openapi.json and /docs against the real server.

1. The document (src/web/assets/apidoc/openapi.json, and the one served) is valid OpenAPI 3.1
   for a real validator (tests/node/openapi_validate.mjs: @seriousme/openapi-schema-validator,
   every $ref resolves, every schema compiles in ajv's strict mode, every example is valid).
2. Every endpoint is exercised against servers with the fake upstream, reaching every status a
   client can provoke (422s, 404, 405, 413, 431, 429 of both kinds, 502, 503, 504, SSE streams
   with their error events); each recorded status + headers + body is checked by ajv against
   the document's schema for that path, method, status and content type
   (tests/node/openapi_check_responses.mjs). An undocumented status, header value, content type,
   field or event fails, as does a documented operation that was never exercised, and a request
   the server accepted (refused) that the document's request schema refuses (accepts).
3. /docs renders every documented operation, status and schema in headless Chromium with no
   error and no request leaving the server (tests/node/openapi_docs_page.mjs).

Readiness is observed (a printed port, a log line), never slept for.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from test_chat_support import API_KEY, FakeUpstream, build_index, start_server, tempdir

NODE_DIR = os.path.join(harness.SOURCE_DIR, "tests", "node")
DOCUMENT = os.path.join(harness.SOURCE_DIR, "src", "web", "assets", "apidoc", "openapi.json")
QUESTION = "How do I change the port the server listens on?"
# Connection-level answers (413, 431) are written before any middleware runs; they carry a
# fresh X-Request-Id like every response (checked in ConnectionLevelErrors below).
CONNECTION_LEVEL = []


def node(script, *args, timeout=180):
    """Runs a tests/node script; returns (exit code, its JSON report)."""
    if shutil.which("node") is None:
        raise AssertionError("node is not installed (scripts/setup.sh --test installs it)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ajv")):
        raise AssertionError(f"{NODE_DIR}/node_modules is missing: run npm ci there")
    done = subprocess.run(["node", script, *args], cwd=NODE_DIR, capture_output=True, text=True,
                          timeout=timeout)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{script} printed no report (exit {done.returncode}):\n"
                             f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.returncode, report


class Recorder:
    """Sends requests and keeps each exchange as a record for openapi_check_responses.mjs."""

    def __init__(self):
        self.records = []

    def send(self, server, method, target, template=None, *, component=None, body=None,
             headers=None, expect=None, ignore_headers=(), label=None):
        """`template` is the document's path ("/sessions/{id}"; default: target); `component`
        names a components.responses entry instead (answers on any path). `expect` says
        whether the document's request schema must accept ("valid") or refuse ("invalid")
        the JSON body. Returns (status, headers, body bytes)."""
        status, hdrs, data = server.request(method, target, body=body, headers=headers)
        self.add(method, template or target, status, hdrs, data, component=component,
                 body=body, expect=expect, ignore_headers=ignore_headers, label=label)
        return status, hdrs, data

    def add(self, method, template, status, headers, data, *, component=None, body=None,
            expect=None, ignore_headers=(), label=None):
        record = {"label": label or f"{method} {template} -> {status}", "method": method,
                  "status": status, "headers": headers,
                  "body": data.decode("utf-8", "replace"), "ignore_headers": list(ignore_headers)}
        if component:
            record["component"] = component
        else:
            record["path"] = template
        if expect:
            record["request"] = {"body": body, "expect": expect}
        self.records.append(record)

    def check(self, test, document_file, require_all_operations=False):
        """Checks every record against the document; fails `test` with every problem."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(self.records, f)
        try:
            code, report = node("openapi_check_responses.mjs", document_file, f.name)
        finally:
            os.unlink(f.name)
        problems = [f"{x['label']}: " + "; ".join(x["problems"]) for x in report["failures"]]
        if require_all_operations:
            problems += [f"never exercised: {op}" for op in report["unexercised"]]
        test.assertEqual(report["checked"], len(self.records))
        test.assertEqual(problems, [], "\n".join(problems))
        if require_all_operations:
            test.assertEqual(code, 0)
        return report


def post_with_declared_length(server, path, length):
    """A POST whose Content-Length is over MAX_BODY_BYTES; the server answers from the head."""
    conn = server.connection(10)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def huge_header_request(server):
    conn = server.connection(10)
    try:
        conn.request("GET", "/", headers={"X-Padding": "p" * 20000})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def served_document(test, server, directory):
    """GET /openapi.json, saved to a file for the node checks; returns (path, parsed)."""
    status, headers, body = server.request("GET", "/openapi.json")
    test.assertEqual(status, 200)
    test.assertTrue(headers["content-type"].startswith("application/json"))
    path = os.path.join(directory, "openapi.served.json")
    with open(path, "wb") as f:
        f.write(body)
    return path, json.loads(body)


class Document(unittest.TestCase):
    def test_the_document_is_valid_openapi_31(self):
        code, report = node("openapi_validate.mjs", DOCUMENT)
        self.assertEqual(report["errors"], [])
        self.assertEqual((code, report["valid"], report["version"]), (0, True, "3.1"))
        self.assertGreater(report["schemas"], 50)
        self.assertGreater(report["examples"], 20)

    def test_the_validator_refuses_a_broken_document(self):
        # The check can fail: a misspelt schema keyword, an unresolved $ref and an example
        # that contradicts its schema are each reported.
        with open(DOCUMENT, encoding="utf-8") as f:
            doc = json.load(f)
        doc["components"]["schemas"]["Root"]["properties"]["message"]["typ"] = "string"
        doc["paths"]["/search"]["post"]["responses"]["200"]["headers"]["X-Request-Id"]["$ref"] += "x"
        doc["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["example"] = {"status": "dead"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "broken.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            code, report = node("openapi_validate.mjs", path)
        self.assertEqual(code, 1)
        checks = {e["check"] for e in report["errors"]}
        self.assertLessEqual({"media-example", "ref", "schema-compiles"}, checks)

    def test_served_document_is_the_embedded_one_with_the_server_version(self):
        version = harness.run_cli(["--version"]).stdout.split()[-1]
        with harness.Server() as server, tempfile.TemporaryDirectory() as d:
            path, served = served_document(self, server, d)
            code, report = node("openapi_validate.mjs", path)
            self.assertEqual(report["errors"], [])
            self.assertEqual(code, 0)
        self.assertEqual(served["info"]["version"], version)
        with open(DOCUMENT, encoding="utf-8") as f:
            embedded = json.load(f)
        embedded["info"]["version"] = version
        self.assertEqual(served, embedded)


class ResponsesMatchTheDocument(unittest.TestCase):
    """One index, one fake upstream, one server; every operation exercised."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
        cls.db = build_index(cls.tmp.name)
        cls.fake = FakeUpstream()
        cls.server = start_server(cls.db, cls.fake, {"LLM_TIMEOUT": "2"})
        cls.document, _ = served_document(unittest.TestCase(), cls.server, cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.fake.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.fake.reset()
        self.rec = Recorder()

    def send(self, *args, **kw):
        return self.rec.send(self.server, *args, **kw)

    # -- groups of exchanges ---------------------------------------------------------------------
    def status_and_pages(self):
        for path in ["/", "/healthz", "/readyz", "/metrics", "/v1/models", "/openapi.json",
                     "/docs", "/ui"]:
            self.assertEqual(self.send("GET", path)[0], 200, path)
        for name in ["apidoc.js", "apidoc.css"]:
            self.assertEqual(self.send("GET", "/docs/" + name, "/docs/{file}")[0], 200)
        self.assertEqual(self.send("GET", "/docs/missing.js", "/docs/{file}")[0], 404)
        status, headers, _ = self.send("GET", "/ui/app.js", "/ui/{file}")
        self.assertEqual(status, 200)
        self.assertEqual(self.send("GET", "/ui/app.js", "/ui/{file}",
                                   headers={"If-None-Match": headers["etag"]})[0], 304)
        etag = self.send("GET", "/ui")[1]["etag"]
        self.assertEqual(self.send("GET", "/ui", headers={"If-None-Match": etag})[0], 304)
        self.assertEqual(self.send("GET", "/ui/missing.js", "/ui/{file}")[0], 404)
        self.assertEqual(self.send("GET", "/ui/source?url=/config", "/ui/source")[0], 200)
        self.assertEqual(self.send("GET", "/ui/source?url=/nowhere", "/ui/source")[0], 404)
        status, headers, _ = self.send("GET", "/docs")
        self.assertIn("script-src 'self'", headers["content-security-policy"])

    def search(self):
        send = self.send
        status, _, body = send("POST", "/search", body={"query": "change the port", "k": 3},
                               expect="valid")
        self.assertEqual(status, 200)
        self.assertGreater(len(json.loads(body)["results"]), 0)
        self.assertEqual(send("POST", "/search", body={"query": "sessions", "k": 50},
                              expect="valid")[0], 200)
        self.assertEqual(send("POST", "/search", body={"query": "   "}, expect="valid")[0], 200)
        for bad in [{}, {"query": "x", "k": 51}, {"query": "x", "k": 0}, {"query": "x", "k": "abc"}]:
            self.assertEqual(send("POST", "/search", body=bad, expect="invalid")[0], 422, bad)
        self.assertEqual(send("POST", "/search", body='{"query": ',
                              headers={"Content-Type": "application/json"})[0], 422)
        self.assertEqual(send("POST", "/search", body="query=x",
                              headers={"Content-Type": "text/plain"})[0], 422)
        status, headers, body = post_with_declared_length(self.server, "/search", 5 * 1024 * 1024)
        self.assertEqual(status, 413)
        self.rec.add("POST", "/search", status, headers, body, ignore_headers=CONNECTION_LEVEL)

    def chat(self):
        send = self.send
        status, _, body = send("POST", "/chat", body={"message": QUESTION, "session_id": "oa-1"},
                               expect="valid")
        self.assertEqual(status, 200)
        self.assertGreater(len(json.loads(body)["sources"]), 0)
        history = [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": "hello", "timestamp": None}]
        self.assertEqual(send("POST", "/chat", body={"message": "and the host?", "session_id": "oa-1",
                                                     "history": history, "stream": False},
                              expect="valid")[0], 200)
        self.assertEqual(send("POST", "/chat", body={"message": ""}, expect="valid")[0], 200)
        self.assertEqual(send("POST", "/chat", body={"message": "x" * 8000, "session_id": None},
                              expect="valid")[0], 200)
        for bad in [{}, {"message": "x" * 8001}, {"message": "hi", "session_id": "a b"},
                    {"message": "hi", "session_id": ""},
                    {"message": "hi", "history": [{"role": "user"}]},
                    {"message": "hi", "history": [{"role": "system", "content": "x"}]},
                    {"message": None}]:
            self.assertEqual(send("POST", "/chat", body=bad, expect="invalid")[0], 422, bad)
        status, headers, body = post_with_declared_length(self.server, "/chat", 2 * 1024 * 1024)
        self.assertEqual(status, 413)
        self.rec.add("POST", "/chat", status, headers, body, ignore_headers=CONNECTION_LEVEL)

        # Streams: by the body's flag and by the Accept header.
        for body, extra in [({"message": QUESTION, "stream": True}, {}),
                            ({"message": QUESTION}, {"Accept": "text/event-stream"})]:
            status, headers, data = send("POST", "/chat", body=body, headers=extra, expect="valid")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/event-stream"))
            self.assertEqual((headers["cache-control"], headers["x-accel-buffering"]), ("no-cache", "no"))
            self.assertIn(b"event: done", data)

    def chat_upstream_failures(self):
        send = self.send
        for fault, expected in [({"status": 500}, 502), ({"status": 429, "headers": {"Retry-After": "1"}}, 429),
                                ({"hang": True}, 504)]:
            self.fake.reset()
            self.fake.script([dict(fault, match="chat/completions")] * 6)
            status, headers, body = send("POST", "/chat", body={"message": QUESTION}, expect="valid")
            self.assertEqual(status, expected, body)
            if expected == 429:
                self.assertIn("detail", json.loads(body))
                self.assertIn("retry-after", headers)
            self.fake.reset()
            self.fake.script([dict(fault, match="chat/completions")] * 6)
            status, _, data = send("POST", "/v1/chat/completions", expect="valid",
                                   body={"messages": [{"role": "user", "content": QUESTION}]})
            self.assertEqual(status, expected, data)
            self.assertIn("error", json.loads(data))
            self.recover()
        # Failures after a stream started end it with an error event.
        self.fake.reset()
        self.fake.script([{"match": "chat/completions", "status": 500}] * 6)
        status, _, data = send("POST", "/chat", body={"message": QUESTION, "stream": True})
        self.assertEqual(status, 200)
        self.assertIn(b"event: error", data)
        self.recover()
        self.fake.script([{"match": "chat/completions", "status": 500}] * 6)
        status, _, data = send("POST", "/v1/chat/completions",
                               body={"messages": [{"role": "user", "content": QUESTION}], "stream": True})
        self.assertEqual(status, 200)
        self.assertIn(b'"upstream_error"', data)
        self.assertTrue(data.rstrip().endswith(b"data: [DONE]"))
        self.recover()

    def recover(self):
        """A successful call after failures, so the upstream's circuit breaker (5 consecutive
        failures) stays closed for the next case."""
        self.fake.reset()
        self.assertEqual(self.send("POST", "/chat", body={"message": QUESTION}, expect="valid")[0], 200)

    def sessions(self):
        send = self.send
        history = "/sessions/{id}/history"
        status, _, body = send("GET", "/sessions/oa-1/history", history)
        self.assertEqual(status, 200)
        self.assertGreater(len(json.loads(body)["history"]), 0)
        self.assertEqual(json.loads(send("GET", "/sessions/oa-unknown/history", history)[2])["history"], [])
        self.assertEqual(send("GET", "/sessions/a%20b/history", history)[0], 422)
        self.assertEqual(json.loads(send("DELETE", "/sessions/oa-1", "/sessions/{id}")[2]),
                         {"message": "Session oa-1 cleared"})
        self.assertEqual(json.loads(send("DELETE", "/sessions/oa-1", "/sessions/{id}")[2]),
                         {"message": "Session oa-1 not found"})
        self.assertEqual(send("DELETE", "/sessions/" + "x" * 129, "/sessions/{id}")[0], 422)

    def feedback(self):
        send = self.send
        status, _, body = send("POST", "/chat", body={"message": QUESTION}, expect="valid")
        self.assertEqual(status, 200)
        answer_id = json.loads(body)["response_id"]
        self.assertEqual(send("POST", "/feedback", expect="valid",
                              body={"response_id": answer_id, "rating": "down",
                                    "comment": "wrong port"})[0], 200)
        self.assertEqual(send("POST", "/feedback", expect="valid",
                              body={"response_id": "0" * 32, "rating": "up"})[0], 404)
        self.assertEqual(send("POST", "/feedback", expect="invalid",
                              body={"response_id": answer_id, "rating": "meh"})[0], 422)

    def openai(self):
        send = self.send
        path = "/v1/chat/completions"
        messages = [{"role": "system", "content": "ignored"},
                    {"role": "user", "content": [{"type": "text", "text": "hello"}]},
                    {"role": "assistant", "content": None},
                    {"role": "user", "content": QUESTION}]
        status, _, body = send("POST", path, expect="valid",
                               body={"model": "rag-server", "messages": messages,
                                     "temperature": 0.2, "max_tokens": 50})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["object"], "chat.completion")
        status, headers, data = send("POST", path, expect="valid",
                                     body={"messages": messages, "stream": True})
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/event-stream"))
        self.assertTrue(data.rstrip().endswith(b"data: [DONE]"))
        for bad in [{}, {"messages": []}, {"messages": [{"role": "user", "content": QUESTION}], "temperature": 3},
                    {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 0},
                    {"messages": [{"role": "user", "content": QUESTION}], "stream": "yes"}]:
            self.assertEqual(send("POST", path, body=bad, expect="invalid")[0], 400, bad)
        # Valid for the schema, refused by the server's rules: the last message must be a user one.
        self.assertEqual(send("POST", path, body={"messages": [{"role": "assistant", "content": "x"}]})[0], 400)
        self.assertEqual(send("POST", path, body="{", headers={"Content-Type": "application/json"})[0], 400)
        status, headers, body = post_with_declared_length(self.server, path, 3 * 1024 * 1024)
        self.assertEqual(status, 413)
        self.rec.add("POST", path, status, headers, body, ignore_headers=CONNECTION_LEVEL)

    def any_path(self):
        self.assertEqual(self.send("GET", "/nope/x", component="NotFound")[0], 404)
        self.assertEqual(self.send("GET", "/docs/a/b", component="NotFound")[0], 404)
        status, headers, _ = self.send("GET", "/search", component="MethodNotAllowed")
        self.assertEqual((status, headers["allow"]), (405, "POST"))
        self.assertEqual(self.send("PUT", "/chat", component="MethodNotAllowed")[0], 405)
        self.assertEqual(self.send("POST", "/sessions/x", component="MethodNotAllowed")[0], 405)
        status, headers, body = huge_header_request(self.server)
        self.assertEqual(status, 431)
        self.rec.add("GET", "/", status, headers, body, component="HeaderFieldsTooLarge",
                     ignore_headers=CONNECTION_LEVEL)

    def test_every_operation_answers_as_documented(self):
        self.status_and_pages()
        self.search()
        self.chat()
        self.sessions()
        self.feedback()
        self.openai()
        self.chat_upstream_failures()
        self.any_path()
        self.assertNotIn(API_KEY, self.server.stderr.text())
        self.rec.check(self, self.document, require_all_operations=True)

    def test_an_undocumented_answer_fails_the_check(self):
        # The checker can fail: a wrong status, a field the schema does not know, a missing
        # required header and an undocumented SSE event are each reported.
        status, headers, body = self.server.request("GET", "/healthz")
        self.rec.add("GET", "/healthz", 418, headers, body, label="status")
        self.rec.add("GET", "/healthz", 200, headers, b'{"status":"alive","extra":1}', label="field")
        self.rec.add("GET", "/healthz", 200, {k: v for k, v in headers.items() if k != "x-request-id"},
                     body, label="header")
        sse = dict(headers, **{"content-type": "text/event-stream"})
        self.rec.add("POST", "/chat", 200, sse, b"event: sources\ndata: []\n\nevent: surprise\ndata: {}\n\n",
                     label="event")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(self.rec.records, f)
        try:
            code, report = node("openapi_check_responses.mjs", self.document, f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(code, 1)
        self.assertEqual([x["label"] for x in report["failures"]], ["status", "field", "header", "event"])


class LimitsAndDegradedModes(unittest.TestCase):
    """Statuses that need a server of their own: per-client rate limits, load shedding, no
    index, no chat upstream."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
        cls.db = build_index(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, rec, server):
        document, _ = served_document(self, server, self.tmp.name)
        rec.check(self, document)

    def test_rate_limited_answers(self):
        fake = FakeUpstream()
        rec = Recorder()
        env = {"RATE_LIMIT_HEALTH": "2/minute", "RATE_LIMIT_SEARCH": "1/minute",
               "RATE_LIMIT_CHAT": "1/minute"}
        try:
            with start_server(self.db, fake, env) as server:
                self.assertEqual([rec.send(server, "GET", "/")[0] for _ in range(3)], [200, 200, 429])
                self.assertEqual([rec.send(server, "POST", "/search", body={"query": "port"})[0]
                                  for _ in range(2)], [200, 429])
                chat = {"message": QUESTION}
                openai = {"messages": [{"role": "user", "content": QUESTION}]}
                self.assertEqual(rec.send(server, "POST", "/chat", body=chat)[0], 200)
                self.assertEqual(rec.send(server, "POST", "/v1/chat/completions", body=openai)[0], 429)
                self.assertEqual(rec.send(server, "POST", "/chat", body=chat)[0], 429)
                for r in rec.records:
                    if r["status"] == 429:
                        error = json.loads(r["body"])["error"]
                        if r["label"].startswith("POST /v1/"):  # OpenAI's shape on its face
                            self.assertEqual(error["code"], "rate_limit_exceeded")
                            error = error["message"]
                        self.assertRegex(error, r"^Rate limit exceeded: \d+ per 1 minute$")
                        for name in ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
                                     "x-ratelimit-reset"]:
                            self.assertIn(name, r["headers"], r["label"])
                self.check(rec, server)
        finally:
            fake.stop()

    def test_load_shedding_answers(self):
        rec = Recorder()
        server = harness.Server(binary=harness.SERVER_TEST_BIN,
                                env={"MAX_CONCURRENT_REQUESTS": "2", "VECTOR_DB_PATH": self.db})
        try:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                held = [pool.submit(server.request, "GET", "/_test/hold") for _ in range(2)]
                server.stderr.wait_for("held request waiting", count=2)
                for method, path, template, body in [
                        ("GET", "/", None, None), ("GET", "/metrics", None, None),
                        ("POST", "/search", None, {"query": "port"}),
                        ("POST", "/chat", None, {"message": QUESTION}),
                        ("GET", "/sessions/x/history", "/sessions/{id}/history", None),
                        ("DELETE", "/sessions/x", "/sessions/{id}", None),
                        ("POST", "/v1/chat/completions", None, {"messages": [{"role": "user", "content": "hi"}]}),
                        ("GET", "/v1/models", None, None), ("GET", "/openapi.json", None, None),
                        ("GET", "/docs", None, None), ("GET", "/docs/apidoc.js", "/docs/{file}", None),
                        ("GET", "/ui", None, None), ("GET", "/ui/app.js", "/ui/{file}", None)]:
                    status, headers, _ = rec.send(server, method, path, template, body=body)
                    self.assertEqual(status, 503, path)
                    self.assertEqual(headers["retry-after"], "1")
                self.assertEqual(rec.send(server, "GET", "/healthz")[0], 200)
                self.assertEqual(rec.send(server, "GET", "/readyz")[0], 503)
                self.assertEqual(server.request("POST", "/_test/release")[0], 200)
                self.assertEqual([f.result()[0] for f in held], [200, 200])
            self.check(rec, server)
        finally:
            server.stop()

    def test_without_an_index(self):
        rec = Recorder()
        with harness.Server(env={"VECTOR_DB_PATH": os.path.join(self.tmp.name, "missing")}) as server:
            status, headers, body = rec.send(server, "POST", "/search", body={"query": "port"})
            self.assertEqual((status, json.loads(body)), (503, {"detail": "Index not loaded"}))
            self.assertEqual(headers["retry-after"], "5")
            # A chat cannot be grounded either: 503, never the refusal (checked against the doc).
            status, headers, body = rec.send(server, "POST", "/chat", body={"message": "port"})
            self.assertEqual((status, json.loads(body)), (503, {"detail": "Index not loaded"}))
            self.assertEqual(headers["retry-after"], "5")
            status, _, body = rec.send(server, "POST", "/v1/chat/completions", body={
                "model": "rag", "messages": [{"role": "user", "content": "port"}]})
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(body)["error"]["type"], "server_error")
            status, _, body = rec.send(server, "GET", "/readyz")
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(body)["status"], "not ready")
            self.check(rec, server)

    def test_extractive_answers_without_a_chat_upstream(self):
        rec = Recorder()
        with start_server(self.db, None) as server:
            status, _, body = rec.send(server, "POST", "/chat", body={"message": QUESTION}, expect="valid")
            self.assertEqual((status, json.loads(body)["mode"]), (200, "extractive"))
            status, _, data = rec.send(server, "POST", "/chat", body={"message": QUESTION, "stream": True})
            self.assertIn(b'"mode":"extractive"', data)
            status, _, body = rec.send(server, "POST", "/v1/chat/completions",
                                       body={"messages": [{"role": "user", "content": QUESTION}]})
            self.assertEqual((status, json.loads(body)["mode"]), (200, "extractive"))
            status, _, data = rec.send(server, "POST", "/v1/chat/completions",
                                       body={"messages": [{"role": "user", "content": QUESTION}], "stream": True})
            self.assertIn(b'"mode":"extractive"', data)
            self.check(rec, server)


class ConnectionLevelErrors(unittest.TestCase):
    def test_connection_level_errors_carry_a_request_id(self):
        # docs/api.md: every response carries X-Request-Id, also the 413 and 431 written by
        # http/connection_impl.hpp (reply_and_close, before the middleware chain).
        rec = Recorder()
        with harness.Server() as server, tempfile.TemporaryDirectory() as d:
            status, headers, body = post_with_declared_length(server, "/search", 5 * 1024 * 1024)
            rec.add("POST", "/search", status, headers, body)
            status, headers, body = huge_header_request(server)
            rec.add("GET", "/", status, headers, body, component="HeaderFieldsTooLarge")
            document, _ = served_document(self, server, d)
            rec.check(self, document)


class DocsPage(unittest.TestCase):
    def test_docs_page_renders_every_operation_in_chromium(self):
        with open(DOCUMENT, encoding="utf-8") as f:
            doc = json.load(f)
        expected_ops = [f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item]
        # Screenshots go to RAG_TEST_OUTPUT_DIR when set (kept), else to a temporary folder.
        with tempfile.TemporaryDirectory(prefix="rag-openapi-docs-") as tmp, \
                harness.Server() as server:
            out = os.environ.get("RAG_TEST_OUTPUT_DIR") or tmp
            code, report = node("openapi_docs_page.mjs", f"http://127.0.0.1:{server.port}", out)
            version = json.loads(server.request("GET", "/openapi.json")[2])["info"]["version"]
            for shot in report["screenshots"]:
                self.assertGreater(os.path.getsize(shot), 10000, shot)
        self.assertEqual(report["errors"], [])
        self.assertEqual(report["external"], [], "the page must not load anything from elsewhere")
        self.assertEqual((code, report["ready"]), (0, "true"))
        self.assertEqual(sorted(report["operations"]), sorted(expected_ops))
        for path, item in doc["paths"].items():
            for method, operation in item.items():
                self.assertEqual(report["statuses"][f"{method.upper()} {path}"],
                                 list(operation["responses"]), f"{method} {path}")
        self.assertEqual(sorted(report["schemas"]), sorted(doc["components"]["schemas"]))
        self.assertEqual(report["globals"], list(doc["components"]["responses"]))
        self.assertEqual(report["brokenLinks"], [])
        self.assertEqual(report["version"], "v" + version)
        self.assertIn("GET /sessions/{id}/history", report["filtered"])
        self.assertNotIn("POST /search", report["filtered"])
        self.assertFalse(report["phoneOverflow"], "the page scrolls sideways at phone width")


if __name__ == "__main__":
    unittest.main()
