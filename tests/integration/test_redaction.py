"""Secrets and identifiers (issue 18, point 14): a password in any URL setting is never echoed,
session ids (bearer tokens to a conversation) reach the logs only as a short hash, and /readyz,
which answers anyone, names no host, deployment or model (the log says those, once).

The values used here are registered with the secrets scan (test_zz_secrets_scan.py), which then
looks for them in every kept log and body.
"""
import hashlib
import unittest

from harness import Server, register_secret, run_cli
from test_startup import free_port

PASSWORD = "redis-pw-9d4e1c7b2a"


def log_id(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()[:8]


class UrlPasswords(unittest.TestCase):
    def test_a_malformed_redis_url_is_refused_without_its_password(self):
        for url in (f"rediss://:{PASSWORD}@cache.internal:6380/0",
                    f"https://default:{PASSWORD}@cache.internal:6380/0"):
            result = run_cli(["serve"], env={"REDIS_URL": url})
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn('REDIS_URL="', result.stderr)
            self.assertIn("://***@cache.internal:6380/0", result.stderr)
            self.assertNotIn(PASSWORD, result.stdout + result.stderr)


class SessionIds(unittest.TestCase):
    SESSION = "conversation-token-7f3a9c51"

    def test_logs_show_a_short_hash_of_the_session_id_never_the_id(self):
        register_secret(self.SESSION)
        with Server(env={"RATE_LIMIT_CHAT": "off"}) as server:
            status, _, _ = server.post_json("/chat", {"message": "How do I set the port?",
                                                      "session_id": self.SESSION})
            self.assertEqual(status, 200)
            headers = {"X-Request-Id": "redaction-history"}
            self.assertEqual(server.request("GET", f"/sessions/{self.SESSION}/history",
                                            headers=headers)[0], 200)
            self.assertEqual(server.request("DELETE", f"/sessions/{self.SESSION}",
                                            headers={"X-Request-Id": "redaction-delete"})[0], 200)
            server.stderr.wait_for(f"Chat request received - Session: {log_id(self.SESSION)},")
            line = server.stdout.wait_for('"request_id":"redaction-delete"').string
            self.assertIn(f'"path":"/sessions/{log_id(self.SESSION)}"', line)
            server.stdout.wait_for('"request_id":"redaction-history"')
            self.assertNotIn(self.SESSION, server.stderr.text() + server.stdout.text())


class Readiness(unittest.TestCase):
    def test_readyz_names_no_host_deployment_or_model(self):
        redis_port, upstream_port = free_port(), free_port()  # nothing listens there
        env = {"REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{redis_port}/0",
               "OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1",
               "CHAT_MODEL": "private-deployment-x7", "EMBEDDINGS_MODEL": "private-embedder-x7"}
        with Server(env=env) as server:
            server.stderr.wait_for("Redis unreachable")
            status, _, body = server.request("GET", "/readyz")
            self.assertEqual(status, 503)
            text = body.decode()
            for private in ("127.0.0.1", str(redis_port), str(upstream_port),
                            "private-deployment-x7", "private-embedder-x7", PASSWORD):
                self.assertNotIn(private, text)
            self.assertIn("redis unreachable", text)
            self.assertIn("configured (circuit closed)", text)
            # What /readyz leaves out is in the log, written once at start-up.
            server.stderr.wait_for("Chat upstream: openai:private-deployment-x7")
            server.stderr.wait_for("Embeddings upstream: private-embedder-x7")
            self.assertNotIn(PASSWORD, server.stderr.text())


if __name__ == "__main__":
    unittest.main()
