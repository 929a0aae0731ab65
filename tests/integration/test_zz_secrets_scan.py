"""Secrets scan (issue 8, point 7): runs after every other integration test (CTest DEPENDS, see
tests/integration/CMakeLists.txt) and reads everything they kept under the test-log folder —
each server's and indexer's stdout/stderr, the fake upstream's stderr, the bodies of non-2xx
answers — looking for the canary keys (harness.CANARY_*), every secret value a test passed in
its environment (registered by the harness), credentials inside URLs, and bearer tokens or
api-key headers. A hit fails naming the file, the line and which secret, never the secret.

The scan's own logic is tested on planted files first, so a scan that cannot fail fails.
"""
import os
import re
import tempfile
import unittest

import harness

# Credentials that look like secrets whatever their value (masked values are fine).
_MASKED = r"(?:\*+|<redacted>|redacted|REDACTED|\[redacted\]|xxx+|\.\.\.)"
PATTERNS = {
    "credentials in a URL": re.compile(rb"\b[a-z][a-z0-9+.-]*://[^\s/@:\"']+:(?!" + _MASKED.encode() +
                                       rb"@)[^\s/@\"']+@", re.I),
    "bearer token": re.compile(rb"\bAuthorization\"?\s*[:=]\s*\"?Bearer\s+(?!" + _MASKED.encode() +
                               rb"[\s\"',}]|$)[A-Za-z0-9._~+/=-]{6,}", re.I),
    "api-key header": re.compile(rb"\bapi-key\"?\s*[:=]\s*\"?(?!" + _MASKED.encode() +
                                 rb"[\s\"',}]|$)[A-Za-z0-9._~+/=-]{6,}", re.I),
}


def label_of(secret, canaries):
    """How a hit is named in a report: the canary's name or a registered secret's length."""
    for name, value in canaries.items():
        if value == secret:
            return name
    return f"a registered test secret ({len(secret)} chars, starts {secret[:3]!r}...)"


def scan(root, secrets, canaries=None):
    """Returns [(relative path, line number, what)] for every line under `root` holding one
    of `secrets` or matching PATTERNS."""
    canaries = canaries or {}
    needles = [(s.encode(), label_of(s, canaries)) for s in secrets if s]
    hits = []
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            try:
                with open(path, "rb") as f:
                    for number, line in enumerate(f, start=1):
                        for needle, what in needles:
                            if needle in line:
                                hits.append((rel, number, what))
                        for what, pattern in PATTERNS.items():
                            if pattern.search(line):
                                hits.append((rel, number, what))
            except OSError as e:
                hits.append((rel, 0, f"unreadable: {e}"))
    return hits


def canary_names():
    return {name: getattr(harness, name) for name in dir(harness) if name.startswith("CANARY_")
            and isinstance(getattr(harness, name), str)}


def report(hits):
    return "\n".join(f"  {path}:{line}: {what}" for path, line, what in hits[:50]) + \
        (f"\n  ... and {len(hits) - 50} more" if len(hits) > 50 else "")


class ScanSelfTest(unittest.TestCase):
    """The scan finds what was planted, says where, and never prints the secret itself."""

    def test_planted_secrets_are_found_by_file_and_line(self):
        registered = "sk-registered-test-value-42"
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "sub"))
            files = {
                "clean.err": "2026-01-01 - Server listening on http://127.0.0.1:1234\n"
                             "Authorization: Bearer ***\napi-key: <redacted>\n",
                "leak.err": f"line one\nline two\nkey={harness.CANARY_AZURE_KEY} oops\n",
                "sub/x.bodies.log": f'{{"detail": "upstream said {registered}"}}\n',
                "url.out": "connecting to redis://user:hunter2pass@10.0.0.1:6379/0\n",
                "masked.out": "connecting to redis://user:***@10.0.0.1:6379/0\n",
                "bearer.out": '"authorization": "Bearer abcdef123456"\n',
                "apikey.out": "api-key: 0123456789abcdef\n",
                "binary.out": None,
            }
            for name, text in files.items():
                with open(os.path.join(root, name), "wb") as f:
                    f.write(text.encode() if text is not None else
                            b"\x00\xff" + harness.CANARY_OPENAI_KEY.encode() + b"\x00")
            hits = scan(root, [harness.CANARY_AZURE_KEY, harness.CANARY_OPENAI_KEY, registered],
                        canary_names())
        found = {(path, line) for path, line, _ in hits}
        self.assertEqual(found, {("leak.err", 3), (os.path.join("sub", "x.bodies.log"), 1),
                                 ("url.out", 1), ("bearer.out", 1), ("apikey.out", 1),
                                 ("binary.out", 1)})
        text = report(hits)
        self.assertIn("CANARY_AZURE_KEY", text)
        self.assertIn("CANARY_OPENAI_KEY", text)
        for secret in (harness.CANARY_AZURE_KEY, harness.CANARY_OPENAI_KEY, registered, "hunter2pass"):
            self.assertNotIn(secret, text)

    def test_registered_env_secrets_are_scanned(self):
        with tempfile.TemporaryDirectory() as secrets_dir:
            saved = harness.SECRETS_DIR
            harness.SECRETS_DIR = secrets_dir
            try:
                harness.register_env_secrets({"OPENAI_API_KEY": "sk-one-two-three",
                                              "REDIS_URL": "redis://:pw-from-url-9@h:1/0",
                                              "PORT": "8000"})
                known = harness.known_secrets()
            finally:
                harness.SECRETS_DIR = saved
        self.assertIn("sk-one-two-three", known)
        self.assertIn("pw-from-url-9", known)
        self.assertNotIn("8000", known)
        self.assertTrue(set(harness.CANARY_SECRETS) <= set(known))


class SuiteLogs(unittest.TestCase):
    """The real scan over what the whole suite kept."""

    def test_no_secret_in_any_kept_log_or_error_body(self):
        root = harness.LOG_DIR
        own = harness.test_module_name()
        kept = [f for f in (os.listdir(root) if os.path.isdir(root) else []) if not f.startswith(own + ".")]
        if not kept:
            self.skipTest(f"no test logs under {root}: run the other integration tests first "
                          "(CTest orders this one last)")
        hits = scan(root, harness.known_secrets(), canary_names())
        self.assertEqual(hits, [], f"secrets in {len(kept)} kept files under {root}:\n" + report(hits))
        print(f"\nSECRETS_SCAN files={len(kept)} secrets={len(harness.known_secrets())} hits=0")


if __name__ == "__main__":
    unittest.main()
