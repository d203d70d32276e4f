#!/usr/bin/python3
"""Test client: sends a TLS 1.3 ClientHello in real, protected QUIC Initial packets.

Builds client Initial packets (RFC 9000 17.2.2, protected as in RFC 9001 5; version 1 by default,
version 2 with --quic-version 2) carrying a ClientHello with SNI and ALPN (or one read from a
file), spreads the CRYPTO data over --split N packets, pads every datagram to 1200 bytes, and
sends them by UDP to HOST PORT and/or writes them to --out. It never completes a handshake:
it only exercises what a middlebox sees of a QUIC connection's first flight.

--out format: for each datagram, a 2-byte big-endian length and the datagram, in send order.

Exit status: 0 sent/written (with --wait: a reply came back), 3 with --wait and no reply,
2 bad arguments.
"""
import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DATAGRAM_BYTES = 1200  # RFC 9000 14.1: minimum size of a datagram carrying a client Initial
PN_LENGTH = 2

VERSIONS = {
    # version: (wire value, Initial type bits, initial salt, label prefix)
    1: (0x00000001, 0b00, bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"), b"quic "),
    2: (0x6B3343CF, 0b01, bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"), b"quicv2 "),
}


def varint(v):
    if v < 0x40:
        return struct.pack(">B", v)
    if v < 0x4000:
        return struct.pack(">H", v | 0x4000)
    if v < 0x40000000:
        return struct.pack(">I", v | 0x80000000)
    return struct.pack(">Q", v | 0xC000000000000000)


def u8_vec(b):
    return struct.pack(">B", len(b)) + b


def u16_vec(b):
    return struct.pack(">H", len(b)) + b


def extension(ext_type, body):
    return struct.pack(">H", ext_type) + u16_vec(body)


def hkdf_expand_label(secret, label, length):
    info = struct.pack(">H", length) + u8_vec(b"tls13 " + label) + u8_vec(b"")
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(secret)


def client_initial_keys(version, dcid):
    _, _, salt, prefix = VERSIONS[version]
    initial_secret = hmac.new(salt, dcid, hashlib.sha256).digest()  # HKDF-Extract
    secret = hkdf_expand_label(initial_secret, b"client in", 32)
    return (hkdf_expand_label(secret, prefix + b"key", 16),
            hkdf_expand_label(secret, prefix + b"iv", 12),
            hkdf_expand_label(secret, prefix + b"hp", 16))


def build_client_hello(sni, alpns, scid, post_quantum):
    """A plausible TLS 1.3 ClientHello (handshake message header included). `sni` and each
    ALPN protocol are bytes, sent as given (hostile ones too: not UTF-8, control bytes)."""
    x25519 = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    groups = [0x001D, 0x0017]
    shares = struct.pack(">H", 0x001D) + u16_vec(x25519)
    if post_quantum:
        # X25519MLKEM768: ML-KEM-768 encapsulation key (1184) + X25519 share (32). Random bytes
        # of the right size: a middlebox only sees the size, and no handshake completes.
        groups.insert(0, 0x11EC)
        shares = struct.pack(">H", 0x11EC) + u16_vec(os.urandom(1184) + x25519) + shares
    transport_parameters = b"".join(
        varint(pid) + varint(len(value)) + value
        for pid, value in [
            (0x01, varint(30000)),      # max_idle_timeout (ms)
            (0x04, varint(1 << 20)),    # initial_max_data
            (0x05, varint(1 << 18)),    # initial_max_stream_data_bidi_local
            (0x08, varint(100)),        # initial_max_streams_bidi
            (0x0F, scid),               # initial_source_connection_id
        ])
    extensions = b"".join([
        extension(0x0000, u16_vec(b"\x00" + u16_vec(sni))) if sni else b"",
        extension(0x000A, u16_vec(b"".join(struct.pack(">H", g) for g in groups))),
        extension(0x000D, u16_vec(bytes.fromhex("040308040401050308050501080606010201"))),
        extension(0x0010, u16_vec(b"".join(u8_vec(a) for a in alpns))),
        extension(0x002B, u8_vec(b"\x03\x04")),
        extension(0x002D, u8_vec(b"\x01")),
        extension(0x0033, u16_vec(shares)),
        extension(0x0039, transport_parameters),
    ])
    body = (b"\x03\x03" + os.urandom(32) + u8_vec(b"")  # QUIC: empty legacy_session_id
            + u16_vec(bytes.fromhex("130113021303")) + u8_vec(b"\x00") + u16_vec(extensions))
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def header_size(dcid, scid):
    # first byte, version, CIDs, token length (0), Length (2 bytes), packet number
    return 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 1 + 2 + PN_LENGTH


def protect_initial(version, keys, dcid, scid, packet_number, frames):
    wire_version, type_bits, _, _ = VERSIONS[version]
    key, iv, hp = keys
    payload = frames + b"\x00" * (DATAGRAM_BYTES - header_size(dcid, scid) - 16 - len(frames))
    length = PN_LENGTH + len(payload) + 16
    header = (struct.pack(">BI", 0xC0 | (type_bits << 4) | (PN_LENGTH - 1), wire_version)
              + u8_vec(dcid) + u8_vec(scid) + varint(0) + struct.pack(">H", 0x4000 | length)
              + packet_number.to_bytes(PN_LENGTH, "big"))
    nonce = (int.from_bytes(iv, "big") ^ packet_number).to_bytes(12, "big")
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    pn_offset = len(header) - PN_LENGTH
    sample = sealed[4 - PN_LENGTH:4 - PN_LENGTH + 16]
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sample)
    protected = bytearray(header)
    protected[0] ^= mask[0] & 0x0F
    for i in range(PN_LENGTH):
        protected[pn_offset + i] ^= mask[1 + i]
    return bytes(protected) + sealed


def build_datagrams(version, dcid, scid, client_hello, split):
    room = DATAGRAM_BYTES - header_size(dcid, scid) - 16 - (1 + 4 + 2)  # CRYPTO frame header
    needed = -(-len(client_hello) // room)
    split = split or needed
    if split < needed:
        raise ValueError(f"a {len(client_hello)}-byte ClientHello needs at least {needed} packets")
    chunk = -(-len(client_hello) // split)
    keys = client_initial_keys(version, dcid)
    datagrams = []
    for pn in range(split):
        offset = pn * chunk
        data = client_hello[offset:offset + chunk]
        frame = b"\x06" + varint(offset) + varint(len(data)) + data
        datagrams.append(protect_initial(version, keys, dcid, scid, pn, frame))
    return datagrams


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host", nargs="?", help="UDP destination (omit to only write --out)")
    ap.add_argument("port", nargs="?", type=int)
    ap.add_argument("--sni", default="www.example.com", help="server_name ('' for none)")
    ap.add_argument("--alpn", action="append", help="ALPN protocol (repeatable; default h3)")
    ap.add_argument("--alpn-hex", action="append", metavar="HEX",
                    help="ALPN protocol as raw bytes in hex, e.g. fffe (repeatable; hostile bytes welcome)")
    ap.add_argument("--sni-hex", metavar="HEX", help="server_name as raw bytes in hex (instead of --sni)")
    ap.add_argument("--pq", action="store_true", help="add an X25519MLKEM768 key share (~1.2 KB)")
    ap.add_argument("--client-hello", metavar="FILE", help="send this ClientHello message instead")
    ap.add_argument("--split", type=int, default=0, help="Initial packets to spread the CRYPTO data over")
    ap.add_argument("--reverse", action="store_true", help="send the packets last first")
    ap.add_argument("--quic-version", type=int, choices=[1, 2], default=1)
    ap.add_argument("--dcid", help="Destination Connection ID, hex (default 8 random bytes)")
    ap.add_argument("--out", metavar="FILE", help="also write the datagrams here")
    ap.add_argument("--hello-out", metavar="FILE", help="write the ClientHello message here")
    ap.add_argument("--wait", type=float, default=0, help="seconds to wait for any reply")
    args = ap.parse_args()
    if (args.host is None) != (args.port is None) or (args.host is None and not args.out):
        ap.error("give HOST and PORT, --out FILE, or both")

    dcid = bytes.fromhex(args.dcid) if args.dcid is not None else os.urandom(8)
    scid = os.urandom(8)
    if args.client_hello:
        with open(args.client_hello, "rb") as f:
            client_hello = f.read()
    else:
        alpns = [a.encode() for a in args.alpn or []] + [bytes.fromhex(h) for h in args.alpn_hex or []]
        sni = bytes.fromhex(args.sni_hex) if args.sni_hex is not None else args.sni.encode()
        client_hello = build_client_hello(sni, alpns or [b"h3"], scid, args.pq)
    try:
        datagrams = build_datagrams(args.quic_version, dcid, scid, client_hello, args.split)
    except ValueError as e:
        ap.error(str(e))
    if args.reverse:
        datagrams.reverse()
    if args.hello_out:
        with open(args.hello_out, "wb") as f:
            f.write(client_hello)
    if args.out:
        with open(args.out, "wb") as f:
            for d in datagrams:
                f.write(struct.pack(">H", len(d)) + d)
    if args.host is None:
        return 0

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((args.host, args.port))
        for d in datagrams:
            sock.send(d)
        print(f"sent {len(datagrams)} Initial datagrams ({len(client_hello)}-byte ClientHello, "
              f"DCID {dcid.hex()}) to {args.host}:{args.port}")
        if args.wait <= 0:
            return 0
        sock.settimeout(args.wait)
        try:
            reply = sock.recv(65535)
        except (socket.timeout, ConnectionRefusedError) as e:
            print(f"no reply ({type(e).__name__})")
            return 3
        print(f"reply {len(reply)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
