"""The chat page GET /ui (issue 9): its HTTP answers, then the browser tests in headless
Chromium (tests/node/ui.test.mjs, and ui_answers.test.mjs for a finished answer: Markdown, copy,
feedback; playwright-core driving Debian's /usr/bin/chromium).

Two servers on the bundled docs/ index: one whose chat model is the fake upstream (rate limits
off), one without a chat model (extractive answers) and RATE_LIMIT_CHAT=1/minute. The browser
tests save screenshots at 1280x800 and 375x740, light and dark, under
$RAG_BUILD_DIR/test-output/ui/; they check the pixels themselves, and this file checks the PNG
files (size from IHDR, image data that inflates and is not uniform).

Nothing is skipped: without node, playwright-core or Chromium the test fails and says what is
missing (scripts/setup.sh installs them).
"""
import base64
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import unittest
import zlib

import harness
from test_chat_support import API_KEY, FakeUpstream

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.normpath(os.path.join(HERE, "..", "node"))
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
# Slower (sanitizer) builds stretch every deadline; the browser side reads the same variable.
scaled = getattr(harness, "scaled", lambda seconds: seconds)
SHOTS_DIR = os.path.join(os.path.abspath(harness.BUILD_DIR), "test-output", "ui")
SHOTS = {"ui-1280x800-light.png": (1280, 800), "ui-1280x800-dark.png": (1280, 800),
         "ui-375x740-light.png": (375, 740), "ui-375x740-dark.png": (375, 740)}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def missing_prerequisites():
    missing = []
    if shutil.which("node") is None:
        missing.append("node (Node.js 20) is not on PATH")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        missing.append(f"playwright-core is not installed: run `npm ci` in {NODE_DIR}")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium is not at {CHROMIUM}: `apt-get install chromium`")
    return missing


