"""Shared set-up for the conversation tests (test_chat*.py, test_openai*.py) and the reliability
tests: a small corpus indexed lexically, the fake upstream process, and a rag-server pointed at it.

Readiness is observed (a printed port, a log line, the fake's recorded requests), never slept
for. The upstream keys default to the harness's canary secrets (test_zz_secrets_scan.py looks
for them in every kept log); the fake's stderr is kept in the test logs like the server's.
"""
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.request

import harness

FAKE_BIN = os.path.join(harness.BUILD_DIR, "fake-upstream")
API_KEY = harness.CANARY_OPENAI_KEY  # must never appear in a response or a log line

DOCS = {
    "config.md": """---
title: Configuration
url: /config
---
# Configuration

The server reads its settings from the environment. Set the PORT variable to change the port the
server listens on; the default port is 8000 and the host defaults to every interface.

Logs are written to the folder named by LOG_DIR, rotated when they grow, and also printed on the
standard error stream so that container platforms collect them without extra configuration.
""",
    "sessions.md": """---
title: Sessions
url: /sessions
---
# Sessions

Conversation sessions expire after SESSION_TIMEOUT_HOURS of inactivity. A background sweep runs
every CLEANUP_INTERVAL_MINUTES and removes the expired sessions from memory or from Redis.

The number of sessions is bounded by MAX_SESSIONS; when the bound is reached the least recently
used session is evicted first, so an abandoned conversation never holds memory for ever.
""",
}


def build_index(workdir):
    """Writes the corpus and indexes it lexically; returns the VECTOR_DB_PATH."""
    docs = os.path.join(workdir, "docs")
    os.makedirs(docs, exist_ok=True)
    for name, text in DOCS.items():
        with open(os.path.join(docs, name), "w", encoding="utf-8") as f:
            f.write(text)
    db = os.path.join(workdir, "vector_db")
    done = harness.run_cli(["index", docs], env={"VECTOR_DB_PATH": db}, cwd=workdir)
    if done.returncode != 0:
        raise AssertionError("index failed:\n" + done.stdout + done.stderr)
    return db


