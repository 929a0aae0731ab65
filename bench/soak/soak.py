#!/usr/bin/env python3
"""Soak test (issue 8, point 6; not CI): mixed load on the real rag-server for a long time at
about 80% of the capacity measured first, with the fake upstream at a realistic latency.

  python3 bench/soak/soak.py --build-dir build                 # 10 minutes (the default)
  python3 bench/soak/soak.py --build-dir build --duration 60   # a quick check

Mix (per request): 50% POST /search, 20% POST /chat, 15% POST /chat streamed (SSE), 15%
GET /sessions/{id}/history; chats and reads use a fixed pool of session ids, so the state
plateaus after warm-up and any later memory growth is a leak, not data. The fake upstream
answers chats after --latency-ms (default 1500) and streams words --stream-delay-ms apart;
the index (the bundled docs/) has vectors from the fake, so searches are hybrid and embed
their query upstream (cached after the first time).

Phases: (1) capacity: closed loops of 32, 64, 128... clients (--capacity-seconds each) until
the system saturates: throughput gains under 10% over the previous step, or a step sees any
5xx or transport error. The best error-free throughput is the capacity (of this mix, from this
client, on this machine: the client shares the CPU; each step prints the cores used by the
server and by the client, so the printed numbers say which of them ran out);
(2) soak: an open loop at --fraction of that rate for --duration seconds, sampling the
server's RSS and open file descriptors from /proc every --sample-every seconds.
Prints (and writes to --out as JSON) the zero-5xx check, RSS growth after --warmup, fd
range, latency percentiles per kind, and the Markdown lines for docs/RELIABILITY.md.
Server-side latencies come from the server's own access log (request ids name the phase).
Exit status 1 if any 5xx or transport error, RSS growth >= 5% (the peak of the second half
after warm-up over the peak of the first), or the server's descriptors
not back to their start level once the client has closed its connections.
Stdlib only; the client is asyncio with keep-alive connections.
"""
import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--duration", type=float, default=600, help="soak seconds (default 600)")
    p.add_argument("--warmup", type=float, default=120, help="seconds before the RSS baseline")
    p.add_argument("--capacity-seconds", type=float, default=10, help="per step of the ramp")
    p.add_argument("--capacity-clients", type=int, default=32, help="first step; doubles")
    p.add_argument("--capacity-max-clients", type=int, default=8192,
                   help="last step; reaching it unsaturated makes the capacity a lower bound")
    p.add_argument("--fraction", type=float, default=0.8, help="share of capacity to soak at")
    p.add_argument("--rate", type=float, default=0, help="requests/s; skips the capacity phase")
    p.add_argument("--latency-ms", type=int, default=1500)
    p.add_argument("--stream-delay-ms", type=int, default=30)
    p.add_argument("--sessions", type=int, default=300, help="session ids in the pool")
    p.add_argument("--workers", type=int, default=4, help="server WORKERS")
    p.add_argument("--sample-every", type=float, default=5)
    p.add_argument("--max-connections", type=int, default=4096, help="soak phase's client pool")
    p.add_argument("--max-upstream-calls", type=int, default=20000,
                   help="server MAX_UPSTREAM_CALLS: high, so the machine is the limit, not the policy")
    p.add_argument("--out", default="", help="JSON summary path")
    return p.parse_args()


ARGS = parse_args()
ARGS.build_dir = os.path.abspath(ARGS.build_dir)  # the server and indexer run in other folders
os.environ.setdefault("RAG_BUILD_DIR", ARGS.build_dir)
os.environ.setdefault("RAG_SERVER_BIN", os.path.join(ARGS.build_dir, "rag-server"))
os.environ.setdefault("RAG_SOURCE_DIR", ROOT)
os.environ.setdefault("RAG_TEST_LOG_DIR", os.path.join(tempfile.gettempdir(), "rag-soak-logs"))
os.environ.setdefault("RAG_TEST_MODULE", "soak")
import harness  # noqa: E402  (reads the environment above)
import test_chat_support as support  # noqa: E402

QUERIES = ["how do I change the rate limit for chat", "configure the port", "redis sessions",
           "graceful shutdown timeout", "index a folder of markdown", "kubernetes probes",
           "allowed origins CORS", "what is the default number of workers", "TLS certificate",
           "embeddings batch size", "search minimum score", "docker compose volumes"]
