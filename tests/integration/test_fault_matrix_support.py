"""Shared set-up of the upstream fault matrix (test_fault_matrix*.py): the faults as fake-upstream
scripts, an index with vectors built through the fake, the servers under test, one matrix cell
(inject → act → count attempts → check health → record) and the observations file that
fault_matrix_table.py renders.

Readiness is observed (the harness waits for log lines); nothing here sleeps.
"""
import io
import itertools
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import harness
import test_chat_support as chat_support

_scaled = getattr(harness, "scaled", lambda seconds: seconds)

# The key the servers use for the fake upstream: must never reach a client or a log line.
KEY = getattr(harness, "CANARY_OPENAI_KEY", chat_support.API_KEY)
# Text of the upstream's error bodies: may be logged, never shown to a client.
MARK = "UPSTREAM-ERROR-TEXT-7f3a"
UPSTREAM_BODY = json.dumps({"error": {"code": "fault", "message": f"{MARK} (key {KEY})"}})

ATTEMPTS = 3              # LLM_MAX_RETRIES of the main server and of the indexing runs
HANG_ATTEMPTS = 2         # LLM_MAX_RETRIES where the upstream hangs (keeps the file fast)
HANG_TIMEOUT_S = _scaled(1.0)   # LLM_TIMEOUT there: per attempt
MAIN_TIMEOUT_S = _scaled(10.0)  # LLM_TIMEOUT elsewhere: generous, never reached
CLIENT_TIMEOUT = _scaled(60.0)
CHAT_MATCH = "chat/completions"
EMBED_MATCH = "embeddings"
QUESTION = "How do I change the port the server listens on"
ANSWER = "FAKE-ANSWER: how do i change the port the server listens on."  # the fake's echo

# Fault name -> one fake-upstream fault (tests/fakes/README.md), queued for every attempt.
FAULTS = {
    "429 + Retry-After: 1": {"status": 429, "headers": {"Retry-After": "1"}, "body": UPSTREAM_BODY},
    "429 + Retry-After: 600": {"status": 429, "headers": {"Retry-After": "600"},
                               "body": UPSTREAM_BODY},
    "429, no Retry-After": {"status": 429, "body": UPSTREAM_BODY},
    "429 + retry-after-ms: 300": {"status": 429, "headers": {"retry-after-ms": "300"},
                                  "body": UPSTREAM_BODY},
    "408": {"status": 408, "body": UPSTREAM_BODY},
    "413 once (batch halves)": {"status": 413, "body": UPSTREAM_BODY},
    "500": {"status": 500, "body": UPSTREAM_BODY},
    "503": {"status": 503, "body": UPSTREAM_BODY},
    "400": {"status": 400, "body": UPSTREAM_BODY},
    "401": {"status": 401, "body": UPSTREAM_BODY},
    "hang": {"hang": True},
    "connection reset": {"reset": True},
    "body cut short": {"truncate_stream_after": 0},  # non-stream: half the body, then FIN
    "reset mid-body": {"truncate_stream_after": 0, "reset": True},
    "cut before the first token": {"truncate_stream_after": 0},
    "cut after 2 tokens": {"truncate_stream_after": 2},
    "cut mid-event after 2 tokens": {"truncate_stream_after": 2, "cut_mid_event": True},
    "reset after 2 tokens": {"truncate_stream_after": 2, "reset": True},
    "malformed JSON": {"malformed_json": True},
    "wrong dimension": {"embedding_dim": 8},
}

OUTPUT = os.path.join(harness.BUILD_DIR, "test-output", "fault_matrix.json")
_METRIC = re.compile(r'^(rag_upstream_\w+)\{([^}]*)\} (\S+)$')


def upstream_env(fake):
    """The OpenAI-compatible chat and embeddings upstream settings pointing at the fake."""
    return {"OPENAI_BASE_URL": fake.base + "/v1", "OPENAI_API_KEY": KEY,
            "CHAT_MODEL": "fake-model", "EMBEDDINGS_MODEL": "fake-embedding"}