class FakeUpstream:
    """The fake LLM upstream (tests/fakes) as a process on a free loopback port."""

    def __init__(self, latency_ms=0, stream_delay_ms=0):
        args = [FAKE_BIN, "--port", "0", "--latency-ms", str(latency_ms),
                "--stream-delay-ms", str(stream_delay_ms)]
        self.log_path = harness.log_names.next() + ".fake-upstream.err"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on ([\d.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("fake-upstream did not start: " + line + self._stderr_text())
        self.port = int(m.group(2))
        self.base = f"http://127.0.0.1:{self.port}"

    def _call(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as res:
            body = res.read()
            return json.loads(body) if body else None

    def script(self, faults):
        return self._call("/_fake/script", {"faults": faults})

    def configure(self, **settings):
        return self._call("/_fake/config", settings)

    def requests(self):
        return self._call("/_fake/requests")

    def chat_requests(self):
        return [r for r in self.requests() if r["path"].endswith("/chat/completions")]

    def reset(self):
        return self._call("/_fake/reset", {})

    def wait_for_requests(self, count, match="", timeout=20):
        """Waits until the fake has received `count` API requests whose path contains `match`
        (e.g. "chat/completions"); returns them. Polls the fake's record with a deadline."""
        deadline = time.monotonic() + harness.scaled(timeout)
        while True:
            seen = [r for r in self.requests() if match in r["path"]]
            if len(seen) >= count:
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake saw {len(seen)} of {count} {match!r} requests")
            time.sleep(0.02)

    def _stderr_text(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def openai_env(self, key=harness.CANARY_OPENAI_KEY):
        """Settings pointing the server's OpenAI-compatible chat and embeddings here."""
        return {"OPENAI_BASE_URL": f"{self.base}/v1", "OPENAI_API_KEY": key,
                "CHAT_MODEL": "fake-model", "EMBEDDINGS_MODEL": "fake-embedding"}

    def azure_env(self, key=harness.CANARY_AZURE_KEY):
        """Settings pointing the server's Azure chat and embeddings deployments here."""
        return {"AZURE_OPENAI_CHAT_ENDPOINT":
                f"{self.base}/openai/deployments/gpt/chat/completions?api-version=2024-02-01",
                "AZURE_OPENAI_CHAT_API_KEY": key,
                "AZURE_OPENAI_EMBEDDINGS_ENDPOINT":
                f"{self.base}/openai/deployments/emb/embeddings?api-version=2024-02-01",
                "AZURE_OPENAI_EMBEDDINGS_API_KEY": key}

    def stop(self):
        """Stops the fake; a sanitizer report in its stderr fails the test."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(harness.scaled(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self._log.closed:
            self._log.close()
            reports = harness.sanitizer_reports(self._stderr_text())
            if reports:
                raise AssertionError(f"sanitizer report in {self.log_path}:\n" + "\n".join(reports[:5]))


def start_server(db, fake=None, extra_env=None):
    env = {"VECTOR_DB_PATH": db, "RATE_LIMIT_CHAT": "off", "RATE_LIMIT_SEARCH": "off",
           "RATE_LIMIT_FEEDBACK": "off",
           "RATE_LIMIT_HEALTH": "off", "LLM_MAX_RETRIES": "1", "LLM_BASE_DELAY": "0.01",
           "LLM_MAX_DELAY": "0.05", "LLM_TIMEOUT": "5", "MAX_CONVERSATION_HISTORY": "6"}
    if fake is not None:
        env.update({"OPENAI_BASE_URL": fake.base + "/v1", "OPENAI_API_KEY": API_KEY,
                    "CHAT_MODEL": "fake-model"})
    env.update(extra_env or {})
    return harness.Server(env=env)


def read_sse(response):
    """Parses an http.client response as SSE; returns [(event, data)], comments as (':', text)."""
    events, event, data = [], "", []
    for raw in iter(response.readline, b""):
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if event or data:
                events.append((event, "\n".join(data)))
            event, data = "", []
        elif line.startswith(":"):
            events.append((":", line[1:].strip()))
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" ") if line[5:6] == " " else line[5:])
    return events


def in_threads(fn, n):
    """Runs fn(i) in n threads; returns the results in order, re-raising the first error."""
    results, errors = [None] * n, []

    def run(i):
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(harness.scaled(120))
    if errors:
        raise errors[0]
    return results


def tempdir():
    return tempfile.TemporaryDirectory(prefix="rag-chat-it-")


# -- tests of the helpers themselves (so this module is a legitimate test file too) ------------
import io
import unittest


class ServerWithFakeUpstream(unittest.TestCase):
    """Base class: one index, one fake upstream and one server per
    test class. Has no tests of its own. EXTRA_DOCS (file name → text) joins the corpus."""

    EXTRA_DOCS = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
        docs = os.path.join(cls.tmp.name, "docs")
        os.makedirs(docs)
        for name, text in cls.EXTRA_DOCS.items():
            with open(os.path.join(docs, name), "w", encoding="utf-8") as f:
                f.write(text)
        cls.db = build_index(cls.tmp.name)
        cls.fake = FakeUpstream()
        cls.server = start_server(cls.db, cls.fake)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.fake.stop()
        cls.tmp.cleanup()


class ReadSseTest(unittest.TestCase):
    def test_parses_events_data_lines_and_comments(self):
        stream = io.BytesIO(b"event: sources\ndata: []\n\n: ping\n\nevent: token\ndata: a\ndata: b\n\n"
                            b"data: [DONE]\n\n")
        self.assertEqual(read_sse(stream), [("sources", "[]"), (":", "ping"), ("token", "a\nb"),
                                            ("", "[DONE]")])


class HarnessEvidenceTest(unittest.TestCase):
    """The harness keeps every process's output and fails a test on a sanitizer report (the
    ASan/TSan builds rely on it). Planted reports go to a private folder, so that the sanitizer
    script's own scan of the real log folder does not see them."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="rag-harness-self-")
        self.saved = harness.LOG_DIR
        harness.LOG_DIR = os.path.join(self.dir.name, "logs")
        self.fake_bin = os.path.join(self.dir.name, "fake-server")
        with open(self.fake_bin, "w") as f:
            f.write("#!/bin/sh\necho \"out: $*\"\n"
                    "echo '==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1' >&2\n"
                    "[ \"$1\" = serve ] && echo 'Server listening on http://127.0.0.1:1' >&2\n"
                    "exit 0\n")
        os.chmod(self.fake_bin, 0o755)

    def tearDown(self):
        harness.LOG_DIR = self.saved
        self.dir.cleanup()

    def test_run_cli_fails_on_a_sanitizer_report_and_keeps_the_output(self):
        with self.assertRaisesRegex(AssertionError, "sanitizer report"):
            harness.run_cli(["search", "x"], binary=self.fake_bin)
        kept = sorted(os.listdir(harness.LOG_DIR))
        self.assertTrue(any(f.endswith(".err") for f in kept), kept)
        err = [f for f in kept if f.endswith(".err")][0]
        with open(os.path.join(harness.LOG_DIR, err)) as f:
            self.assertIn("AddressSanitizer", f.read())

    def test_server_stop_fails_on_a_sanitizer_report(self):
        server = harness.Server(binary=self.fake_bin, env={"VECTOR_DB_PATH": self.dir.name}, wait=False)
        server.wait()
        with self.assertRaisesRegex(AssertionError, "sanitizer report"):
            server.stop()
        server.stop()  # checked once: a second stop does not raise again

    def test_non_2xx_bodies_are_kept(self):
        path = os.path.join(harness.LOG_DIR, "x.bodies.log")
        os.makedirs(harness.LOG_DIR, exist_ok=True)
        harness.append_body(path, "GET", "/nope", 404, b'{"detail":"Not Found"}')
        with open(path, "rb") as f:
            self.assertIn(b"GET /nope -> 404\n{\"detail\":\"Not Found\"}", f.read())

    def test_clean_output_passes(self):
        self.assertEqual(harness.sanitizer_reports("Server stopped\nruntime: fine\n"), [])
        self.assertEqual(len(harness.sanitizer_reports(
            "x.cpp:3:5: runtime error: signed integer overflow\nWARNING: ThreadSanitizer: data race")), 2)
