"""Real helper services for integration tests: redis-server and HAProxy on loopback ports.

Readiness is observed (Redis answers PING; HAProxy answers its monitor URI), never slept for.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import SOURCE_DIR, scaled


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=20, what="condition"):
    """Re-checks `predicate` until true; the bounded deadline (scaled for slow sanitizer
    builds) makes a hang a failure."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class RedisServer:
    def __init__(self, port=None):
        if not shutil.which("redis-server"):
            raise unittest_skip("redis-server is not installed (scripts/setup.sh --test installs it)")
        self.port = port or free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="rag-redis-")
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ping, what=f"redis on {self.port}")

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args):
        """Sends one command (RESP) and returns the raw reply bytes."""
        payload = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() if isinstance(x, str) else x for x in args))
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(payload)
            return s.recv(65536)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.proc = None

    def close(self):
        self.stop()
        self.dir.cleanup()


class HAProxy:
    """HAProxy with the documented config (deploy/haproxy/haproxy.cfg) over the replicas."""

    def __init__(self, replica_ports):
        if not shutil.which("haproxy"):
            raise unittest_skip("haproxy is not installed (scripts/setup.sh --test installs it)")
        self.port = free_port()
        env = dict(os.environ)
        env["RAG_LB_BIND"] = f"127.0.0.1:{self.port}"
        for i, port in enumerate(replica_ports, start=1):
            env[f"RAG_REPLICA_{i}"] = f"127.0.0.1:{port}"
        config = os.path.join(SOURCE_DIR, "deploy", "haproxy", "haproxy.cfg")
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", config], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.alive, what="haproxy")

    def alive(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET /lb-health HTTP/1.0\r\n\r\n")
                return s.recv(64).split(b"\r\n")[0].endswith(b" 200 OK")
        except OSError:
            return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()


def unittest_skip(message):
    import unittest
    return unittest.SkipTest(message)
