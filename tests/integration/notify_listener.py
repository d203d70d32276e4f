#!/usr/bin/env python3
"""Stands in for systemd's notify socket: binds a unix datagram socket at PATH
(mode 0777, so a daemon that dropped to another user can still send) and
appends every datagram it receives to OUT, one message per line (newlines
inside a message become spaces). Exits after LIFETIME seconds."""
import os
import socket
import sys
import time

path, out, lifetime = sys.argv[1], sys.argv[2], float(sys.argv[3])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
s.settimeout(0.2)
deadline = time.monotonic() + lifetime
with open(out, "a", buffering=1) as f:
    while time.monotonic() < deadline:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        f.write(data.decode("utf-8", "replace").replace("\n", " ") + "\n")
os.unlink(path)