QUESTIONS = ["How do I change the port the server listens on?", "How are sessions expired?",
             "Where do the logs go?", "How do I run several replicas?", "What does /readyz check?"]


# -- a small keep-alive HTTP/1.1 client --------------------------------------------------------
class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.open = reader, writer, True
        self.served = 0  # requests answered on this connection
        self.idle_since = time.monotonic()

    async def request(self, method, path, body=b"", headers=None):
        head = f"{method} {path} HTTP/1.1\r\nHost: soak\r\nContent-Length: {len(body)}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            data = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            self.open = False
        if hdrs.get("connection", "").lower() == "close":
            self.open = False
        self.served += 1
        self.idle_since = time.monotonic()
        return status, data

    def close(self):
        self.open = False
        self.writer.close()


class Pool:
    def __init__(self, port, limit):
        self.port, self.limit, self.idle, self.count = port, limit, [], 0
        self.free = asyncio.Condition()

    async def get(self):
        async with self.free:
            while not self.idle and self.count >= self.limit:
                await self.free.wait()
            # The server closes a keep-alive connection after KEEPALIVE (5 s) idle: never
            # reuse one idle for 3 s, as a browser or an HTTP library would not.
            while self.idle and time.monotonic() - self.idle[-1].idle_since > 3:
                self.idle.pop().close()
                self.count -= 1
            if self.idle:
                return self.idle.pop()
            self.count += 1
        try:
            r, w = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            await self.put(None)
            raise
        return Conn(r, w)

    async def put(self, conn):
        async with self.free:
            if conn is not None and conn.open:
                self.idle.append(conn)
            else:
                self.count -= 1
                if conn is not None:
                    conn.close()
            self.free.notify()


# -- the mix -----------------------------------------------------------------------------------
def pick(rng):
    x = rng.random()
    sid = f"soak-{rng.randrange(ARGS.sessions)}"
    if x < 0.50:
        return "search", "POST", "/search", {"query": rng.choice(QUERIES), "k": 5}
    if x < 0.70:
        return "chat", "POST", "/chat", {"message": rng.choice(QUESTIONS), "session_id": sid}
    if x < 0.85:
        return "stream", "POST", "/chat", {"message": rng.choice(QUESTIONS), "session_id": sid, "stream": True}
    return "history", "GET", f"/sessions/{sid}/history", None


class Stats:
    def __init__(self):
        self.lat = {k: [] for k in ("search", "chat", "stream", "history")}
        self.status = {}
        self.errors = {}
        self.bad_bodies = 0
        self.dropped = 0
        self.stale_retries = 0  # a reused keep-alive connection closed under the request
        self.sent = 0

    def add(self, kind, status, seconds, ok_body):
        self.status[status] = self.status.get(status, 0) + 1
        self.lat[kind].append(seconds)
        if status == 200 and not ok_body:
            self.bad_bodies += 1

    def error(self, e):
        name = type(e).__name__
        self.errors[name] = self.errors.get(name, 0) + 1

    def total(self):
        return sum(self.status.values())


async def one(pool, rng, stats, phase):
    kind, method, path, payload = pick(rng)
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    stats.sent += 1
    headers["X-Request-Id"] = f"{phase}-{kind}-{stats.sent}"  # server-side latency by phase
    started = time.monotonic()
    conn = None
    try:
        conn = await pool.get()
        try:
            status, data = await asyncio.wait_for(conn.request(method, path, body, headers), 120)
        except (asyncio.IncompleteReadError, ConnectionResetError) as e:
            # Only the idle-close race of HTTP keep-alive is retried (as HTTP clients do): a
            # reused connection that the server closed before any byte of the answer.
            if conn.served == 0 or (isinstance(e, asyncio.IncompleteReadError) and e.partial):
                raise
            stats.stale_retries += 1
            conn.open = False
            await pool.put(conn)
            conn = await pool.get()
            status, data = await asyncio.wait_for(conn.request(method, path, body, headers), 120)
        ok = (b'"results"' in data if kind == "search" else
              b"event: done" in data if kind == "stream" else
              b'"response"' in data if kind == "chat" else b'"history"' in data)
        stats.add(kind, status, time.monotonic() - started, ok)
    except Exception as e:  # noqa: BLE001 - counted, reported
        stats.error(e)
        if conn is not None:
            conn.open = False
    finally:
        if conn is not None:
            await pool.put(conn)