def png_summary(path):
    """(width, height, distinct byte values of the inflated image data) of a PNG file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw))


class BrowserUi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = missing_prerequisites()
        if missing:
            raise AssertionError("browser tests cannot run: " + "; ".join(missing))
        cls.fake = FakeUpstream()
        cls.llm = harness.Server(env={
            "RATE_LIMIT_CHAT": "off", "RATE_LIMIT_SEARCH": "off", "RATE_LIMIT_HEALTH": "off",
            "RATE_LIMIT_FEEDBACK": "off", "OPENAI_BASE_URL": cls.fake.base + "/v1", "OPENAI_API_KEY": API_KEY,
            "CHAT_MODEL": "fake-model", "LLM_MAX_RETRIES": "1", "LLM_BASE_DELAY": "0.01",
            "LLM_MAX_DELAY": "0.05", "LLM_TIMEOUT": "3"})
        cls.extractive = harness.Server(env={"RATE_LIMIT_CHAT": "1/minute",
                                             "RATE_LIMIT_HEALTH": "off"})

    @classmethod
    def tearDownClass(cls):
        for name in ("extractive", "llm", "fake"):
            if hasattr(cls, name):
                getattr(cls, name).stop()

    def test_page_headers(self):
        status, headers, body = self.llm.request("GET", "/ui")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["content-security-policy"], CSP)
        self.assertEqual(headers["cache-control"], "no-cache")  # the handler's wins over no-store
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertIn("x-request-id", headers)
        self.assertIn(b'<script type="module" src="/ui/app.js"></script>', body)
        etag = headers["etag"]

        status, headers, body = self.llm.request("GET", "/ui", headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(headers["etag"], etag)

        status, headers, body = self.llm.request("HEAD", "/ui")
        self.assertEqual((status, body), (200, b""))

        status, headers, body = self.llm.request("GET", "/ui/app.js")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
        self.assertIn(b"import", body)

    def test_unknown_file_is_json_404(self):
        for path in ("/ui/nope.js", "/ui/..%2Fapidoc%2Fopenapi.json", "/ui/a/b"):
            status, headers, body = self.llm.request("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(headers["content-type"], "application/json; charset=utf-8")
            self.assertEqual(json.loads(body), {"detail": "Not Found"})

    def test_source_page(self):
        # GET /ui/source: the indexed text of a cited page, for relative citation urls.
        status, headers, body = self.llm.request("GET", "/ui/source?url=%2Fconfiguration")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        # The chat page's style sheet inline (so that the browser lays the page out once,
        # styled, before it scrolls to the passage), allowed by its hash and nothing else.
        _, _, css = self.llm.request("GET", "/ui/app.css")
        self.assertIn(b"<style>" + css + b"</style>", body)
        self.assertEqual(body.count(b"<style"), 1)
        self.assertNotIn(b'rel="stylesheet"', body)
        digest = base64.b64encode(hashlib.sha256(css).digest()).decode()
        self.assertEqual(headers["content-security-policy"],
                         CSP.replace("style-src 'self'", f"style-src 'sha256-{digest}'"))
        self.assertIn(b"<title>Configuration reference", body)
        self.assertIn(b"RATE_LIMIT_CHAT", body)
        self.assertNotIn(b"<script", body)
        # Every chunk of the page in order, under its section's heading (the page's first
        # section, named like the page, has none).
        headings = re.findall(rb"<h2>(.*?)</h2>", body)
        self.assertGreaterEqual(len(headings), 5, headings)
        self.assertEqual(headings[0], b"How to set a value")

        for path in ("/ui/source?url=%2Fnope", "/ui/source", "/ui/source?url=configuration",
                     "/ui/source?url=%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
            status, headers, body = self.llm.request("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(headers["content-type"], "application/json; charset=utf-8")
            self.assertEqual(json.loads(body), {"detail": "Not Found"})

    def test_in_chromium(self):
        shutil.rmtree(SHOTS_DIR, ignore_errors=True)
        os.makedirs(SHOTS_DIR)
        env = dict(os.environ, UI_URL_LLM=f"http://127.0.0.1:{self.llm.port}",
                   UI_FAKE_URL=self.fake.base,
                   UI_URL_EXTRACTIVE=f"http://127.0.0.1:{self.extractive.port}",
                   UI_SCREENSHOT_DIR=SHOTS_DIR, CHROMIUM_BIN=CHROMIUM)
        try:
            done = subprocess.run(["node", "--test", "--test-concurrency=1", "--test-reporter=spec",
                                   "ui.test.mjs", "ui_answers.test.mjs"], cwd=NODE_DIR,
                                  env=env, capture_output=True, text=True, timeout=scaled(300),
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail("browser tests timed out:\n" + (e.stdout or "")[-12000:] + (e.stderr or "")[-3000:])
        print(done.stdout[-6000:])
        self.assertEqual(done.returncode, 0, "browser tests failed:\n" + done.stdout[-12000:]
                         + done.stderr[-3000:])
        for name, (width, height) in SHOTS.items():
            path = os.path.join(SHOTS_DIR, name)
            self.assertTrue(os.path.isfile(path), f"no screenshot {path}")
            w, h, distinct = png_summary(path)
            self.assertEqual((w, h), (width, height), name)
            # A uniform image filters down to a handful of byte values; a page has many.
            self.assertGreater(distinct, 64, f"{name} looks blank")


class SiteUrl(unittest.TestCase):
    """SITE_URL reaches the page (the browser tests above check what app.js does with it)."""

    def test_site_url_is_the_pages_rag_site(self):
        with harness.Server(env={"SITE_URL": "https://docs.example.org/?a=1&b=2"}) as server:
            status, _, body = server.request("GET", "/ui")
            self.assertEqual(status, 200)
            self.assertIn(b'<meta name="rag-site" content="https://docs.example.org/?a=1&amp;b=2">',
                          body)
        with harness.Server() as server:
            self.assertNotIn(b'name="rag-site" content="h', server.request("GET", "/ui")[2])

    def test_other_schemes_are_refused_at_start_up(self):
        result = harness.run_cli(["serve"], env={"SITE_URL": "javascript:alert(1)"})
        self.assertEqual(result.returncode, 2)
        self.assertIn('SITE_URL="javascript:alert(1)": expected an http:// or https:// URL',
                      result.stderr)


if __name__ == "__main__":
    unittest.main()
