#!/usr/bin/python3
"""Plays a scripted HTTP/1 conversation over TCP or TLS, for tests that need bytes curl will not
send (pipelined requests, conflicting framing, an Upgrade followed by more requests).

Usage: http1_script.py [--tls SNI --ca FILE] [--alpn P1,P2] HOST PORT STEP...
Steps, in order:
  send:TEXT   one write of TEXT; \\r, \\n and \\xHH escapes are decoded
  response    read one response; print "response: STATUS LINE", then its body
  ws-echo     after a 101: a masked text and a binary frame each come back unmasked; print "ws echo ok"
  rest        read responses until the peer closes (5 s at most); each printed as by `response`,
              bytes that are no response as "unparsed: " and their repr; then "closed" or "open"
Prints "error: ..." and exits 1 when a step cannot be completed."""
import argparse
import codecs
import os
import socket
import ssl
import sys

TIMEOUT_S = 5


class Peer:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def fill(self):
        """Reads more bytes; False at EOF."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def take(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError(f"closed after {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            if not self.fill():
                raise EOFError("closed inside a line")
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out


def read_response(peer):
    """(status line, body) of one response; body framed by Content-Length, chunked or close."""
    status = peer.line()
    if not status.startswith(b"HTTP/1."):
        raise ValueError(status)
    fields = {}
    while True:
        line = peer.line()
        if not line:
            break
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    code = int(status.split()[1])
    if code == 101 or code == 204 or code == 304 or 100 <= code < 200:
        return status, b""
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size = int(peer.line().split(b";")[0], 16)
            body += peer.take(size)
            peer.take(2)
            if size == 0:
                while peer.line():
                    pass
                return status, body
    if b"content-length" in fields:
        return status, peer.take(int(fields[b"content-length"]))
    while peer.fill():
        pass
    body, peer.buf = peer.buf, b""
    return status, body


def show(status, body):
    print("response:", status.decode("latin-1"))
    print(body.decode("latin-1"))


def ws_frame(opcode, payload):
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def ws_echo(peer):
    for opcode, payload in ((1, b"hello through the gate"), (2, os.urandom(100))):
        peer.sock.sendall(ws_frame(opcode, payload))
        head = peer.take(2)
        got = peer.take(head[1] & 0x7F)
        if head[0] != 0x80 | opcode or got != payload:
            raise ValueError(f"echo mismatch: {head!r} {got!r}")
    peer.sock.sendall(ws_frame(8, b""))
    print("ws echo ok")


def rest(peer):
    while True:
        if not peer.buf and not peer.fill():
            print("closed")
            return
        if not peer.buf.startswith(b"HTTP/1."[:len(peer.buf)]):
            while peer.fill():
                pass
            print("unparsed:", repr(peer.buf))
            peer.buf = b""
            continue
        show(*read_response(peer))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls", metavar="SNI")
    parser.add_argument("--ca")
    parser.add_argument("--alpn", default="http/1.1")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("steps", nargs="+")
    args = parser.parse_args()
    sock = socket.create_connection((args.host, args.port), timeout=TIMEOUT_S)
    if args.tls:
        ctx = ssl.create_default_context(cafile=args.ca)
        if args.alpn:  # empty: no ALPN extension
            ctx.set_alpn_protocols(args.alpn.split(","))
        sock = ctx.wrap_socket(sock, server_hostname=args.tls)
    peer = Peer(sock)
    try:
        for step in args.steps:
            if step.startswith("send:"):
                sock.sendall(codecs.escape_decode(step[5:].encode())[0])
            elif step == "response":
                show(*read_response(peer))
            elif step == "ws-echo":
                ws_echo(peer)
            elif step == "rest":
                rest(peer)
            else:
                raise ValueError(f"unknown step {step}")
    except socket.timeout:
        print("open")  # the peer neither answered nor closed in time
        return 1
    except (EOFError, ValueError, OSError) as e:
        print("error:", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
