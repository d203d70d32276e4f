#!/usr/bin/env python3
"""Captures c-icap's real answers into tests/data/icap/ (the ICAP parser's fixtures).

Usage: scripts/capture_icap_answers.sh   (starts the scanner of scripts/lib/scanner.sh, runs this)
       scripts/capture_icap_answers.py HOST PORT EICAR_FILE SIGNED_FILE OUT_DIR

Each file holds the raw bytes of one answer, exactly as received; a request is written the way
gateway/icap/icap_request.cpp builds it (preview of 1024 bytes, Allow: 204).
"""
import pathlib
import socket
import sys

PREVIEW = 1024
REQ_HEAD = b"GET /download HTTP/1.1\r\nHost: www.example.test\r\n\r\n"
POST_HEAD = b"POST /upload HTTP/1.1\r\nHost: www.example.test\r\nContent-Type: application/octet-stream\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


def read_answer(sock: socket.socket) -> bytes:
    """Reads until the peer is quiet for 1 s (the answers are small; c-icap keeps the connection)."""
    sock.settimeout(1.0)
    data = b""
    try:
        while True:
            more = sock.recv(65536)
            if not more:
                break
            data += more
    except socket.timeout:
        pass
    return data


class Service:
    def __init__(self, host: str, port: int, name: str = "avscan"):
        self.host, self.port = host, port
        self.uri = b"icap://%s:%d/%s" % (host.encode(), port, name.encode())

    def head(self, method: bytes, extra: bytes, encapsulated: bytes) -> bytes:
        return (b"%s %s ICAP/1.0\r\nHost: %s:%d\r\n%sEncapsulated: %s\r\n\r\n"
                % (method, self.uri, self.host.encode(), self.port, extra, encapsulated))

    def exchange(self, first: bytes, rest: bytes | None = None) -> tuple[bytes, bytes]:
        """Sends `first`; after a 100 Continue sends `rest` and reads the final answer too."""
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            sock.sendall(first)
            answer = read_answer(sock)
            final = b""
            if rest is not None and answer.startswith(b"ICAP/1.0 100"):
                sock.sendall(rest)
                final = read_answer(sock)
            return answer, final


def modification(service: Service, method: bytes, http_heads: list[tuple[bytes, bytes]], body: bytes):
    """A REQMOD/RESPMOD with a preview: (first part, rest after 100 Continue)."""
    offsets, offset = [], 0
    for name, head in http_heads:
        offsets.append(b"%s=%d" % (name, offset))
        offset += len(head)
    body_name = b"req-body" if method == b"REQMOD" else b"res-body"
    offsets.append(b"%s=%d" % (body_name, offset))
    preview = body[:PREVIEW]
    whole = len(body) <= PREVIEW
    first = (service.head(method, b"Allow: 204\r\nPreview: %d\r\n" % len(preview), b", ".join(offsets))
             + b"".join(head for _, head in http_heads) + chunk(preview)
             + (b"0; ieof\r\n\r\n" if whole else b"0\r\n\r\n"))
    return first, None if whole else chunk(body[PREVIEW:]) + b"0\r\n\r\n"


def response_head(size: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size


def main() -> int:
    host, port, eicar_file, signed_file, out = sys.argv[1:6]
    service = Service(host, int(port))
    out_dir = pathlib.Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    eicar = pathlib.Path(eicar_file).read_bytes()
    signed = pathlib.Path(signed_file).read_bytes()
    clean_small = b"a clean body that fits in the preview\n"
    clean_large = bytes(range(256)) * 64  # 16 KiB, past the preview

    def save(name: str, data: bytes):
        (out_dir / name).write_bytes(data)
        status = data.split(b"\r\n", 1)[0].decode(errors="replace")
        print(f"{name}: {status} ({len(data)} bytes)")

    options, _ = service.exchange(service.head(b"OPTIONS", b"", b"null-body=0"))
    save("options_avscan.bin", options)
    missing, _ = Service(host, int(port), "no_such_service").exchange(
        Service(host, int(port), "no_such_service").head(b"OPTIONS", b"", b"null-body=0"))
    save("options_unknown_service.bin", missing)

    def respmod(body: bytes):
        return modification(service, b"RESPMOD", [(b"req-hdr", REQ_HEAD), (b"res-hdr", response_head(len(body)))], body)

    answer, _ = service.exchange(*respmod(clean_small))
    save("respmod_clean_in_preview_204.bin", answer)
    answer, final = service.exchange(*respmod(clean_large))
    save("respmod_clean_continue_100.bin", answer)
    save("respmod_clean_after_continue_204.bin", final)
    answer, _ = service.exchange(*respmod(eicar))
    save("respmod_eicar_200.bin", answer)
    answer, final = service.exchange(*respmod(signed))
    save("respmod_signed_after_continue_200.bin", final)
    upload_head = POST_HEAD + b"Content-Length: %d\r\n\r\n" % len(eicar)
    answer, _ = service.exchange(*modification(service, b"REQMOD", [(b"req-hdr", upload_head)], eicar))
    save("reqmod_eicar_200.bin", answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
