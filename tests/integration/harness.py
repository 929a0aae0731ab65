"""Starts the real rag-server binary on a free loopback port and talks HTTP to it.

Shared by every tests/integration/test_*.py. Readiness is observed, never slept for: the
server logs `Server listening on http://HOST:PORT` and a reader thread wakes waiters on
each new stderr line.
"""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

SERVER_BIN = os.environ.get("RAG_SERVER_BIN", "build/rag-server")
SERVER_TEST_BIN = os.environ.get("RAG_SERVER_TEST_BIN", "build/rag-server-test")
BUILD_DIR = os.environ.get("RAG_BUILD_DIR", "build")
SOURCE_DIR = os.environ.get("RAG_SOURCE_DIR", os.getcwd())

# Environment names the server reads; cleared so the developer's own shell cannot leak in.
_CLEARED = [
    "AZURE_OPENAI_CHAT_ENDPOINT", "AZURE_OPENAI_CHAT_API_KEY", "AZURE_OPENAI_EMBEDDINGS_ENDPOINT",
    "AZURE_OPENAI_EMBEDDINGS_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY", "CHAT_MODEL",
    "EMBEDDINGS_MODEL", "PORT", "HOST", "REDIS_URL", "SSL_CERTFILE", "SSL_KEYFILE",
]

LISTENING = re.compile(r"Server listening on (https?)://[^:]+:(\d+)")

_shared_index = None


def shared_index():
    """An index of the bundled docs/, built once per test process with the real binary."""
    global _shared_index
    if _shared_index is None:
        root = tempfile.mkdtemp(prefix="rag-docs-index-")
        atexit.register(shutil.rmtree, root, True)
        path = os.path.join(root, "vector_db")
        result = run_cli(["index", os.path.join(SOURCE_DIR, "docs")],
                         env={"VECTOR_DB_PATH": path, "LOG_DIR": root})
        if result.returncode != 0:
            raise AssertionError("indexing docs/ failed:\n" + result.stderr[-3000:])
        _shared_index = path
    return _shared_index


class LineLog:
    """Collects a stream's lines in a background thread; waiters block on a condition."""

    def __init__(self, stream):
        self.lines = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait_for(self, pattern, timeout=20, count=1):
        """Returns the match of the count-th line matching `pattern`, or raises."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [m for m in map(regex.search, self.lines) if m]
                if len(matches) >= count:
                    return matches[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(
                        f"no line matching {pattern!r} (x{count}); got:\n" + "\n".join(self.lines[-30:]))
                self._cond.wait(left)

    def text(self):
        with self._cond:
            return "\n".join(self.lines)

    def join(self, timeout=10):
        self._thread.join(timeout)


class Server:
    """A running rag-server. Use as a context manager or call stop()."""

    def __init__(self, env=None, args=None, binary=None, cwd=None, command="serve", wait=True):
        """Starts the server on a free port. By default it serves the shared docs/ index and
        `wait` also waits until that index is loaded; pass VECTOR_DB_PATH in `env` to serve
        another (a missing one leaves the server unready)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="rag-it-")
        self.cwd = cwd or self.tmp.name
        full_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        full_env.update({"HOST": "127.0.0.1", "PORT": "0", "LOG_DIR": os.path.join(self.tmp.name, "logs")})
        full_env.update(env or {})
        if "VECTOR_DB_PATH" not in full_env or "VECTOR_DB_PATH" not in (env or {}):
            full_env["VECTOR_DB_PATH"] = shared_index()
        self.env = full_env
        argv = [binary or SERVER_BIN] + ([command] if command else []) + list(args or [])
        self.proc = subprocess.Popen(argv, cwd=self.cwd, env=full_env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stdout = LineLog(self.proc.stdout)
        self.stderr = LineLog(self.proc.stderr)
        self.port = None
        self.scheme = "http"
        if wait:
            m = self.stderr.wait_for(LISTENING.pattern)
            self.scheme, self.port = m.group(1), int(m.group(2))
            if os.path.exists(os.path.join(full_env["VECTOR_DB_PATH"], "index.sqlite")):
                self.stderr.wait_for(r"Index loaded: ")

    # -- HTTP -------------------------------------------------------------------------------
    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """Returns (status, headers dict lower-cased, body bytes)."""
        conn = self.connection(timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
        finally:
            conn.close()

    def get_json(self, path, **kw):
        status, headers, body = self.request("GET", path, **kw)
        return status, headers, json.loads(body)

    def post_json(self, path, payload, **kw):
        status, headers, body = self.request("POST", path, body=payload, **kw)
        return status, headers, json.loads(body) if body else None

    def raw_socket(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return s

    # -- lifecycle --------------------------------------------------------------------------
    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        code = self.proc.wait(timeout)
        self._close_pipes()
        return code

    def _close_pipes(self):
        self.stdout.join()
        self.stderr.join()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe and not pipe.closed:
                pipe.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_pipes()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_cli(args, env=None, cwd=None, timeout=120, binary=None):
    """Runs the binary to completion; returns CompletedProcess with text output."""
    full_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    full_env.update(env or {})
    return subprocess.run([binary or SERVER_BIN] + list(args), cwd=cwd, env=full_env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