def cpu_seconds(pid):
    """User + system CPU seconds used so far by process `pid` (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    t = os.times()
    return t.user + t.system


async def closed_loop(port, clients, seconds):
    pool, stats, rng = Pool(port, clients), Stats(), random.Random(1)
    stop = time.monotonic() + seconds

    async def client():
        while time.monotonic() < stop:
            await one(pool, rng, stats, "cap")

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return stats, stats.total() / (time.monotonic() - started)


def _tcp_ports():
    """socket inode -> (local port, remote port) for every IPv4/IPv6 TCP socket."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    out[cols[9]] = (int(cols[1].rsplit(":", 1)[1], 16), int(cols[2].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return out


SERVER_PORT = [0]
UPSTREAM_PORT = [0]


def sample(pid):
    """RSS, threads and descriptors of the server; sockets split into client connections
    (local port = the server's), upstream connections (remote port = the fake's) and others."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    ports = _tcp_ports()
    clients = upstream = 0
    for link in links:
        if link.startswith("socket:["):
            local, remote = ports.get(link[8:-1], (0, 0))
            if local == SERVER_PORT[0] and remote:
                clients += 1
            elif remote == UPSTREAM_PORT[0]:
                upstream += 1
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"]),
            "fds": len(links), "client_sockets": clients, "upstream_sockets": upstream,
            "other_fds": len(links) - clients - upstream}


async def open_loop(port, pid, rate, seconds, on_sample):
    pool, stats, rng = Pool(port, ARGS.max_connections), Stats(), random.Random(2)
    deadline = time.monotonic() + 20  # the capacity phase's connections are closing
    while sample(pid)["client_sockets"] > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stats.at_start = sample(pid)
    stats.fds_at_start = stats.at_start["fds"]
    tasks = set()
    started = time.monotonic()
    next_sample = started
    issued = 0
    while True:
        now = time.monotonic()
        if now >= started + seconds:
            break
        if now >= next_sample:
            on_sample(now - started, sample(pid), stats)
            next_sample += ARGS.sample_every
        due = int((now - started) * rate) - issued
        for _ in range(max(0, due)):
            if len(tasks) >= ARGS.max_connections * 2:
                stats.dropped += 1  # the client is behind; counted, not queued without bound
            else:
                t = asyncio.create_task(one(pool, rng, stats, "soak"))
                tasks.add(t)
                t.add_done_callback(tasks.discard)
            issued += 1
        await asyncio.sleep(0.005)
    if tasks:
        await asyncio.wait(tasks, timeout=180)
    on_sample(time.monotonic() - started, sample(pid), stats)
    # Every client connection closed: the server's descriptors go back to the start level.
    async with pool.free:
        for conn in pool.idle:
            conn.close()
        pool.idle.clear()
    deadline = time.monotonic() + 20
    while sample(pid)["client_sockets"] > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stats.after_close = sample(pid)
    stats.fds_after_close = stats.after_close["fds"]
    return stats, issued / seconds


def pct(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def build_type():
    """CMAKE_BUILD_TYPE of --build-dir ("" when unknown): figures are meant for Release."""
    try:
        with open(os.path.join(ARGS.build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def main():
    kind = build_type()
    print(f"build type of {ARGS.build_dir}: {kind or 'unknown'}", flush=True)
    if kind != "Release":
        print("warning: not a Release build; its figures are not the product's", flush=True)
    with tempfile.TemporaryDirectory(prefix="rag-soak-") as tmp:
        fake = support.FakeUpstream(latency_ms=ARGS.latency_ms, stream_delay_ms=ARGS.stream_delay_ms)
        env = dict(fake.openai_env(), VECTOR_DB_PATH=os.path.join(tmp, "vector_db"))
        indexed = harness.run_cli(["index", os.path.join(ROOT, "docs")], env=env, cwd=tmp, timeout=600)
        if indexed.returncode != 0:
            sys.exit("indexing failed:\n" + indexed.stderr[-3000:])
        server = harness.Server(env=dict(env, RATE_LIMIT_CHAT="off", RATE_LIMIT_SEARCH="off",
                                         RATE_LIMIT_HEALTH="off", WORKERS=str(ARGS.workers),
                                         LLM_TIMEOUT="30", MAX_CONCURRENT_REQUESTS="30000",
                                         MAX_UPSTREAM_CALLS=str(ARGS.max_upstream_calls)))
        pid = server.proc.pid
        SERVER_PORT[0], UPSTREAM_PORT[0] = server.port, fake.port
        try:
            summary = run(server.port, pid)
        finally:
            server.stop()
            fake.stop()
        summary["server_exit_code"] = server.proc.returncode  # after SIGTERM: 0 expected
        summary["server_latency_ms"] = server_latencies(server.log_base + ".out")
        print("server exit code after SIGTERM:", server.proc.returncode)
        print("server-side (access log) latency, soak phase:", json.dumps(summary["server_latency_ms"]))
        if ARGS.out:
            with open(ARGS.out, "w") as f:
                json.dump(summary, f, indent=1)
    return summary


def server_latencies(access_log):
    """p50/p99 of the access log's duration_ms for the soak phase's requests, by kind."""
    by_kind = {}
    with open(access_log, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            rid = str(record.get("request_id", ""))
            if rid.startswith("soak-"):
                by_kind.setdefault(rid.split("-")[1], []).append(record["duration_ms"])
    return {k: {"n": len(v), "p50": round(pct(v, .5), 1), "p99": round(pct(v, .99), 1),
                "max": round(max(v), 1)} for k, v in by_kind.items()}


def run(port, pid):
    rate = ARGS.rate
    capacity = None
    steps, saturated = [], ""
    if not rate:
        clients, capacity = ARGS.capacity_clients, 0.0
        while clients <= ARGS.capacity_max_clients:
            wall, server_cpu, client_cpu = time.monotonic(), cpu_seconds(pid), own_cpu_seconds()
            cap_stats, got = asyncio.run(closed_loop(port, clients, ARGS.capacity_seconds))
            wall = time.monotonic() - wall
            server_cores = (cpu_seconds(pid) - server_cpu) / wall
            client_cores = (own_cpu_seconds() - client_cpu) / wall
            failed = sum(n for code, n in cap_stats.status.items() if code >= 500)
            failed += sum(cap_stats.errors.values())
            step = {"clients": clients, "rps": round(got, 1), "statuses": cap_stats.status,
                    "errors": cap_stats.errors, "server_cores": round(server_cores, 2),
                    "client_cores": round(client_cores, 2),
                    "search_p50_ms": round(pct(cap_stats.lat["search"], .5) * 1000, 2),
                    "search_p99_ms": round(pct(cap_stats.lat["search"], .99) * 1000, 2),
                    "server_rss_mb_after": round(sample(pid)["rss_mb"], 1)}
            steps.append(step)
            print(f"capacity step: {clients} clients -> {got:.1f} req/s (statuses {cap_stats.status}, "
                  f"errors {cap_stats.errors}, search p50/p99 {step['search_p50_ms']}/"
                  f"{step['search_p99_ms']} ms, cores used: server {server_cores:.2f}, "
                  f"client {client_cores:.2f}, server RSS after {step['server_rss_mb_after']} MB)",
                  flush=True)
            if failed:
                saturated = f"{failed} failed requests at {clients} clients"
                break
            gain = got / capacity - 1 if capacity else 1
            capacity = max(capacity, got)
            if gain < 0.10:
                saturated = f"throughput gained {gain:+.1%} from {clients // 2} to {clients} clients"
                break
            clients *= 2
        if not capacity:
            sys.exit("capacity: the first step already failed; nothing to soak at")
        rate = capacity * ARGS.fraction
        print(f"capacity: {capacity:.1f} req/s ({saturated or 'NOT saturated at the last step: a lower bound'}); "
              f"soaking at {rate:.1f} req/s", flush=True)
    samples = []

    def on_sample(t, s, stats):
        s = dict(s, t=round(t, 1), requests=stats.total())
        samples.append(s)
        print(f"t={s['t']:6.1f}s rss={s['rss_mb']:.1f}MB fds={s['fds']} (clients {s['client_sockets']}, "
              f"upstream {s['upstream_sockets']}, other {s['other_fds']}) threads={s['threads']} "
              f"requests={s['requests']} errors={sum(stats.errors.values())}", flush=True)

    stats, achieved = asyncio.run(open_loop(port, pid, rate, ARGS.duration, on_sample))
    after = [s for s in samples if s["t"] >= ARGS.warmup] or samples[-1:]
    base = after[0]["rss_mb"]
    end = samples[-1]["rss_mb"]
    # Growth is judged on the peaks: the server returns freed memory now and then (its heap
    # trimmer), so single samples see-saw; a leak raises the peak of the second half of the
    # soak above the peak of the first.
    half = len(after) // 2
    peak_first = max(s["rss_mb"] for s in after[:max(half, 1)])
    peak_second = max(s["rss_mb"] for s in after[half:])
    growth = (peak_second - peak_first) / peak_first * 100
    tail = after[len(after) // 2:]
    fds_after = [s["fds"] for s in after]
    five_xx = sum(n for code, n in stats.status.items() if code >= 500)
    summary = {
        "duration_s": ARGS.duration, "warmup_s": ARGS.warmup, "capacity_rps": capacity,
        "capacity_steps": steps, "saturated": saturated,
        "target_rps": round(rate, 1), "achieved_rps": round(achieved, 1),
        "requests": stats.total(), "statuses": stats.status, "transport_errors": stats.errors,
        "bad_bodies": stats.bad_bodies, "client_dropped": stats.dropped,
        "keepalive_stale_retries": stats.stale_retries, "five_xx": five_xx,
        "rss_mb": {"start": samples[0]["rss_mb"], "after_warmup": base, "end": end,
                   "max": max(s["rss_mb"] for s in samples),
                   "peak_first_half_after_warmup": peak_first,
                   "peak_second_half_after_warmup": peak_second,
                   "growth_pct_after_warmup": round(growth, 2)},
        "fds": {"start": stats.fds_at_start, "after_warmup_min": min(fds_after),
                "after_warmup_max": max(fds_after), "second_half_max": max(s["fds"] for s in tail),
                "after_clients_closed": stats.fds_after_close,
                "at_start_detail": stats.at_start, "after_close_detail": stats.after_close},
        "latency_ms": {k: {"n": len(v), "p50": round(pct(v, .5) * 1000, 1),
                           "p99": round(pct(v, .99) * 1000, 1)} for k, v in stats.lat.items()},
        "samples": samples,
        "settings": {k: v for k, v in vars(ARGS).items() if k != "out"},
        "build_type": build_type(),
    }
    # Descriptors: no client socket left once the clients closed, and nothing else grew
    # (the upstream keep-alive pool is reported apart: bounded by the peak of chats in flight).
    fds_ok = (stats.after_close["client_sockets"] == 0 and
              stats.after_close["other_fds"] <= after[0]["other_fds"] + 2)
    ok = (five_xx == 0 and not stats.errors and stats.bad_bodies == 0 and growth < 5 and fds_ok)
    summary["pass"] = ok
    if ARGS.out:
        with open(ARGS.out, "w") as f:
            json.dump(summary, f, indent=1)
    lat = summary["latency_ms"]
    print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=1))
    print("\nMarkdown for docs/RELIABILITY.md:")
    print(f"| soak | {ARGS.duration / 60:.0f} min at {rate:.0f} req/s ({ARGS.fraction:.0%} of "
          f"{capacity or 0:.0f} req/s measured) | {stats.total()} requests, 5xx: {five_xx}, transport "
          f"errors: {sum(stats.errors.values())} | RSS peak {peak_first:.1f} → {peak_second:.1f} MB "
          f"(first → second half after {ARGS.warmup:.0f} s warm-up, {growth:+.2f}%; "
          f"{base:.1f} → {end:.1f} MB first to last sample) | fds {stats.fds_at_start} at start, "
          f"{min(fds_after)}–{max(fds_after)} under load, {stats.fds_after_close} after the clients "
          f"closed ({stats.after_close['client_sockets']} client sockets, "
          f"{stats.after_close['upstream_sockets']} pooled upstream, {stats.after_close['other_fds']} other; "
          f"{after[0]['other_fds']} other after warm-up) | client-side p50/p99 ms: search {lat['search']['p50']}/{lat['search']['p99']}, "
          f"chat {lat['chat']['p50']}/{lat['chat']['p99']}, stream {lat['stream']['p50']}/"
          f"{lat['stream']['p99']}, history {lat['history']['p50']}/{lat['history']['p99']} |")
    print("SOAK", "PASS" if ok else "FAIL")
    return summary


if __name__ == "__main__":
    result = main()
    sys.exit(0 if result["pass"] and result["server_exit_code"] == 0 else 1)
