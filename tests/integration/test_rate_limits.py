"""Per-IP rate limits: the spec's 429 body and headers, X-RateLimit-* on every limited
response, `off`, and X-Forwarded-For believed only from TRUSTED_PROXIES."""
import json
import unittest

from harness import Server


class RateLimits(unittest.TestCase):
    def test_sixth_request_in_a_minute_is_refused_with_the_spec_shape(self):
        with Server(env={"RATE_LIMIT_HEALTH": "5/minute"}) as server:
            for i in range(5):
                status, headers, _ = server.request("GET", "/")
                self.assertEqual(status, 200)
                self.assertEqual(headers["x-ratelimit-limit"], "5")
                self.assertEqual(headers["x-ratelimit-remaining"], str(4 - i))
                self.assertLessEqual(int(headers["x-ratelimit-reset"]), 60)
            status, headers, body = server.request("GET", "/")
            self.assertEqual(status, 429)
            self.assertEqual(json.loads(body), {"error": "Rate limit exceeded: 5 per 1 minute"})
            self.assertTrue(1 <= int(headers["retry-after"]) <= 60)
            self.assertEqual(headers["x-ratelimit-remaining"], "0")
            self.assertIn("x-request-id", headers)
            # Probes are never limited.
            self.assertEqual(server.request("GET", "/healthz")[0], 200)
            self.assertEqual(server.request("GET", "/readyz")[0], 200)
            metrics = server.request("GET", "/metrics")[2].decode()
            self.assertIn('rag_rate_limited_total{route="health"} 1', metrics)

    def test_the_openai_face_shares_the_chat_limit_and_refuses_in_openai_shape(self):
        with Server(env={"RATE_LIMIT_CHAT": "2/minute"}) as server:
            statuses = [server.post_json("/chat", {"message": "hi"})[0],
                        server.post_json("/v1/chat/completions",
                                         {"messages": [{"role": "user", "content": "hi"}]})[0]]
            self.assertEqual(statuses, [200, 200])
            status, headers, body = server.request(
                "POST", "/v1/chat/completions", body=b'{"messages": []}',
                headers={"Content-Type": "application/json"})
            self.assertEqual(status, 429)  # before any validation
            self.assertEqual(json.loads(body), {"error": {
                "message": "Rate limit exceeded: 2 per 1 minute", "type": "rate_limit_error",
                "param": None, "code": "rate_limit_exceeded"}})
            self.assertTrue(1 <= int(headers["retry-after"]) <= 60)
            self.assertEqual(headers["x-ratelimit-remaining"], "0")
            status, _, body = server.post_json("/chat", {"message": "hi"})
            self.assertEqual((status, body), (429, {"error": "Rate limit exceeded: 2 per 1 minute"}))

    def test_off_disables_a_limit(self):
        with Server(env={"RATE_LIMIT_HEALTH": "off"}) as server:
            for _ in range(70):
                status, headers, _ = server.request("GET", "/")
                self.assertEqual(status, 200)
            self.assertNotIn("x-ratelimit-limit", headers)

    def test_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(self):
        with Server(env={"RATE_LIMIT_HEALTH": "3/minute"}) as server:
            for i in range(3):
                self.assertEqual(server.request("GET", "/", headers={"X-Forwarded-For": f"10.9.9.{i}"})[0], 200)
            self.assertEqual(server.request("GET", "/", headers={"X-Forwarded-For": "10.9.9.99"})[0], 429)
            line = server.stdout.wait_for(r'"status":429').string
            self.assertEqual(json.loads(line)["client"], "127.0.0.1")

    def test_trusted_proxy_forwarded_for_names_the_client(self):
        env = {"RATE_LIMIT_HEALTH": "2/minute", "TRUSTED_PROXIES": "127.0.0.1/32"}
        with Server(env=env) as server:
            # Two clients behind the proxy each get their own budget.
            for client in ("203.0.113.1", "203.0.113.2"):
                for _ in range(2):
                    self.assertEqual(server.request("GET", "/", headers={"X-Forwarded-For": client})[0], 200)
                self.assertEqual(server.request("GET", "/", headers={"X-Forwarded-For": client})[0], 429)
            # A client-forged hop to the left of the real one is ignored: the right-most
            # untrusted address is the client.
            status = server.request("GET", "/", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.1"})[0]
            self.assertEqual(status, 429)
            line = server.stdout.wait_for(r'"client":"203.0.113.1"').string
            self.assertEqual(json.loads(line)["client"], "203.0.113.1")


if __name__ == "__main__":
    unittest.main()
