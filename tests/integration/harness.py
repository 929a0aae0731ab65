"""Starts the real rag-server binary on a free loopback port and talks HTTP to it.

Shared by every tests/integration/test_*.py. Readiness is observed, never slept for: the
server logs `Server listening on http://HOST:PORT` and a reader thread wakes waiters on
each new stderr line.

Evidence kept for later checks: every process started here (Server, spawn, run_cli) writes its
stdout and stderr to `$RAG_TEST_LOG_DIR` (default `$RAG_BUILD_DIR/test-logs`) as
`<test-module>.<n>.out/.err`, and the body of every non-2xx answer the helpers see goes to
`<test-module>.<n>.bodies.log`. When a process is stopped, a sanitizer report in its output
fails the test (the ASan/TSan builds rely on this). test_zz_secrets_scan.py scans the folder for
the canary secrets below, which every test uses as its upstream keys through the defaults of
test_chat_support.FakeUpstream; other secret-looking values a test passes in `env` are
registered (outside the log folder) so the scan looks for them too.

Thread-safety: a Server may be used from several test threads at once (each request opens its
own connection); start and stop it from one thread.
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
import sys
import tempfile
import threading
import time

SERVER_BIN = os.environ.get("RAG_SERVER_BIN", "build/rag-server")
SERVER_TEST_BIN = os.environ.get("RAG_SERVER_TEST_BIN", "build/rag-server-test")
BUILD_DIR = os.environ.get("RAG_BUILD_DIR", "build")
SOURCE_DIR = os.environ.get("RAG_SOURCE_DIR", os.getcwd())
LOG_DIR = os.environ.get("RAG_TEST_LOG_DIR", os.path.join(BUILD_DIR, "test-logs"))
# Where secret values passed by tests are listed for the scan (never inside LOG_DIR).
SECRETS_DIR = os.environ.get("RAG_TEST_SECRETS_DIR", os.path.join(BUILD_DIR, "test-secrets"))
# Instrumented (sanitizer) builds are slower: scripts/sanitize.sh sets this to 2 or 4 and every
# deadline in the harness is multiplied by it.
TIME_SCALE = float(os.environ.get("RAG_TEST_TIME_SCALE", "1") or "1")

# The canary secrets: distinctive, fixed strings (grep-able in any log). Tests configure the
# upstream with these (FakeUpstream.openai_env / azure_env / start_server defaults).
CANARY_AZURE_KEY = "canary-azure-key-5c1f0e9b7d"
CANARY_OPENAI_KEY = "canary-openai-key-8a4d2e6f13"
CANARY_REDIS_PASSWORD = "canary-redis-pw-3b7e9c0a52"
CANARY_SECRETS = (CANARY_AZURE_KEY, CANARY_OPENAI_KEY, CANARY_REDIS_PASSWORD)

# Environment names the server reads; cleared so the developer's own shell cannot leak in.
_CLEARED = [
    "AZURE_OPENAI_CHAT_ENDPOINT", "AZURE_OPENAI_CHAT_API_KEY", "AZURE_OPENAI_EMBEDDINGS_ENDPOINT",
    "AZURE_OPENAI_EMBEDDINGS_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY", "CHAT_MODEL",
    "EMBEDDINGS_MODEL", "PORT", "HOST", "REDIS_URL", "SSL_CERTFILE", "SSL_KEYFILE",
]

LISTENING = re.compile(r"Server listening on (https?)://[^:]+:(\d+)")
SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                              r"WARNING: ThreadSanitizer|runtime error:")
_SECRET_NAME = re.compile(r"API_KEY|PASSWORD|SECRET|TOKEN(?!S)", re.I)
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://([^/@\s]*)@", re.I)

_shared_index = None


def scaled(seconds):
    """A deadline adjusted for slow (instrumented) builds."""
    return seconds * TIME_SCALE


# -- evidence: log files, secrets registry, sanitizer check ----------------------------------
def test_module_name():
    """The test module this process runs (`python3 -m unittest -v test_foo` → test_foo)."""
    name = os.environ.get("RAG_TEST_MODULE")
    if not name:
        args = [a for a in sys.argv[1:] if not a.startswith("-")]
        name = args[0] if args else sys.argv[0]
        name = os.path.basename(name)
        name = name[:-3] if name.endswith(".py") else name
        name = name.split(".")[0]
    if not name or name.startswith("-"):
        name = "adhoc"
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


class _LogNames:
    """Hands out `<module>.<n>` names; the first use in a process removes this module's files
    from an earlier run, so stale logs do not pile up."""

    def __init__(self):
        self._lock = threading.Lock()
        self._n = 0
        self._cleaned = set()

    def next(self, module=None):
        module = module or test_module_name()
        with self._lock:
            os.makedirs(LOG_DIR, exist_ok=True)
            if (LOG_DIR, module) not in self._cleaned:
                self._cleaned.add((LOG_DIR, module))
                for f in os.listdir(LOG_DIR):
                    if f.startswith(module + "."):
                        os.remove(os.path.join(LOG_DIR, f))
            self._n += 1
            return os.path.join(LOG_DIR, f"{module}.{self._n}")


log_names = _LogNames()


def register_secret(value):
    """Adds a value to the list the secrets scan looks for (values shorter than 6 chars or
    without a letter, e.g. CHAT_MAX_TOKENS=100000, are not secrets and are ignored)."""
    if not value or len(value) < 6 or value in CANARY_SECRETS or not re.search(r"[A-Za-z]", value):
        return
    os.makedirs(SECRETS_DIR, exist_ok=True)
    with open(os.path.join(SECRETS_DIR, test_module_name() + ".list"), "a", encoding="utf-8") as f:
        f.write(value.replace("\n", " ") + "\n")


def register_env_secrets(env):
    """Registers the secret-looking values of an env a test passes (never os.environ's)."""
    for name, value in (env or {}).items():
        value = str(value)
        if _SECRET_NAME.search(name):
            register_secret(value)
        m = _URL_CREDENTIALS.match(value)
        if m:
            userinfo = m.group(1)
            register_secret(userinfo.split(":", 1)[1] if ":" in userinfo else userinfo)


def known_secrets():
    """The canaries plus every value registered by any test module, de-duplicated."""
    found = set(CANARY_SECRETS)
    if os.path.isdir(SECRETS_DIR):
        for name in os.listdir(SECRETS_DIR):
            with open(os.path.join(SECRETS_DIR, name), encoding="utf-8", errors="replace") as f:
                found.update(line.rstrip("\n") for line in f if len(line.strip()) >= 6)
    return sorted(found)


def sanitizer_reports(text):
    """The lines of `text` that start a sanitizer report."""
    return [line for line in text.splitlines() if SANITIZER_REPORT.search(line)]


def _fail_on_sanitizer_report(what, text, path):
    reports = sanitizer_reports(text)
    if reports:
        raise AssertionError(f"sanitizer report in {what} (full output: {path}):\n" +
                             "\n".join(reports[:5]) + "\n" + text[-4000:])


def append_body(path, method, target, status, body):
    """Keeps a non-2xx answer's body for the secrets scan and for post-mortems."""
    try:
        with open(path, "ab") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {method} {target} -> {status}\n".encode())
            f.write((body if isinstance(body, bytes) else str(body).encode())[:65536] + b"\n\n")
    except OSError:
        pass


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
    """Collects a stream's lines in a background thread (and copies them to `sink_path` when
    given); waiters block on a condition."""

    def __init__(self, stream, sink_path=None):
        self.lines = []
        self.sink_path = sink_path
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        sink = open(self.sink_path, "wb") if self.sink_path else None
        try:
            for raw in iter(stream.readline, b""):
                if sink:
                    sink.write(raw)
                    sink.flush()
                with self._cond:
                    self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass  # the pipe was closed under us (process killed and pipes closed)
        finally:
            if sink:
                sink.close()
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def wait_for(self, pattern, timeout=20, count=1):
        """Returns the match of the count-th line matching `pattern`, or raises."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + scaled(timeout)
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

    def count(self, pattern):
        regex = re.compile(pattern)
        with self._cond:
            return sum(1 for line in self.lines if regex.search(line))

    def text(self):
        with self._cond:
            return "\n".join(self.lines)

    def join(self, timeout=10):
        self._thread.join(scaled(timeout))


_live = []  # every Server not yet checked, for the exit-time backstop


class Server:
    """A running rag-server (or any rag-server subcommand, see spawn()). Use as a context
    manager or call stop()."""

    def __init__(self, env=None, args=None, binary=None, cwd=None, command="serve", wait=True):
        """Starts the server on a free port. By default it serves the shared docs/ index and
        `wait` also waits until that index is loaded; pass VECTOR_DB_PATH in `env` to serve
        another (a missing one leaves the server unready)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="rag-it-")
        self.cwd = cwd or self.tmp.name
        full_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        full_env.update({"HOST": "127.0.0.1", "PORT": "0", "LOG_DIR": os.path.join(self.tmp.name, "logs")})
        full_env.update(env or {})
        register_env_secrets(env)
        if "VECTOR_DB_PATH" not in full_env or "VECTOR_DB_PATH" not in (env or {}):
            full_env["VECTOR_DB_PATH"] = shared_index()
        self.env = full_env
        self.log_base = log_names.next()
        self.checked = False
        argv = [binary or SERVER_BIN] + ([command] if command else []) + list(args or [])
        with open(self.log_base + ".cmd", "w", encoding="utf-8") as f:
            f.write(" ".join(argv) + "\n")
        self.proc = subprocess.Popen(argv, cwd=self.cwd, env=full_env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _live.append(self)
        self.stdout = LineLog(self.proc.stdout, self.log_base + ".out")
        self.stderr = LineLog(self.proc.stderr, self.log_base + ".err")
        self.port = None
        self.scheme = "http"
        if wait:
            m = self.stderr.wait_for(LISTENING.pattern)
            self.scheme, self.port = m.group(1), int(m.group(2))
            if os.path.exists(os.path.join(full_env["VECTOR_DB_PATH"], "index.sqlite")):
                self.stderr.wait_for(r"Index loaded: ")

    # -- HTTP -------------------------------------------------------------------------------
    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=scaled(timeout))

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
            data = res.read()
            if not 200 <= res.status < 300:
                self.record_body(method, path, res.status, data)
            return res.status, {k.lower(): v for k, v in res.getheaders()}, data
        finally:
            conn.close()

    def record_body(self, method, path, status, body):
        """Keeps a non-2xx body (tests reading responses themselves may call this too)."""
        append_body(self.log_base + ".bodies.log", method, path, status, body)

    def get_json(self, path, **kw):
        status, headers, body = self.request("GET", path, **kw)
        return status, headers, json.loads(body)

    def post_json(self, path, payload, **kw):
        status, headers, body = self.request("POST", path, body=payload, **kw)
        return status, headers, json.loads(body) if body else None

    def raw_socket(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=scaled(timeout))
        return s

    # -- lifecycle --------------------------------------------------------------------------
    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        code = self.proc.wait(scaled(timeout))
        self._close_pipes()
        return code

    def _close_pipes(self):
        self.stdout.join()
        self.stderr.join()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe and not pipe.closed:
                pipe.close()

    def check_sanitizers(self):
        """Raises if the process's output holds a sanitizer report (once per process)."""
        if self.checked:
            return
        self.checked = True
        if self in _live:
            _live.remove(self)
        _fail_on_sanitizer_report(f"{self.log_base}.err", self.stderr.text(), self.log_base + ".err")
        _fail_on_sanitizer_report(f"{self.log_base}.out", self.stdout.text(), self.log_base + ".out")

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(scaled(30))
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self._close_pipes()
        finally:
            self.tmp.cleanup()
        self.check_sanitizers()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def spawn(args, env=None, cwd=None, binary=None):
    """Starts `rag-server ARGS...` (e.g. ["index", path]) without waiting for a port; its
    output is observable (`.stdout`, `.stderr` LineLogs) and kept like a server's. Call
    wait() and/or stop()."""
    return Server(env=env, args=args, binary=binary, cwd=cwd, command=None, wait=False)


