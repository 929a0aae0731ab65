#!/usr/bin/env python3
"""Sends an exact number of keep-alive requests, wrk-style, for per-request cost counts.

    count_client.py PORT REQUESTS [CONNECTIONS=4] [PATH=/] [JSON_BODY]

GET PATH, or POST PATH with JSON_BODY when one is given (e.g. /search '{"query": "port"}').

Each connection sends a request, reads the whole response (Content-Length), sends the next.
Used by callgrind.sh: the server's instruction and allocation counts are divided by REQUESTS,
a figure that does not depend on how busy the machine is (unlike req/s).
Exits non-zero if any response is not 200 or a connection closes early.
"""
import socket
import sys
import threading


def run_connection(port, count, path, body, errors):
    if body is None:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    else:
        data = body.encode()
        request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                   ).encode() + data
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        buf = b""
        for _ in range(count):
            s.sendall(request)
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    errors.append("connection closed")
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            if b" 200 " not in lines[0] + b" ":
                errors.append(lines[0].decode(errors="replace"))
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(buf) < length:
                chunk = s.recv(65536)
                if not chunk:
                    errors.append("connection closed in body")
                    return
                buf += chunk
            buf = buf[length:]


def main():
    port, total = int(sys.argv[1]), int(sys.argv[2])
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    path = sys.argv[4] if len(sys.argv) > 4 else "/"
    body = sys.argv[5] if len(sys.argv) > 5 else None
    errors = []
    share = [total // connections + (1 if i < total % connections else 0)
             for i in range(connections)]
    threads = [threading.Thread(target=run_connection, args=(port, n, path, body, errors))
               for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"{len(errors)} errors, first: {errors[0]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