def retry_env(attempts, timeout_s):
    return {"LLM_MAX_RETRIES": str(attempts), "LLM_BASE_DELAY": "0.01", "LLM_MAX_DELAY": "0.05",
            "LLM_TIMEOUT": f"{timeout_s:g}"}


def write_docs(folder):
    os.makedirs(folder, exist_ok=True)
    for name, text in chat_support.DOCS.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)


def build_index(workdir, db, docs, env):
    """Indexes `docs` into `db` through the configured embeddings upstream; raises on failure."""
    done = harness.run_cli(["index", docs], env={"VECTOR_DB_PATH": db, **env}, cwd=workdir,
                           timeout=CLIENT_TIMEOUT)
    if done.returncode != 0:
        raise AssertionError("index failed:\n" + done.stdout + done.stderr)


def upstream_metrics(server):
    """{(family, upstream): value} of the rag_upstream_* counters and gauges."""
    status, _, body = server.request("GET", "/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    out = {}
    for line in body.decode().splitlines():
        m = _METRIC.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        key = (m.group(1) + (":" + labels["kind"] if "kind" in labels else ""),
               labels.get("upstream", ""))
        out[key] = float(m.group(3))
    return out


def stream_chat(server, payload):
    """POST /chat as a stream; returns (response, [(event, data)], raw body bytes)."""
    conn = server.connection(timeout=CLIENT_TIMEOUT)
    try:
        conn.request("POST", "/chat", body=json.dumps(payload),
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        raw = res.read()
        return res, parse_sse(raw), raw
    finally:
        conn.close()


def parse_sse(raw):
    """[(event, data)] of a whole SSE body; comments as (':', text)."""
    return chat_support.read_sse(io.BytesIO(raw))


def save_observations(observations):
    """Merges `observations` into OUTPUT, keyed by (operation, fault)."""
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    merged = {}
    if os.path.exists(OUTPUT):
        try:
            with open(OUTPUT, encoding="utf-8") as f:
                for o in json.load(f):
                    merged[(o["operation"], o["fault"])] = o
        except (ValueError, KeyError, TypeError):
            merged = {}
    for o in observations:
        o = o.to_dict() if hasattr(o, "to_dict") else o
        merged[(o["operation"], o["fault"])] = o
    text = json.dumps(list(merged.values()), indent=1, ensure_ascii=False)
    with open(OUTPUT + ".tmp", "w", encoding="utf-8") as f:
        f.write(text.replace(KEY, "<the upstream key>"))  # the fault bodies quote it
    os.replace(OUTPUT + ".tmp", OUTPUT)


class Environment:
    """The fake upstream, an index with 64-d vectors of the corpus, and two servers on it: the
    main one (LLM_MAX_RETRIES=ATTEMPTS) and the hang one (HANG_ATTEMPTS, short LLM_TIMEOUT)."""

    def __init__(self, servers=True):
        self.tmp = tempfile.TemporaryDirectory(prefix="rag-faults-")
        self.fake = chat_support.FakeUpstream()
        self.servers = []
        self.observations = []
        try:
            docs = os.path.join(self.tmp.name, "docs")
            write_docs(docs)
            self.db = os.path.join(self.tmp.name, "vector_db")
            build_index(self.tmp.name, self.db, docs, upstream_env(self.fake))
            self.docs = docs
            if servers:
                self.server = self.start(ATTEMPTS, MAIN_TIMEOUT_S)
                self.hang_server = self.start(HANG_ATTEMPTS, HANG_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    def start(self, attempts, timeout_s, extra_env=None):
        """Starts one more server on the index (stopped by close())."""
        env = {"VECTOR_DB_PATH": self.db, "RATE_LIMIT_CHAT": "off", "RATE_LIMIT_SEARCH": "off",
               "RATE_LIMIT_HEALTH": "off", **upstream_env(self.fake),
               **retry_env(attempts, timeout_s), **(extra_env or {})}
        server = harness.Server(env=env)
        server.config = f"LLM_MAX_RETRIES={attempts}, LLM_TIMEOUT={timeout_s:g}s"
        self.servers.append(server)
        return server

    def forbidden(self):
        """Strings no client-visible byte may contain."""
        return [KEY, MARK, f"127.0.0.1:{self.fake.port}", "/v1/chat/completions",
                "/v1/embeddings"]

    def stop_server(self, server):
        """Stops one server with SIGTERM; returns the problems found (exit status other than 0,
        the key in a log line, a sanitizer report)."""
        problems = []
        if server not in self.servers:
            return problems
        self.servers.remove(server)
        if server.proc.poll() is None:
            server.signal()
            try:
                code = server.wait(_scaled(30))
                if code != 0:
                    problems.append(f"server exited with status {code}")
            except Exception as e:  # noqa: BLE001 - reported to the caller
                problems.append(f"server did not stop: {e}")
        else:
            problems.append(f"server had exited with status {server.proc.returncode}")
        logs = server.stderr.text() + server.stdout.text()
        if KEY in logs:
            problems.append("the upstream key appears in the server's log")
        try:
            server.stop()
        except AssertionError as e:  # e.g. a sanitizer report found by the harness
            problems.append(str(e))
        return problems

    def close(self):
        """Stops everything and saves the observations; returns the problems found."""
        problems = []
        for server in list(self.servers):
            problems += self.stop_server(server)
        try:
            self.fake.stop()
        except ValueError as e:  # test_chat_support.FakeUpstream.stop() reading a closed log
            problems.append(f"FakeUpstream.stop() failed: {e}")
        self.tmp.cleanup()
        if self.observations:
            save_observations(self.observations)
        return problems


class Cell:
    """One (operation, fault) run against a server: `with cell:` scripts the fault for every
    attempt, then collects the upstream requests and the metrics around the call; `finish`
    checks the server's health afterwards and records the observation."""

    _serial = itertools.count(1)

    def __init__(self, env, server, operation, fault, match):
        self.env, self.server = env, server
        self.operation, self.fault, self.match = operation, fault, match
        self.n = next(Cell._serial)
        self.status = None
        self.body = None
        self.retry_after = None
        self.notes = []
        self.expected = {}       # what docs/api.md asks for, where the table flags a difference
        self.requests = []
        self.seconds = 0.0
        self.failures = {}
        self.breaker_after = None
        self.healthz_after = None
        self.next_request_ok = False

    def session_id(self):
        return f"fault-matrix-{self.n}"

    def unique_query(self):
        """QUESTION, spelt differently for each cell, so the query-embedding cache misses."""
        return QUESTION + "!" * self.n

    def __enter__(self):
        self.env.fake.reset()
        self.before = upstream_metrics(self.server)
        self.env.fake.script([dict(FAULTS[self.fault], match=self.match)] * 8)
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started
        self.requests = self.env.fake.requests()
        self.env.fake.reset()  # leftover faults must not hit the next request
        self.after = upstream_metrics(self.server)
        self.env.observations.append(self)  # recorded even when a later assertion fails
        return False

    def to_dict(self):
        return {
            "operation": self.operation, "fault": self.fault, "upstream": self.upstream,
            "fake_fault": FAULTS[self.fault], "config": self.server.config,
            "status": self.status, "body": self.body, "retry_after": self.retry_after,
            "attempts": self.attempts, "gaps_s": self.gaps(), "seconds": round(self.seconds, 3),
            "attempts_in_metrics": self.delta("rag_upstream_attempts_total"),
            "failure_kind": self.failures, "breaker_after": self.breaker_after,
            "healthz_after": self.healthz_after, "next_request_ok": self.next_request_ok,
            "expected": self.expected, "notes": self.notes,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    @property
    def upstream(self):
        return "chat" if self.match == CHAT_MATCH else "embeddings"

    @property
    def attempts(self):
        return len(self.other_requests(self.match))

    def other_requests(self, match):
        return [r for r in self.requests if match in r["path"]]

    def gaps(self):
        times = [r["time"] for r in self.other_requests(self.match)]
        return [round(b - a, 3) for a, b in zip(times, times[1:])]

    def delta(self, family):
        key = (family, self.upstream)
        return self.after.get(key, 0) - self.before.get(key, 0)

    def describe(self):
        return (f"{self.operation} / {self.fault}: status {self.status}, body {self.body}, "
                f"{self.attempts} attempts")

    def check_spacing(self, test, at_least_s):
        for gap in self.gaps():
            test.assertGreaterEqual(gap, at_least_s * 0.9, f"retry came early: {self.gaps()}")

    def finish(self, test):
        """The breaker is closed; the process is alive, /healthz answers and the next normal
        request is served by the same upstream."""
        self.breaker_after = "open" if self.after.get(("rag_upstream_circuit_open",
                                                      self.upstream)) else "closed"
        self.failures = {k[0].split(":", 1)[1]: self.delta(k[0]) for k in self.after
                         if k[0].startswith("rag_upstream_failures_total:")
                         and k[1] == self.upstream and self.delta(k[0])}
        test.assertIsNone(self.server.proc.poll(), "the server exited")
        self.healthz_after = self.server.request("GET", "/healthz")[0]
        test.assertEqual(self.healthz_after, 200)
        self.next_request_ok = self._next_normal_request(test)
        test.assertEqual(self.breaker_after, "closed", "the breaker opened")

    def check_metrics(self, test):
        """/metrics counted the attempts, retries and 429s the fake saw."""
        test.assertEqual(self.delta("rag_upstream_attempts_total"), self.attempts,
                         "rag_upstream_attempts_total disagrees with the fake's record")
        test.assertEqual(self.delta("rag_upstream_retries_total"), max(0, self.attempts - 1))
        test.assertEqual(self.delta("rag_upstream_429_total"),
                         self.attempts if self.fault.startswith("429") else 0)

    def _next_normal_request(self, test):
        self.env.fake.reset()
        if self.upstream == "chat" and self.operation.endswith("stream"):
            res, events, _ = stream_chat(self.server, {"message": QUESTION, "stream": True})
            test.assertEqual(events[-1][0], "done", events[-3:])
        elif self.upstream == "chat":
            status, _, body = self.server.post_json("/chat", {"message": QUESTION},
                                                    timeout=CLIENT_TIMEOUT)
            test.assertEqual(status, 200, body)
            test.assertTrue(body["response"].startswith("FAKE-ANSWER:"))
        else:  # a query never embedded before, so the embeddings upstream is called
            status, _, body = self.server.post_json(
                "/search", {"query": QUESTION + "?" * self.n, "k": 3}, timeout=CLIENT_TIMEOUT)
            test.assertEqual(status, 200, body)
            test.assertTrue(body["results"])
        served = [r for r in self.env.fake.requests() if self.match in r["path"]]
        test.assertEqual(len(served), 1, "the next request did not reach the upstream once")
        self.env.fake.reset()
        return True


class SupportSelfTest(unittest.TestCase):
    """The helpers that need no server."""

    def test_every_fault_is_a_json_script_the_fake_accepts(self):
        for name, fault in FAULTS.items():
            self.assertEqual(json.loads(json.dumps(fault)), fault, name)
        self.assertNotIn(KEY, json.dumps(FAULTS["hang"]))

    def test_table_renders_observations(self):
        import fault_matrix_table
        rows = [{"operation": "chat", "fault": "500", "status": 502,
                 "body": {"detail": "Upstream model error"}, "retry_after": None, "attempts": 3,
                 "breaker_after": "closed", "next_request_ok": True, "notes": ["x"],
                 "config": "LLM_MAX_RETRIES=3", "seconds": 0.1, "gaps_s": [0.01, 0.02]}]
        text = fault_matrix_table.render(rows)
        self.assertIn("| chat | 500 | 502 |", text)
        self.assertIn("Upstream model error", text)


if __name__ == "__main__":
    unittest.main()