def run_cli(args, env=None, cwd=None, timeout=120, binary=None):
    """Runs the binary to completion; returns CompletedProcess with text output. Its output
    is kept in the test logs; a sanitizer report in it fails the test."""
    full_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    full_env.update(env or {})
    register_env_secrets(env)
    base = log_names.next()
    argv = [binary or SERVER_BIN] + list(args)
    with open(base + ".cmd", "w", encoding="utf-8") as f:
        f.write(" ".join(argv) + "\n")
    try:
        result = subprocess.run(argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, errors="replace",
                                timeout=scaled(timeout))
    except subprocess.TimeoutExpired as e:
        for suffix, data in ((".out", e.stdout), (".err", e.stderr)):
            with open(base + suffix, "wb") as f:
                f.write(data if isinstance(data, bytes) else (data or "").encode())
        raise
    for suffix, data in ((".out", result.stdout), (".err", result.stderr)):
        with open(base + suffix, "w", encoding="utf-8") as f:
            f.write(data)
    _fail_on_sanitizer_report(base + ".err", result.stderr, base + ".err")
    _fail_on_sanitizer_report(base + ".out", result.stdout, base + ".out")
    return result


def _check_leftovers():
    """Backstop at exit: servers a test never stopped are stopped and checked; a sanitizer
    report there makes the test process exit non-zero."""
    failed = False
    for server in list(_live):
        try:
            server.stop()
        except AssertionError as e:
            sys.stderr.write(f"harness: {e}\n")
            failed = True
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    if failed:
        sys.stderr.flush()
        os._exit(1)


atexit.register(_check_leftovers)
