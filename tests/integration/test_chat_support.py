"""Shared set-up for the conversation tests (test_chat*.py, test_openai*.py): a small corpus
indexed lexically, the fake upstream process, and a rag-server pointed at it.

Readiness is observed (a printed port, a log line), never slept for.
"""
import json
import os
import re
import subprocess
import tempfile
import threading
import urllib.request

import harness

FAKE_BIN = os.path.join(harness.BUILD_DIR, "fake-upstream")
API_KEY = "sk-test-secret-4b1d7c"  # must never appear in a response or a log line

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
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on ([\d.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError("fake-upstream did not start: " + line + self.proc.stderr.read())
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

    def openai_env(self, key="sk-test-openai-key"):
        """Settings pointing the server's OpenAI-compatible chat and embeddings here."""
        return {"OPENAI_BASE_URL": f"{self.base}/v1", "OPENAI_API_KEY": key,
                "CHAT_MODEL": "fake-model", "EMBEDDINGS_MODEL": "fake-embedding"}

    def azure_env(self, key="azure-test-key"):
        """Settings pointing the server's Azure chat and embeddings deployments here."""
        return {"AZURE_OPENAI_CHAT_ENDPOINT":
                f"{self.base}/openai/deployments/gpt/chat/completions?api-version=2024-02-01",
                "AZURE_OPENAI_CHAT_API_KEY": key,
                "AZURE_OPENAI_EMBEDDINGS_ENDPOINT":
                f"{self.base}/openai/deployments/emb/embeddings?api-version=2024-02-01",
                "AZURE_OPENAI_EMBEDDINGS_API_KEY": key}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(db, fake=None, extra_env=None):
    env = {"VECTOR_DB_PATH": db, "RATE_LIMIT_CHAT": "off", "RATE_LIMIT_SEARCH": "off",
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
        t.join(120)
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
    test class. Has no tests of its own."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
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
