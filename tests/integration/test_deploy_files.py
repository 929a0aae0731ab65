"""Deployment files and operator docs (issue 7): every setting documented, every file parses and
passes its tool's own check, and the runtime tree the Dockerfile copies really runs.

- Settings: names and defaults come from the table in src/config/loader.cpp (the source of
  truth); each must be an active line of .env.example with its default, and a `### NAME` section
  of docs/configuration.md.
- Docs: the pages are the bundled corpus; the indexer drops paragraphs under 100 characters, so
  every section must hold at least one paragraph of 100 characters or more.
- Compose / Kubernetes: YAML parses (PyYAML, Debian python3-yaml) and says what the guide asks;
  `docker compose config` / `docker-compose config` and `kubectl kustomize` run when installed.
- HAProxy: `haproxy -c`, then a real HAProxy with deploy/haproxy/haproxy.cfg in front of two
  small HTTP servers: round robin, X-Forwarded-For, /healthz checks, unbuffered event streams,
  and a replica failing its health check taken out of rotation.
- systemd: `systemd-analyze verify` prints nothing; `security --offline` rates the unit <= 2.0.
- Container check: scripts/container-check.sh (the podman build of the Dockerfile, run by hand)
  parses and is no test phase; the Dockerfile builds without a compiler cache by default.
- Runtime tree: scripts/runtime-files.sh on $RAG_SERVER_BIN; the binary and curl run from the
  tree in a chroot (as root) and through its own loader with every loaded library checked to
  come from the tree; when the binary implements them, `index` and `serve` run in the chroot as
  UID 1001 and the image's HEALTHCHECK command passes.
"""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import yaml
except ImportError:  # Debian: apt-get install -y python3-yaml
    yaml = None

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OWN_DOCS = ["index", "configuration", "api", "deployment", "operations", "migration", "security"]
NEEDS_YAML = "PyYAML missing: apt-get install -y python3-yaml (scripts/setup.sh should)"


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def loader_settings():
    """[(name, default)] in table order, parsed from the configuration table's rows."""
    rows = re.findall(r'\{\{"([A-Z][A-Z0-9_]*)",\s*"((?:[^"\\]|\\.)*)"', read("src/config/loader.cpp"))
    return rows


SETTING_LINE = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")


def dotenv_lines(text):
    """{name: [(active, value)]} of KEY=VALUE lines, active or commented out ("# KEY=VALUE"),
    quotes removed as the server's parser does."""
    out = {}
    for line in text.splitlines():
        m = SETTING_LINE.match(line.strip())
        if not m:
            continue
        value = m.group(3).strip()
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            value = value[1:-1]
        out.setdefault(m.group(2), []).append((m.group(1) is None, value))
    return out


def markdown_sections(text):
    """[(heading, [paragraphs])] outside code fences and front matter."""
    if text.startswith("---\n"):
        text = text[text.index("\n---\n", 4) + 5:]
    sections, heading, paragraph, in_code = [], "(top)", [], False
    current = []

    def flush():
        if paragraph:
            current.append(" ".join(paragraph))
            paragraph.clear()

    for line in text.splitlines():
        if line.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("#"):
            flush()
            sections.append((heading, current))
            heading, current = line.lstrip("#").strip(), []
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
    flush()
    sections.append((heading, current))
    return [(h, p) for h, p in sections if h != "(top)" or p]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # polling interval of a bounded wait on an observed condition
    raise AssertionError(message)


