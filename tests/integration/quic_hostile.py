#!/usr/bin/python3
"""Test client: QUIC client Initials whose ClientHello carries hostile bytes.

Each case is one QUIC connection (its own random DCID): a real, protected version 1 client
Initial (built with quic_client.py's packet code) whose ClientHello has an SNI and ALPN list
given as raw bytes: bytes that are not UTF-8, control characters, NUL, JSON specials, an empty
or a 255-byte protocol name. A middlebox that logs what it sees must survive every one.

Usage: quic_hostile.py HOST PORT [CASE...]   (no CASE: all of them; --list prints the names)
Prints one line per case sent: "<case> <dcid hex> <datagrams>". Exit status 0, 2 on bad use.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quic_client as q  # noqa: E402  (the packet protection and framing live there)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

# name: (SNI bytes or None, [ALPN protocol bytes])
CASES = {
    "alpn-not-utf8": (b"hostile.example.test", [b"\xff\xfe\xfd", b"h3"]),
    "alpn-bad-sequences": (b"hostile.example.test", [b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]),
    "alpn-controls": (b"hostile.example.test", [b"h3\x00\x01\x1b[2J\"\\\n", b"\x7f"]),
    "alpn-empty-protocol": (b"hostile.example.test", [b"", b"h3"]),
    "alpn-255-bytes": (b"hostile.example.test", [b"\x80" * 255]),
    "sni-not-utf8": (b"caf\xe9.example.test", [b"h3"]),
    "sni-nul-and-controls": (b"a\x00b\x1b.example.test", [b"h3\xff"]),
}


def client_hello(sni, alpns, scid):
    """A TLS 1.3 ClientHello like quic_client.build_client_hello, with raw SNI and ALPN bytes."""
    x25519 = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    params = b"".join(q.varint(pid) + q.varint(len(v)) + v
                      for pid, v in [(0x01, q.varint(30000)), (0x04, q.varint(1 << 20)), (0x0F, scid)])
    extensions = b"".join([
        q.extension(0x0000, q.u16_vec(b"\x00" + q.u16_vec(sni))) if sni is not None else b"",
        q.extension(0x000A, q.u16_vec(struct.pack(">H", 0x001D))),
        q.extension(0x000D, q.u16_vec(bytes.fromhex("040308040401"))),
        q.extension(0x0010, q.u16_vec(b"".join(q.u8_vec(a) for a in alpns))),
        q.extension(0x002B, q.u8_vec(b"\x03\x04")),
        q.extension(0x0033, q.u16_vec(struct.pack(">H", 0x001D) + q.u16_vec(x25519))),
        q.extension(0x0039, params),
    ])
    body = (b"\x03\x03" + os.urandom(32) + q.u8_vec(b"") + q.u16_vec(bytes.fromhex("130113021303"))
            + q.u8_vec(b"\x00") + q.u16_vec(extensions))
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def main():
    if "--list" in sys.argv:
        print("\n".join(CASES))
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s): {' '.join(unknown)}", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:  # unconnected: ICMP errors are not ours
        for name in names:
            sni, alpns = CASES[name]
            dcid, scid = os.urandom(8), os.urandom(8)
            datagrams = q.build_datagrams(1, dcid, scid, client_hello(sni, alpns, scid), 0)
            for d in datagrams:
                sock.sendto(d, (host, port))
            print(f"{name} {dcid.hex()} {len(datagrams)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
