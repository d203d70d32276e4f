#!/usr/bin/env bash
# Regenerates tests/data/client_hello/*.bin: the raw bytes (TLS records) real clients send
# first. A one-shot loopback listener saves what arrives until the ClientHello is complete
# (it reassembles handshake records only to know when to stop), then closes, so every
# client fails its handshake after sending the hello. Loopback only; no certificate needed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/data/client_hello
mkdir -p "$out"
py=/usr/bin/python3

# listen PORT FILE: accept one connection on 127.0.0.1:PORT and store its first flight.
listen() {
  "$py" - "$1" "$2" <<'EOF' &
import socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(1)
srv.settimeout(10)
conn, _ = srv.accept()
conn.settimeout(3)
data = b""
def hello_complete(buf):
    body, i = b"", 0
    while i + 5 <= len(buf):
        n = int.from_bytes(buf[i + 3:i + 5], "big")
        if buf[i] != 0x16 or i + 5 + n > len(buf):
            break
        body += buf[i + 5:i + 5 + n]
        i += 5 + n
        if len(body) >= 4 and len(body) >= 4 + int.from_bytes(body[1:4], "big"):
            return True
    return False
try:
    while not hello_complete(data):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
open(path, "wb").write(data)
conn.close()
EOF
  listener=$!
  sleep 0.5
}

finish() {
  wait "$listener"
  echo "$1: $(stat -c %s "$1") bytes"
}

port=${PORT:-48443}
host=www.example.test

capture_openssl() {  # FILE ARGS...
  local file=$1; shift
  listen "$port" "$file"
  openssl s_client -connect "127.0.0.1:$port" "$@" </dev/null >/dev/null 2>&1 || true
  finish "$file"
}

capture_openssl "$out/openssl_tls13_sni.bin" -tls1_3 -servername "$host"
capture_openssl "$out/openssl_tls12_alpn.bin" -tls1_2 -servername "$host" -alpn h2,http/1.1
capture_openssl "$out/openssl_no_sni.bin" -noservername
# A long ALPN offer with 512-byte records: one real ClientHello spread over several records.
long_alpn=$(for i in $(seq 1 40); do printf 'proto-%02d-abcdefghijklmnop,' "$i"; done)
capture_openssl "$out/openssl_split_records.bin" -servername "$host" -max_send_frag 512 \
  -alpn "h2,${long_alpn%,}"

listen "$port" "$out/curl_h2_sni.bin"
curl -s --http2 --max-time 3 --resolve "$host:$port:127.0.0.1" "https://$host:$port/" || true
finish "$out/curl_h2_sni.bin"

listen "$port" "$out/python_ssl_sni.bin"
"$py" - "$port" "$host" <<'EOF' || true
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    try:
        ctx.wrap_socket(s, server_hostname=sys.argv[2]).close()
    except (ssl.SSLError, OSError):
        pass
EOF
finish "$out/python_ssl_sni.bin"
