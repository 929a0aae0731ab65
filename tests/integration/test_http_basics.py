"""Foundation: GET / shape, JSON 404/405, request ids, security headers, keep-alive, limits, logs."""
import json
import os
import re
import socket
import unittest

from harness import Server

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


class HttpBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"MAX_BODY_BYTES": "2048", "MAX_HEADER_BYTES": "4096",
                                 "SERVER_NAME": "Test Server"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_root_has_the_exact_shape(self):
        status, headers, body = self.server.get_json("/")
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"message", "status", "timestamp"})
        self.assertEqual(body["message"], "Test Server")
        self.assertEqual(body["status"], "running")
        self.assertRegex(body["timestamp"], TIMESTAMP)
        self.assertEqual(headers["content-type"], "application/json; charset=utf-8")

    def test_wrong_method_is_json_405_with_allow(self):
        status, headers, body = self.server.request("POST", "/", body="{}")
        self.assertEqual(status, 405)
        self.assertEqual(json.loads(body), {"detail": "Method Not Allowed"})
        self.assertEqual(headers["allow"], "GET")

    def test_unknown_path_is_json_404(self):
        status, headers, body = self.server.request("GET", "/no/such/thing")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body), {"detail": "Not Found"})
        self.assertIn("x-request-id", headers)

    def test_request_id_is_echoed_when_sane_else_generated(self):
        _, headers, _ = self.server.request("GET", "/", headers={"X-Request-Id": "abc-123.x_y:z"})
        self.assertEqual(headers["x-request-id"], "abc-123.x_y:z")
        _, headers, _ = self.server.request("GET", "/", headers={"X-Request-Id": "bad id<script>"})
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")
        _, headers, _ = self.server.request("GET", "/", headers={"X-Request-Id": "x" * 200})
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")
        _, h1, _ = self.server.request("GET", "/")
        _, h2, _ = self.server.request("GET", "/")
        self.assertNotEqual(h1["x-request-id"], h2["x-request-id"])

    def test_security_headers_on_every_response(self):
        for path in ["/", "/missing"]:
            _, headers, _ = self.server.request("GET", path)
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertEqual(headers["x-frame-options"], "DENY")
            self.assertEqual(headers["referrer-policy"], "no-referrer")

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = self.server.connection()
        try:
            for _ in range(3):
                conn.request("GET", "/")
                res = conn.getresponse()
                res.read()
                self.assertEqual(res.status, 200)
                self.assertNotEqual(res.getheader("Connection", "").lower(), "close")
            sock = conn.sock
            conn.request("GET", "/healthz")
            res = conn.getresponse()
            res.read()
            self.assertIs(conn.sock, sock, "the connection was not reused")
        finally:
            conn.close()

    def test_body_over_the_limit_is_413(self):
        status, _, body = self.server.request("POST", "/", body="x" * 5000)
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body), {"detail": "Request body too large"})

    def test_chunked_body_over_the_limit_is_413(self):
        s = self.server.raw_socket()
        try:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 1000
            for _ in range(4):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            reply = s.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:80])
        finally:
            s.close()

    def test_huge_headers_are_431(self):
        status, _, _ = self.server.request("GET", "/", headers={"X-Big": "y" * 8000})
        self.assertEqual(status, 431)

    def test_malformed_request_line_is_400(self):
        s = self.server.raw_socket()
        try:
            s.sendall(b"NOT A REQUEST\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 400"))
        finally:
            s.close()

    def test_healthz_and_readyz(self):
        status, _, body = self.server.get_json("/healthz")
        self.assertEqual((status, body["status"]), (200, "alive"))
        status, _, body = self.server.get_json("/readyz")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ready")

    def test_access_log_is_one_json_object_per_request(self):
        self.server.request("GET", "/?q=1", headers={"User-Agent": "it-agent", "X-Request-Id": "log-check-1"})
        line = self.server.stdout.wait_for(r'"request_id":"log-check-1"').string
        record = json.loads(line)
        self.assertEqual(set(record), {"time", "request_id", "client", "method", "path", "status",
                                       "bytes", "duration_ms", "user_agent"})
        self.assertEqual(record["client"], "127.0.0.1")
        self.assertEqual((record["method"], record["path"], record["status"]), ("GET", "/", 200))
        self.assertEqual(record["user_agent"], "it-agent")
        self.assertGreater(record["bytes"], 0)

    def test_human_log_goes_to_file_and_stderr_in_the_guide_format(self):
        # The guide's `date - message`, with every line's level in between (as Python's logging
        # names it), so an operator can grep for WARNING or ERROR.
        date = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - "
        any_level = date + r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) - "
        self.assertRegex(self.server.stderr.lines[0], date + "INFO - Starting Test Server")
        self.server.stderr.wait_for(date + "WARNING - No chat upstream configured")
        for line in self.server.stderr.lines:
            self.assertRegex(line, any_level)
        path = os.path.join(self.server.env["LOG_DIR"], "rag_server.log")
        with open(path, encoding="utf-8") as f:
            first = f.readline()
        self.assertRegex(first, date + "INFO - Starting Test Server")


class LogLevel(unittest.TestCase):
    def test_warning_level_hides_info_lines(self):
        with Server(env={"LOG_LEVEL": "warning"}, wait=False) as server:
            # The warning about the missing upstream shows; the info lines do not.
            server.stderr.wait_for("No chat upstream configured")
            server.signal()
            self.assertEqual(server.wait(), 0)
            self.assertNotIn("Starting", server.stderr.text())


if __name__ == "__main__":
    unittest.main()
