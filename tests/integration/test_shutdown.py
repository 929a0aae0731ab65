"""Foundation: SIGTERM drains in-flight requests and exits 0; the grace period is enforced;
a second signal exits at once. Uses the test build's /_test/slow route."""
import concurrent.futures
import signal
import socket
import unittest

from harness import Server, SERVER_TEST_BIN


def slow_get(server, ms):
    return server.request("GET", f"/_test/slow?ms={ms}", timeout=60)


class GracefulShutdown(unittest.TestCase):
    def test_sigterm_lets_in_flight_requests_finish_then_exits_0(self):
        server = Server(binary=SERVER_TEST_BIN, env={"GRACEFUL_TIMEOUT": "30"})
        try:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                futures = [pool.submit(server.request, "GET", "/_test/hold", timeout=60)
                           for _ in range(8)]
                server.stderr.wait_for(r"held request waiting", count=8)
                # A release request, started but not finished: a connection mid-request is
                # in flight, so shutdown lets it complete (idle ones are closed, new refused).
                control = server.raw_socket(timeout=30)
                control.sendall(b"POST /_test/release HTTP/1.1\r\nHost: x\r\n")
                server.signal(signal.SIGTERM)
                server.stderr.wait_for(r"Shutting down: \d+ open connections, 8 requests in flight")
                server.stderr.wait_for(r"Listener closed: no new connections")
                with self.assertRaises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", server.port), timeout=5)
                control.sendall(b"Content-Length: 0\r\n\r\n")
                reply = control.recv(4096)
                self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:60])
                self.assertIn(b"Connection: close", reply)
                control.close()
                results = [f.result() for f in futures]
            self.assertEqual([r[0] for r in results], [200] * 8)
            self.assertEqual(server.wait(), 0)
            self.assertIn("Server stopped", server.stderr.text())
        finally:
            server.stop()

    def test_grace_period_cuts_requests_that_take_too_long_and_still_exits_0(self):
        server = Server(binary=SERVER_TEST_BIN, env={"GRACEFUL_TIMEOUT": "1"})
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                future = pool.submit(slow_get, server, 60000)
                server.stderr.wait_for(r"slow request started")
                server.signal(signal.SIGTERM)
                self.assertEqual(server.wait(timeout=30), 0)
                with self.assertRaises(Exception):
                    future.result()
            self.assertIn("Grace period over: closing 1 connections", server.stderr.text())
        finally:
            server.stop()

    def test_idle_keep_alive_connections_do_not_delay_shutdown(self):
        server = Server(env={"GRACEFUL_TIMEOUT": "60", "KEEPALIVE": "60"})
        try:
            conn = server.connection()
            conn.request("GET", "/")
            conn.getresponse().read()  # the connection now idles in keep-alive
            server.signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=30), 0)
            self.assertNotIn("Grace period over", server.stderr.text())
            conn.close()
        finally:
            server.stop()

    def test_second_signal_exits_at_once(self):
        server = Server(binary=SERVER_TEST_BIN, env={"GRACEFUL_TIMEOUT": "120"})
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                future = pool.submit(slow_get, server, 100000)
                server.stderr.wait_for(r"slow request started")
                server.signal(signal.SIGTERM)
                server.stderr.wait_for(r"shutting down gracefully")
                server.signal(signal.SIGINT)
                code = server.wait(timeout=30)  # far less than the 120 s grace or 100 s request
                self.assertNotEqual(code, 0)
                with self.assertRaises(Exception):
                    future.result()
            self.assertIn("Second signal: exiting now", server.stderr.text())
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