class SettingsAreDocumented(unittest.TestCase):
    def setUp(self):
        self.settings = loader_settings()
        self.assertGreaterEqual(len(self.settings), 40, "configuration table not parsed")

    def test_every_setting_is_in_env_example_with_its_default(self):
        env = dotenv_lines(read(".env.example"))
        for name, default in self.settings:
            with self.subTest(name=name):
                self.assertIn(name, env, f"{name} missing from .env.example")
                self.assertEqual(len(env[name]), 1, f"{name} listed twice")
                active, value = env[name][0]
                self.assertEqual(value, default, f"{name}: .env.example should show the default")
        unknown = set(env) - {n for n, _ in self.settings}
        self.assertFalse(unknown, f".env.example names unknown settings: {unknown}")

    def test_env_example_as_is_changes_no_default(self):
        # Active lines are the empty upstream settings only, so a copied .env overrides neither
        # a default nor the paths the image and the systemd unit set.
        env = dotenv_lines(read(".env.example"))
        active = {n: v for n, entries in env.items() for a, v in entries if a}
        self.assertTrue(active, "no active line to fill in")
        self.assertEqual({n: v for n, v in active.items() if v}, {})
        self.assertNotIn("LOG_DIR", active)
        self.assertNotIn("VECTOR_DB_PATH", active)

    def test_env_example_has_a_comment_per_setting_and_no_inline_comments(self):
        lines = [line.strip() for line in read(".env.example").splitlines()]
        for i, line in enumerate(lines):
            m = SETTING_LINE.match(line)
            if not m:
                continue
            self.assertNotIn(" #", m.group(3), f"inline comment on line {i + 1} (systemd rejects it)")
            above = lines[i - 1]
            described = above.startswith("#") and not SETTING_LINE.match(above)
            self.assertTrue(described or SETTING_LINE.match(above), f"no comment above line {i + 1}: {line}")

    def test_every_setting_has_a_section_in_the_configuration_reference(self):
        sections = dict(markdown_sections(read("docs/configuration.md")))
        for name, default in self.settings:
            with self.subTest(name=name):
                self.assertIn(name, sections, f"no '### {name}' in docs/configuration.md")
                body = " ".join(sections[name])
                self.assertIn("Default:", body)
                if default:
                    self.assertIn(default, body, f"{name}: default {default!r} not stated")


class DocsAreAGoodCorpus(unittest.TestCase):
    def test_every_paragraph_is_long_enough_to_be_indexed(self):
        for page in OWN_DOCS:
            text = read(f"docs/{page}.md")
            self.assertRegex(text, r"\A---\ntitle: .+\ndescription: .+\n---\n", f"{page}: front matter")
            sections = markdown_sections(text)
            self.assertGreater(len(sections), 3, page)
            for heading, paragraphs in sections:
                for paragraph in paragraphs:  # shorter ones would be silently left out of the index
                    with self.subTest(page=page, heading=heading):
                        self.assertGreaterEqual(len(paragraph), 100, f"{page}.md '{heading}': {paragraph}")

    def test_docs_name_no_real_looking_secret(self):
        for page in OWN_DOCS:
            text = read(f"docs/{page}.md")
            self.assertNotRegex(text, r"sk-[A-Za-z0-9]{20,}|[0-9a-f]{32}", page)


class ContainerFiles(unittest.TestCase):
    def test_dockerfile_has_the_required_shape(self):
        text = read("Dockerfile")
        froms = re.findall(r"^FROM (\S+)", text, re.M)
        self.assertEqual(froms, ["debian:12", "scratch"])
        self.assertIn("./scripts/setup.sh", text)
        self.assertIn("./scripts/runtime-files.sh", text)
        self.assertRegex(text, r"(?m)^USER 1001:1001$")
        self.assertRegex(text, r"(?m)^EXPOSE 8000$")
        self.assertRegex(text, r"(?m)^WORKDIR /app$")
        self.assertIn("VECTOR_DB_PATH=/app/vector_db", text)
        self.assertIn("LOG_DIR=/app/logs", text)
        health = re.search(r"(?ms)^HEALTHCHECK .*?CMD (\[.*?\])$", text)
        self.assertIsNotNone(health)
        argv = json.loads(health.group(1))
        self.assertEqual(argv[0], "/usr/local/bin/curl")
        self.assertEqual(argv[-1], "http://127.0.0.1:8000/")

    def test_dockerignore_keeps_secrets_and_build_trees_out(self):
        lines = read(".dockerignore").splitlines()
        for entry in [".env", ".git", "build", "vector_db"]:
            self.assertIn(entry, lines)

    def test_build_stage_compiles_without_a_cache_unless_one_is_passed(self):
        # A plain `docker build` has no /ccache volume: the default must turn ccache off.
        text = read("Dockerfile")
        self.assertRegex(text, r"(?m)^ARG CCACHE_DIR=$")
        self.assertIn("CCACHE_DISABLE=1", text)
        self.assertNotIn("setup.sh --test", text, "the image needs rag-server alone, not the tests")

    def test_container_check_script_parses_and_stays_out_of_the_test_phases(self):
        script = os.path.join(ROOT, "scripts", "container-check.sh")
        self.assertTrue(os.access(script, os.X_OK), "scripts/container-check.sh not executable")
        result = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        # It downloads a base system and takes minutes: run by hand (docs/deployment.md), not by CI.
        for path in ["scripts/test.sh", ".ci/run"]:
            self.assertNotIn("container-check", read(path), path)
        guide = read("docs/deployment.md")
        self.assertIn("scripts/container-check.sh", guide)
        self.assertNotRegex(guide, r"image itself has not been built|never been built")

    @unittest.skipIf(yaml is None, NEEDS_YAML)
    def test_compose_file_says_what_the_guide_asks(self):
        doc = yaml.safe_load(read("docker-compose.prod.yml"))
        server = doc["services"]["rag-server"]
        self.assertEqual(server["env_file"], ".env")
        self.assertIn("./vector_db:/app/vector_db:ro", server["volumes"])
        self.assertTrue(any(v.startswith("rag-logs:/app/logs") for v in server["volumes"]))
        self.assertEqual(server["restart"], "unless-stopped")
        self.assertEqual(server["user"], "1001:1001")
        self.assertIn("no-new-privileges:true", server["security_opt"])
        self.assertEqual(server["deploy"]["resources"]["limits"], {"cpus": "1.0", "memory": "2G"})
        self.assertIn("/usr/local/bin/curl", server["healthcheck"]["test"])
        self.assertEqual(doc["services"]["redis"]["profiles"], ["redis"])

    def test_compose_tool_accepts_the_file(self):
        tool = None
        if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                     capture_output=True).returncode == 0:
            tool = ["docker", "compose"]
        elif shutil.which("docker-compose"):
            tool = ["docker-compose"]
        if tool is None:
            self.skipTest("neither `docker compose` nor docker-compose installed")
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(os.path.join(ROOT, "docker-compose.prod.yml"), tmp)
            shutil.copy(os.path.join(ROOT, ".env.example"), os.path.join(tmp, ".env"))
            result = subprocess.run(tool + ["-f", "docker-compose.prod.yml", "config", "-q"], cwd=tmp,
                                    capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)


