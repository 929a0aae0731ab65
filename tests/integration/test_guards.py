"""Production guards owned by the HTTP layer: CORS (Starlette's answers), load shedding,
/metrics, and HTTPS with SSL_CERTFILE / SSL_KEYFILE."""
import concurrent.futures
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import unittest

from harness import Server, SERVER_TEST_BIN

ALLOWED = "https://site.example"


class Cors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"ALLOWED_ORIGINS": f"{ALLOWED},http://localhost:3000"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def preflight(self, origin, method="POST", headers="Content-Type"):
        return self.server.request("OPTIONS", "/search", headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers})

    def test_preflight_from_an_allowed_origin(self):
        status, headers, body = self.preflight(ALLOWED)
        self.assertEqual((status, body), (200, b"OK"))
        self.assertEqual(headers["access-control-allow-origin"], ALLOWED)
        self.assertEqual(headers["access-control-allow-credentials"], "true")
        self.assertEqual(headers["access-control-allow-methods"], "GET, POST, DELETE")
        self.assertIn("Content-Type", headers["access-control-allow-headers"])
        self.assertIn("Authorization", headers["access-control-allow-headers"])
        self.assertEqual(headers["access-control-max-age"], "600")
        self.assertEqual(headers["vary"], "Origin")

    def test_preflight_from_a_disallowed_origin_is_400_without_cors_headers(self):
        status, headers, body = self.preflight("https://evil.example")
        self.assertEqual((status, body), (400, b"Disallowed CORS origin"))
        self.assertNotIn("access-control-allow-origin", headers)

    def test_preflight_for_a_disallowed_method_or_header(self):
        self.assertEqual(self.preflight(ALLOWED, method="PUT")[0], 400)
        self.assertEqual(self.preflight(ALLOWED, headers="X-Custom")[0], 400)

    def test_simple_request_from_an_allowed_origin(self):
        status, headers, _ = self.server.request("GET", "/", headers={"Origin": ALLOWED})
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], ALLOWED)
        self.assertEqual(headers["access-control-allow-credentials"], "true")
        self.assertEqual(headers["vary"], "Origin")

    def test_simple_request_from_a_disallowed_origin_gets_no_cors_headers(self):
        status, headers, _ = self.server.request("GET", "/", headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", headers)
        self.assertNotIn("access-control-allow-credentials", headers)

    def test_wildcard_never_goes_with_credentials(self):
        with Server(env={"ALLOWED_ORIGINS": "*"}) as server:
            status, headers, _ = server.request("GET", "/", headers={"Origin": "https://any.example"})
            self.assertEqual(headers["access-control-allow-origin"], "*")
            self.assertNotIn("access-control-allow-credentials", headers)


class Metrics(unittest.TestCase):
    def test_metrics_count_requests_by_route_and_status(self):
        with Server() as server:
            for _ in range(3):
                server.request("GET", "/")
            server.request("GET", "/nope/123")
            status, headers, body = server.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
            text = body.decode()
            self.assertIn('rag_http_requests_total{route="/",method="GET",status="200"} 3', text)
            self.assertIn('rag_http_requests_total{route="unmatched",method="GET",status="404"} 1', text)
            self.assertIn('rag_http_request_duration_seconds_count{route="/",method="GET"} 3', text)
            self.assertIn("rag_process_resident_memory_bytes ", text)
            self.assertIn('rag_build_info{version="', text)
            # Raw paths never become labels (bounded cardinality).
            self.assertNotIn("/nope/123", text)


class LoadShedding(unittest.TestCase):
    def test_beyond_the_bound_requests_get_503_and_probes_still_answer(self):
        server = Server(binary=SERVER_TEST_BIN, env={"MAX_CONCURRENT_REQUESTS": "2"})
        try:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                slow = [pool.submit(server.request, "GET", "/_test/hold") for _ in range(2)]
                server.stderr.wait_for("held request waiting", count=2)
                status, headers, body = server.request("GET", "/")
                self.assertEqual(status, 503)
                self.assertEqual(headers["retry-after"], "1")
                self.assertIn("capacity", json.loads(body)["detail"])
                # The OpenAI-compatible face refuses in OpenAI's error shape.
                for method, path in (("GET", "/v1/models"), ("POST", "/v1/chat/completions")):
                    status, headers, body = server.request(method, path)
                    self.assertEqual(status, 503, path)
                    self.assertEqual(headers["retry-after"], "1")
                    self.assertEqual(json.loads(body), {"error": {
                        "message": "Server is at capacity. Please retry shortly.",
                        "type": "server_error", "param": None, "code": None}})
                self.assertEqual(server.request("GET", "/healthz")[0], 200)
                status, _, body = server.request("GET", "/readyz")
                self.assertEqual(status, 503)
                self.assertIn("shedding load", json.loads(body)["reasons"][0])
                self.assertEqual(server.request("POST", "/_test/release")[0], 200)
                self.assertEqual([f.result()[0] for f in slow], [200, 200])
            self.assertEqual(server.request("GET", "/")[0], 200)
            self.assertEqual(server.request("GET", "/readyz")[0], 200)
        finally:
            server.stop()


class Https(unittest.TestCase):
    def test_serves_https_with_the_configured_certificate(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            with Server(env={"SSL_CERTFILE": cert, "SSL_KEYFILE": key}) as server:
                self.assertEqual(server.scheme, "https")
                context = ssl.create_default_context(cafile=cert)
                conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
                conn.request("GET", "/")
                res = conn.getresponse()
                self.assertEqual(res.status, 200)
                self.assertEqual(json.loads(res.read())["status"], "running")
                conn.close()
                # Plain HTTP on the TLS port gets no HTTP answer.
                plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                with self.assertRaises(Exception):
                    plain.request("GET", "/")
                    plain.getresponse()
                plain.close()

    def test_a_missing_certificate_is_a_clear_start_up_error(self):
        server = Server(env={"SSL_CERTFILE": "/nonexistent.pem", "SSL_KEYFILE": "/nonexistent.key"}, wait=False)
        try:
            self.assertEqual(server.wait(), 1)
            self.assertIn("SSL_CERTFILE /nonexistent.pem", server.stderr.text())
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
