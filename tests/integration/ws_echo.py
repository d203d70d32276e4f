#!/usr/bin/python3
"""A tiny WebSocket echo server for the lab (RFC 6455 handshake, unmasked echo of
each client frame). Usage: ws_echo.py HOST PORT"""
import base64
import hashlib
import socket
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_frame(conn):
    head = conn.recv(2, socket.MSG_WAITALL)
    if len(head) < 2:
        return None
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(conn.recv(2, socket.MSG_WAITALL), "big")
    elif length == 127:
        length = int.from_bytes(conn.recv(8, socket.MSG_WAITALL), "big")
    mask = conn.recv(4, socket.MSG_WAITALL) if head[1] & 0x80 else b"\0\0\0\0"
    data = bytearray(conn.recv(length, socket.MSG_WAITALL)) if length else bytearray()
    for i in range(len(data)):
        data[i] ^= mask[i % 4]
    return opcode, bytes(data)


def frame(opcode, data):
    head = bytes([0x80 | opcode])
    if len(data) < 126:
        head += bytes([len(data)])
    else:
        head += bytes([126]) + len(data).to_bytes(2, "big")
    return head + data


def serve(conn):
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        while True:
            got = read_frame(conn)
            if got is None or got[0] == 8:  # closed
                conn.sendall(frame(8, b""))
                return
            conn.sendall(frame(got[0], got[1]))


def main():
    server = socket.create_server((sys.argv[1], int(sys.argv[2])))
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
