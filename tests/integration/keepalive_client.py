#!/usr/bin/python3
"""Holds HTTPS keep-alive connections open across a policy reload.

Usage: keepalive_client.py CAFILE READY_FILE TRIGGER_FILE WAIT_S NAME=HOST[:EXPECT] ...

Opens one TLS connection per NAME to HOST:443 (verified against CAFILE),
sends one GET /small on each and reads its response, then creates READY_FILE.
It waits (at most 30 s) for TRIGGER_FILE, then gives each connection WAIT_S
seconds: EXPECT `closed` (the default) waits for the gateway to close it;
`open` sends a second request on it and reads the answer. Prints one JSON
object: NAME -> "reset" / "eof" / "open" / "ok 200" / an error, and the seconds
from the trigger until each closed connection was seen closed.
"""
import json
import os
import select
import socket
import ssl
import sys
import time


def request(conn, host):
    conn.sendall(f"GET /small HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response head")
        head += chunk
    head, _, body = head.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response body ended")
        body += chunk
    return status


def closed(conn, deadline):
    """How the peer ended the connection before `deadline`, or "open"."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "open"
        readable, _, _ = select.select([conn], [], [], left)
        if not readable:
            continue
        # The TCP level first (OpenSSL reports a reset as a bare EOF).
        try:
            if not socket.socket.recv(conn, 1, socket.MSG_PEEK):
                return "eof"
        except ConnectionResetError:
            return "reset"
        try:
            data = conn.recv(4096)
        except ConnectionResetError:
            return "reset"
        except ssl.SSLError as e:
            return "ssl error: " + e.reason if e.reason else "ssl error"
        except ssl.SSLWantReadError:
            continue
        if not data:
            return "eof"


def main():
    cafile, ready, trigger, wait_s = sys.argv[1:5]
    context = ssl.create_default_context(cafile=cafile)
    conns = {}
    for spec in sys.argv[5:]:
        name, _, target = spec.partition("=")
        host, _, expect = target.partition(":")
        raw = socket.create_connection((host, 443), timeout=10)
        conn = context.wrap_socket(raw, server_hostname=host)
        status = request(conn, host)
        if status != 200:
            raise SystemExit(f"{name}: first request got {status}")
        conns[name] = (conn, host, expect or "closed")
    open(ready, "w").close()
    until = time.monotonic() + 30
    while not os.path.exists(trigger) and time.monotonic() < until:
        time.sleep(0.05)
    start = time.monotonic()
    deadline = start + float(wait_s)
    result = {}
    for name, (conn, host, expect) in conns.items():
        if expect == "open":
            try:
                result[name] = f"ok {request(conn, host)}"
            except (OSError, ValueError) as e:
                result[name] = f"failed: {e}"
        else:
            result[name] = closed(conn, deadline)
            result[name + "_s"] = round(time.monotonic() - start, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
