"""Foundation: a client trickling its request a byte a second is dropped after HEADER_TIMEOUT
without delaying anyone else; an idle keep-alive connection closes after KEEPALIVE."""
import socket
import threading
import time
import unittest

from harness import Server


class SlowClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"HEADER_TIMEOUT": "2", "KEEPALIVE": "1", "WORKERS": "1"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def trickle(self, sock, stop, sent):
        """Sends one byte a second, as a slow-loris client does (the pacing is the client's
        behaviour under test, not synchronisation)."""
        request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100
        for byte in request:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
                sent.append(byte)
            except OSError:
                return
            stop.wait(1.0)

    def test_slow_client_is_dropped_while_others_are_served(self):
        slow_clients = []
        stop = threading.Event()
        threads = []
        for _ in range(20):  # many at once, on a single worker thread
            sock = self.server.raw_socket(timeout=15)
            sent = []
            t = threading.Thread(target=self.trickle, args=(sock, stop, sent), daemon=True)
            t.start()
            slow_clients.append((sock, sent))
            threads.append(t)
        try:
            # Meanwhile, normal clients are served (each request must succeed).
            started = time.monotonic()
            for _ in range(50):
                status, _, _ = self.server.request("GET", "/", timeout=5)
                self.assertEqual(status, 200)
            # Each slow client is cut: the server closes the socket (EOF or reset) although
            # the client is still sending.
            for sock, sent in slow_clients:
                try:
                    data = sock.recv(4096)
                except (ConnectionResetError, socket.timeout) as e:
                    data = b"" if isinstance(e, ConnectionResetError) else None
                self.assertEqual(data, b"", "the slow client was not dropped")
                self.assertLess(len(sent), 100, "the whole request got through")
        finally:
            stop.set()
            for sock, _ in slow_clients:
                sock.close()
            for t in threads:
                t.join(5)

    def test_idle_keep_alive_connection_is_closed_after_keepalive(self):
        sock = self.server.raw_socket(timeout=15)
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            response = b""
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                response += chunk
            self.assertTrue(response.startswith(b"HTTP/1.1 200"))
            # Now idle: the server closes after KEEPALIVE (1 s); recv returns EOF.
            self.assertEqual(sock.recv(4096), b"")
        finally:
            sock.close()


if __name__ == "__main__":
    unittest.main()