@unittest.skipIf(yaml is None, NEEDS_YAML)
class KubernetesManifests(unittest.TestCase):
    def load_all(self):
        docs = {}
        folder = os.path.join(ROOT, "deploy", "k8s")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    docs[name] = [d for d in yaml.safe_load_all(f) if d]
        return docs

    def test_every_manifest_parses_and_kustomization_lists_existing_files(self):
        docs = self.load_all()
        kinds = {d["kind"] for ds in docs.values() for d in ds}
        for kind in ["Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler"]:
            self.assertIn(kind, kinds)
        for resource in docs["kustomization.yaml"][0]["resources"]:
            self.assertIn(resource, docs)

    def test_deployment_follows_the_guide(self):
        dep = next(d for d in self.load_all()["deployment.yaml"] if d["kind"] == "Deployment")
        self.assertEqual(dep["spec"]["replicas"], 3)
        pod = dep["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["runAsUser"], 1001)
        c = pod["containers"][0]
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(c["resources"]["limits"], {"cpu": "1000m", "memory": "2Gi"})
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        self.assertTrue(mounts["/app/vector_db"]["readOnly"])
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertIn("emptyDir", volumes[mounts["/app/logs"]["name"]])
        self.assertGreater(pod["terminationGracePeriodSeconds"], 30)

    def test_secret_template_holds_no_values_and_configmap_no_keys(self):
        docs = self.load_all()
        secret = docs["secret.example.yaml"][0]
        self.assertTrue(all(v == "" for v in secret["stringData"].values()))
        config = docs["configmap.yaml"][0]["data"]
        self.assertFalse([k for k in config if k.endswith("_KEY")])
        names = {n for n, _ in loader_settings()}
        self.assertFalse(set(config) - names, "ConfigMap names unknown settings")

    def test_kustomize_renders_offline(self):
        if not shutil.which("kubectl"):
            self.skipTest("kubectl not installed")
        result = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "deploy", "k8s")],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\nkind: Deployment"), 2)


