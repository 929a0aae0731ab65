#!/usr/bin/env python3
"""Conversation benchmark (issue 5): 1,000 concurrent /chat with a 2 s fake upstream, GET / p99
meanwhile, server RSS, and memory per stored session. See README.md. Stdlib only."""
import argparse
import asyncio
import http.client
import json
import os
import resource
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build-dir", default="build")
    p.add_argument("--chats", type=int, default=1000)
    p.add_argument("--latency-ms", type=int, default=2000)
    p.add_argument("--sessions", type=int, default=2000)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--timeout", type=float, default=60.0)
    return p.parse_args()


ARGS = parse_args()
os.environ.setdefault("RAG_BUILD_DIR", ARGS.build_dir)
os.environ.setdefault("RAG_SERVER_BIN", os.path.join(ARGS.build_dir, "rag-server"))
import harness  # noqa: E402  (needs the environment above)
import test_chat_support as support  # noqa: E402

QUESTION = "How do I change the port the server listens on?"


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    return out


async def one_chat(port, i, timeout):
    body = json.dumps({"message": QUESTION, "session_id": f"bench-{i}"}).encode()
    head = (f"POST /chat HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(head + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        return status
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return 0


async def burst(port, n, timeout):
    started = time.monotonic()
    done_at = []

    async def timed(i):
        s = await one_chat(port, i, timeout)
        done_at.append(time.monotonic() - started)
        return s

    statuses = await asyncio.gather(*(timed(i) for i in range(n)))
    return statuses, time.monotonic() - started, sorted(done_at)


class RootProbe(threading.Thread):
    """GET / back to back on one keep-alive connection until stopped; latencies in ms."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.latencies, self.errors = port, [], 0
        self.stop_event = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop_event.is_set() and len(self.latencies) < 1_000_000:
            t = time.monotonic()
            try:
                conn.request("GET", "/")
                res = conn.getresponse()
                res.read()
                if res.status != 200:
                    self.errors += 1
            except OSError:
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.latencies.append((time.monotonic() - t) * 1000)
        conn.close()


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def bench_concurrency(db):
    fake = support.FakeUpstream(latency_ms=ARGS.latency_ms)
    env = {"WORKERS": str(ARGS.workers), "MAX_CONVERSATION_HISTORY": "20", "LLM_TIMEOUT": "30",
           "LOG_LEVEL": "info"}  # the harness reads the port from the info-level listening line
    server = support.start_server(db, fake, env)
    try:
        probe = RootProbe(server.port)
        probe.start()
        statuses, wall, done_at = asyncio.run(burst(server.port, ARGS.chats, ARGS.timeout))
        probe.stop_event.set()
        probe.join(15)
        mem = proc_status(server.proc.pid)
        errors = sum(1 for s in statuses if s != 200)
        return {
            "chats": ARGS.chats, "upstream_latency_ms": ARGS.latency_ms, "workers": ARGS.workers,
            "wall_s": round(wall, 3), "p50_done_s": round(percentile(done_at, 50), 3),
            "p99_done_s": round(percentile(done_at, 99), 3), "errors": errors,
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "root_requests": len(probe.latencies), "root_errors": probe.errors,
            "root_p50_ms": round(percentile(probe.latencies, 50) or 0, 2),
            "root_p99_ms": round(percentile(probe.latencies, 99) or 0, 2),
            "rss_mb": round(mem.get("VmRSS", 0) / 2**20, 1),
            "peak_rss_mb": round(mem.get("VmHWM", 0) / 2**20, 1),
        }
    finally:
        server.stop()
        fake.stop()


def bench_sessions(db):
    server = support.start_server(db, None, {"MAX_CONVERSATION_HISTORY": "20", "LOG_LEVEL": "info",
                                             "WORKERS": str(ARGS.workers)})
    try:
        history = [{"role": "user" if i % 2 == 0 else "assistant", "content": ("x" * 499) + str(i % 10)}
                   for i in range(20)]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

        def post(i):
            # A blank message is refused without search or upstream; the given history is stored.
            conn.request("POST", "/chat", body=json.dumps({"message": " ", "session_id": f"mem-{i}",
                                                           "history": history}),
                         headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            return res.status

        for i in range(50):  # warm-up: allocator arenas, code pages
            post(f"warm-{i}")
        before = proc_status(server.proc.pid)["VmRSS"]
        failures = sum(1 for i in range(ARGS.sessions) if post(i) != 200)
        after = proc_status(server.proc.pid)["VmRSS"]
        conn.close()
        # Stored per session: the 20 given messages trimmed with the refusal exchange to 20.
        text_bytes = 20 * 500
        per_session = (after - before) / ARGS.sessions
        return {"sessions": ARGS.sessions, "failures": failures,
                "rss_delta_mb": round((after - before) / 2**20, 1),
                "bytes_per_session": round(per_session), "text_bytes_per_session": text_bytes,
                "overhead_ratio": round(per_session / text_bytes, 2)}
    finally:
        server.stop()


def main():
    limit = raise_fd_limit(ARGS.chats * 2 + 256)
    with support.tempdir() as tmp:
        db = support.build_index(tmp)
        result = {"fd_limit": limit, "concurrency": bench_concurrency(db), "sessions": bench_sessions(db)}
    print(json.dumps(result, indent=2))
    c, s = result["concurrency"], result["sessions"]
    print("\nFor docs/BENCHMARKS.md:")
    print(f"| {c['chats']} concurrent /chat, upstream {c['upstream_latency_ms']} ms, WORKERS={c['workers']} "
          f"| all done in {c['wall_s']} s (p50 {c['p50_done_s']} s), errors {c['errors']} | target ≤ 3 s, 0 errors |")
    print(f"| GET / during the burst | p50 {c['root_p50_ms']} ms, p99 {c['root_p99_ms']} ms "
          f"({c['root_requests']} requests, {c['root_errors']} errors) | target p99 < 50 ms |")
    print(f"| server RSS after the burst | {c['rss_mb']} MB (peak {c['peak_rss_mb']} MB) | target < 300 MB |")
    print(f"| memory per session (20 × 500 chars) | {s['bytes_per_session']} B for {s['text_bytes_per_session']} B "
          f"of text = {s['overhead_ratio']}× | target < 2× |")


if __name__ == "__main__":
    main()