class Replica:
    """A tiny HTTP server standing in for a rag-server replica behind HAProxy."""

    def __init__(self, name):
        self.name, self.healthy, self.requests = name, True, []
        self.release_stream = threading.Event()
        replica = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                replica.requests.append((self.path, self.headers.get_all("X-Forwarded-For") or []))
                if self.path == "/healthz":
                    self.reply(200 if replica.healthy else 503, b"{}")
                elif self.path == "/stream":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    self.wfile.write(b"event: token\ndata: first\n\n")
                    self.wfile.flush()
                    replica.release_stream.wait(20)
                    self.wfile.write(b"event: done\ndata: second\n\n")
                else:
                    self.reply(200, json.dumps({"replica": replica.name}).encode())

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release_stream.set()
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(shutil.which("haproxy"), "haproxy not installed (apt-get install -y haproxy)")
class HAProxyConfig(unittest.TestCase):
    CFG = os.path.join(ROOT, "deploy", "haproxy", "haproxy.cfg")

    def env(self, **extra):
        e = dict(os.environ)
        e.update(extra)
        return e

    def test_config_is_valid_and_requires_two_replicas(self):
        ok = subprocess.run(["haproxy", "-c", "-f", self.CFG], capture_output=True, text=True,
                            env=self.env(RAG_REPLICA_1="127.0.0.1:1", RAG_REPLICA_2="127.0.0.1:2",
                                         RAG_REPLICA_3="127.0.0.1:3", RAG_LB_STATS_BIND="127.0.0.1:8404"))
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        env = self.env()
        env.pop("RAG_REPLICA_1", None)
        env.pop("RAG_REPLICA_2", None)
        missing = subprocess.run(["haproxy", "-c", "-f", self.CFG], capture_output=True, env=env)
        self.assertNotEqual(missing.returncode, 0)

    def test_balances_forwards_streams_and_checks_health(self):
        replicas = [Replica("a"), Replica("b")]
        port = free_port()
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(["haproxy", "-db", "-f", self.CFG], stdout=log, stderr=log,
                                env=self.env(RAG_REPLICA_1=replicas[0].address,
                                             RAG_REPLICA_2=replicas[1].address,
                                             RAG_LB_BIND="127.0.0.1:%d" % port))
        try:
            self.check_balancer(port, replicas)
        finally:
            proc.terminate()
            proc.wait(10)
            for r in replicas:
                r.close()
            log.close()

    def get(self, port, path, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            res = conn.getresponse()
            return res.status, res.read()
        finally:
            conn.close()

    def who(self, port):
        try:
            status, body = self.get(port, "/whoami")
        except OSError:
            return None
        return json.loads(body)["replica"] if status == 200 else None

    def check_balancer(self, port, replicas):
        seen = set()
        wait_until(lambda: seen.add(self.who(port)) or {"a", "b"} <= seen, 20,
                   "HAProxy never reached both replicas")
        # Health checks go to /healthz on both replicas.
        wait_until(lambda: all("/healthz" in [p for p, _ in r.requests] for r in replicas), 20,
                   "no /healthz check reached both replicas")
        # Round robin: consecutive requests alternate.
        names = [self.who(port) for _ in range(10)]
        self.assertEqual(abs(names.count("a") - names.count("b")), 0, names)
        # X-Forwarded-For: one header line, the client's own value first, the real peer last.
        for sent, expected in [(None, ["127.0.0.1"]), ("203.0.113.9", ["203.0.113.9, 127.0.0.1"])]:
            before = [len(r.requests) for r in replicas]
            self.get(port, "/whoami", {"X-Forwarded-For": sent} if sent else {})
            new = [req for r, n in zip(replicas, before) for req in r.requests[n:] if req[0] == "/whoami"]
            self.assertEqual(new[0][1], expected)
        # A server-sent event reaches the client while the replica still holds the stream open.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/stream")
        res = conn.getresponse()
        first = b"".join(res.readline() for _ in range(2))
        self.assertIn(b"data: first", first)
        for r in replicas:
            r.release_stream.set()
        self.assertIn(b"data: second", res.read())
        conn.close()
        # A replica failing /healthz leaves the rotation.
        replicas[1].healthy = False
        wait_until(lambda: all(self.who(port) == "a" for _ in range(4)), 30,
                   "unhealthy replica never left the rotation")


@unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
class SystemdUnit(unittest.TestCase):
    UNIT = os.path.join(ROOT, "deploy", "systemd", "rag-server.service")

    def copy_with_real_binary(self, tmp):
        # verify needs an executable ExecStart: point it at the built binary (or /bin/true).
        binary = os.environ.get("RAG_SERVER_BIN") or "/bin/true"
        text = read("deploy/systemd/rag-server.service").replace(
            "ExecStart=/usr/local/bin/rag-server", "ExecStart=" + os.path.abspath(binary))
        path = os.path.join(tmp, "rag-server.service")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_unit_settings(self):
        text = read("deploy/systemd/rag-server.service")
        for line in ["Type=exec", "Restart=always", "RestartSec=5", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "PrivateTmp=yes", "KillSignal=SIGTERM",
                     "EnvironmentFile=/etc/rag-server/rag-server.env", "ExecReload=/bin/kill -HUP $MAINPID"]:
            self.assertRegex(text, r"(?m)^" + re.escape(line) + "$")
        stop = int(re.search(r"(?m)^TimeoutStopSec=(\d+)$", text).group(1))
        graceful = float(dict(loader_settings())["GRACEFUL_TIMEOUT"])
        self.assertGreater(stop, graceful)
        self.assertRegex(text, r"(?m)^User=rag-server$")

    def test_systemd_analyze_verify_is_silent(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run(["systemd-analyze", "verify", self.copy_with_real_binary(tmp)],
                                    capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout + result.stderr, "", "verify reported problems")

    def test_security_exposure_is_low(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                                     self.copy_with_real_binary(tmp)],
                                    capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for rag-server\.service: ([0-9.]+)", result.stdout + result.stderr)
        if m is None:
            self.skipTest("this systemd-analyze has no offline security mode")
        self.assertLessEqual(float(m.group(1)), 2.0, result.stdout)


SERVER_BIN = os.environ.get("RAG_SERVER_BIN")


def sanitizer_build():
    """RAG_SANITIZE of the build under test (cmake/Sanitizers.cmake): "" for a normal build."""
    cache = os.path.join(os.environ.get("RAG_BUILD_DIR", "build"), "CMakeCache.txt")
    try:
        with open(cache, encoding="utf-8") as f:
            found = re.search(r"^RAG_SANITIZE:STRING=(\w*)$", f.read(), re.M)
    except OSError:
        return ""
    return found.group(1) if found else ""
SCRIPT = os.path.join(ROOT, "scripts", "runtime-files.sh")


def in_chroot(root, uid=None):
    """preexec_fn entering `root` (as the Dockerfile's runtime stage does), optionally as uid."""
    def enter():
        os.chroot(root)
        os.chdir("/app")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
    return enter


@unittest.skipUnless(SERVER_BIN, "RAG_SERVER_BIN unset (CTest sets it)")
class RuntimeTree(unittest.TestCase):
    """Builds the tree the Dockerfile copies and runs the binary from it alone."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="rag-rootfs-")
        cls.out = os.path.join(cls.tmp.name, "rootfs")
        result = subprocess.run([SCRIPT, cls.out, SERVER_BIN], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError("runtime-files.sh failed: " + result.stderr)
        # What the Dockerfile adds around the copied tree.
        for d, mode in [("app/logs", 0o755), ("app/state", 0o755), ("app/vector_db", 0o755),
                        ("tmp", 0o1777), ("dev", 0o755)]:
            os.makedirs(os.path.join(cls.out, d), exist_ok=True)
            os.chmod(os.path.join(cls.out, d), mode)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_tree_holds_binary_loader_curl_and_ca_bundle(self):
        for rel in ["usr/local/bin/rag-server", "usr/local/bin/curl", "lib64/ld-linux-x86-64.so.2",
                    "etc/ssl/certs/ca-certificates.crt"]:
            self.assertTrue(os.path.isfile(os.path.join(self.out, rel)), rel)
        # Without glibc's Unicode iconv modules poppler turns every PDF page into empty text.
        self.assertTrue(glob.glob(os.path.join(self.out, "usr/lib/*/gconv/UTF-16.so")), "gconv UTF-16 missing")
        self.assertTrue(glob.glob(os.path.join(self.out, "usr/lib/*/gconv/gconv-modules")), "gconv config missing")

    def test_missing_binary_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run([SCRIPT, tmp, os.path.join(tmp, "nope")], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)

    def test_every_loaded_library_comes_from_the_tree(self):
        lib_path = ":".join(os.path.join(self.out, d) for d in ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"])
        for exe in ["usr/local/bin/rag-server", "usr/local/bin/curl"]:
            with self.subTest(exe=exe):
                result = subprocess.run(
                    [os.path.join(self.out, "lib64/ld-linux-x86-64.so.2"), "--inhibit-cache",
                     "--library-path", lib_path, os.path.join(self.out, exe), "--version"],
                    capture_output=True, text=True, timeout=60,
                    # curl's LDAP support probes optional SASL plugins by absolute path; the
                    # image has none (the chroot test shows curl runs without them).
                    env={"LD_DEBUG": "libs", "PATH": "/usr/bin:/bin", "SASL_PATH": "/nonexistent"})
                self.assertEqual(result.returncode, 0, result.stderr[-2000:])
                loaded = re.findall(r"calling init: (\S+)", result.stderr)
                self.assertTrue(loaded, "LD_DEBUG printed no library")
                outside = [p for p in loaded if not p.startswith(self.out)]
                self.assertFalse(outside, f"{exe} loaded libraries from outside the tree: {outside}")

    def require_root(self):
        if os.geteuid() != 0:
            self.skipTest("chroot needs root")
        if sanitizer_build():
            # The image ships the Release binary. A sanitizer runtime reads /proc, which a
            # container has and this bare chroot does not (ASan then reports false errors).
            self.skipTest(f"{sanitizer_build()} build: its runtime needs /proc in the chroot")

    def test_binary_and_curl_run_in_a_chroot_of_the_tree(self):
        self.require_root()
        for argv in [["/usr/local/bin/rag-server", "--version"], ["/usr/local/bin/curl", "--version"]]:
            result = subprocess.run(argv, preexec_fn=in_chroot(self.out), capture_output=True, text=True,
                                    timeout=60, env={})
            self.assertEqual(result.returncode, 0, f"{argv}: {result.stderr}")

    def run_in_tree(self, args, timeout=300):
        return subprocess.run(["/usr/local/bin/rag-server"] + args, preexec_fn=in_chroot(self.out, 1001),
                              capture_output=True, text=True, timeout=timeout, env=self.server_env())

    def server_env(self):
        return {"HOST": "127.0.0.1", "PORT": "0", "VECTOR_DB_PATH": "/app/vector_db", "LOG_DIR": "/app/logs"}

    def skip_if_unimplemented(self, result, what):
        if result.returncode != 0 and "not implemented" in (result.stdout + result.stderr).lower():
            self.skipTest(f"`rag-server {what}` not implemented yet")

    def test_index_and_serve_as_uid_1001_pass_the_image_healthcheck(self):
        self.require_root()
        help_text = subprocess.run([SERVER_BIN, "--help"], capture_output=True, text=True, timeout=30)
        if "serve" not in help_text.stdout + help_text.stderr:
            self.skipTest("the binary's --help lists no `serve` command yet")
        # A copied .env.example must be accepted as is (the server reads ./.env in /app).
        shutil.copy(os.path.join(ROOT, ".env.example"), os.path.join(self.out, "app", ".env"))
        # The corpus the README indexes: this repository's docs.
        corpus = os.path.join(self.out, "app", "corpus")
        shutil.copytree(os.path.join(ROOT, "docs"), corpus, dirs_exist_ok=True)
        null = os.path.join(self.out, "dev", "null")
        if not os.path.exists(null):
            try:
                os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
            except OSError:
                open(null, "w").close()
            os.chmod(null, 0o666)
        for d in ["app/logs", "app/vector_db", "app/corpus"]:
            for dirpath, _, files in os.walk(os.path.join(self.out, d)):
                os.chown(dirpath, 1001, 1001)
                for f in files:
                    os.chown(os.path.join(dirpath, f), 1001, 1001)
        indexed = self.run_in_tree(["index", "/app/corpus"])
        self.skip_if_unimplemented(indexed, "index")
        self.assertEqual(indexed.returncode, 0, indexed.stderr[-3000:])
        self.serve_and_probe()

    def serve_and_probe(self):
        from harness import LISTENING, LineLog
        proc = subprocess.Popen(["/usr/local/bin/rag-server", "serve"], preexec_fn=in_chroot(self.out, 1001),
                                env=self.server_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = LineLog(proc.stderr)
        try:
            port = int(stderr.wait_for(LISTENING.pattern, timeout=30).group(2))
            # The Dockerfile's HEALTHCHECK command, with the chosen port, run from the tree.
            probe = subprocess.run(["/usr/local/bin/curl", "-fsS", "-o", "/dev/null", "--max-time", "4",
                                    "http://127.0.0.1:%d/" % port], preexec_fn=in_chroot(self.out, 1001),
                                   capture_output=True, text=True, timeout=30, env={})
            self.assertEqual(probe.returncode, 0, probe.stderr)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(60), 0, stderr.text()[-3000:])
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stderr.join()
            proc.stderr.close()


if __name__ == "__main__":
    unittest.main()
