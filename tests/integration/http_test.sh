#!/usr/bin/env bash
# HTTP inspection in the namespace lab: http events for intercepted h2 and
# HTTP/1.1 (keep-alive: several exchanges in one flow), plain HTTP on port 80,
# prior-knowledge h2c, redaction, request bodies, HEAD, errors, and a flow
# whose bytes are not HTTP (inspect_error, relay untouched). Every line is
# validated against the schema.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
test_config default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" http_ports:='[80, 8080, 81]' \
  >"$work/config.json"
rules_install --mode redirect --ports 443,8443,80,8080,81 --lan-if "$GW_LAN_IF"
# Test upstreams: a WebSocket echo server behind nginx's /ws, and a broken HTTP server on :81.
in_server "$PYTHON" "$SOURCE_DIR/tests/integration/ws_echo.py" 127.0.0.1 9001 &
in_server "$PYTHON" -c "
import socket
s = socket.create_server(('$SERVER_IP4', 81))
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nhello from a broken server')
    c.close()" &
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# Runs a client command, waits for its flow line, prints the flow's id.
run_flow() { flow_of "$@" | jq -r .flow_id; }
flow_line() { jq -c "select(.event == \"flow\" and .flow_id == $1)" "$log"; }
http_lines() { jq -c "select(.event == \"http\" and .flow_id == $1)" "$log"; }

# --- intercepted h2
id=$(run_flow in_client curl -sS --http2 --cacert "$trust" https://www.example.test/small)
ev=$(http_lines "$id")
check_eq "$(jq -r '[.http_version, .method, .scheme, .authority, .path, .status] | join(" ")' <<<"$ev")" \
  "2 GET https www.example.test /small 200" "h2: one exchange with its request line and status"
check_eq "$(jq -r .response.body_bytes <<<"$ev")" 1024 "h2: response body bytes"
check "h2: timings present" test "$(jq -r '.timings.ms_to_end >= .timings.ms_to_first_byte' <<<"$ev")" = true
check_eq "$(jq -r .community_id <<<"$ev")" "$(flow_line "$id" | jq -r .community_id)" "http event joins its flow by community_id"
check_eq "$(flow_line "$id" | jq -r .http.exchanges)" 1 "h2: flow line counts 1 exchange"

# --- intercepted HTTP/1.1 keep-alive: three exchanges on one connection, with HEAD and a 404
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" https://www.example.test/small \
  https://www.example.test/missing -I https://www.example.test/small)
check_eq "$(http_lines "$id" | jq -r '.method + " " + (.status|tostring)' | tr '\n' ',')" \
  "HEAD 200,HEAD 404,HEAD 200," "HTTP/1.1 keep-alive: every exchange (curl -I applies to all URLs)"
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" https://www.example.test/small https://www.example.test/missing)
check_eq "$(http_lines "$id" | jq -r '(.status|tostring) + ":" + (.response.body_bytes|tostring)' | head -n 1)" \
  "200:1024" "HTTP/1.1: first exchange body size"
check_eq "$(flow_line "$id" | jq -r .http.exchanges)" 2 "HTTP/1.1 keep-alive: flow line counts 2 exchanges"

# --- curl --next: two requests on one connection; --parallel over h2: five streams on one connection
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" https://www.example.test/small -o /dev/null \
  --next --http1.1 --cacert "$trust" https://www.example.test/missing -o /dev/null)
check_eq "$(http_lines "$id" | jq -r .status | tr '\n' ' ')" "200 404 " "--next: both exchanges on one flow"
id=$(run_flow in_client curl -sS --http2 --parallel --cacert "$trust" \
  -o /dev/null https://www.example.test/small -o /dev/null https://www.example.test/small \
  -o /dev/null https://www.example.test/small -o /dev/null https://www.example.test/small \
  -o /dev/null https://www.example.test/small)
check_eq "$(http_lines "$id" | jq -r .status | sort | uniq -c | awk '{print $1, $2}')" "5 200" \
  "--parallel h2: five streams, five exchanges, one flow"

# --- a pipelined burst: five requests in one write, five responses in order
id=$(run_flow in_client "$PYTHON" -c "
import socket, ssl
ctx = ssl.create_default_context(cafile='$trust'); ctx.set_alpn_protocols(['http/1.1'])
t = ctx.wrap_socket(socket.create_connection(('$SERVER_IP4', 443)), server_hostname='www.example.test')
t.sendall(b''.join(b'GET /small?%d HTTP/1.1\r\nHost: www.example.test\r\n\r\n' % i for i in range(4))
          + b'GET /small?4 HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n')
while t.recv(65536): pass")
check_eq "$(http_lines "$id" | jq -r .path | tr '\n' ' ')" "/small?0 /small?1 /small?2 /small?3 /small?4 " \
  "pipelined burst: five exchanges in order"
check_eq "$(http_lines "$id" | jq -r .response.body_bytes | sort -u)" 1024 "pipelined burst: each body 1024 bytes"

# --- 304 (conditional GET) and a chunked upload
etag=$(in_client curl -sS -I --cacert "$trust" https://www.example.test/small | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" -H "If-None-Match: $etag" https://www.example.test/small)
check_eq "$(http_lines "$id" | jq -r '(.status|tostring) + " " + (.response.body_bytes|tostring)')" "304 0" \
  "304: no body"
head -c 5000 /dev/urandom >"$work/upload.bin"
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" -H "Transfer-Encoding: chunked" \
  --data-binary @"$work/upload.bin" https://www.example.test/small)
check_eq "$(http_lines "$id" | jq -r '.method + " " + (.request.body_bytes|tostring) + " " + .request.headers["transfer-encoding"]')" \
  "POST 5000 chunked" "chunked upload: body bytes counted after de-chunking"

# --- an h2 stream reset by the client (RST_STREAM CANCEL); the next stream completes
# A minimal h2 client: HPACK with indexed pseudo-headers and literal values.
id=$(run_flow in_client "$PYTHON" -c "
import socket, ssl, struct, time
ctx = ssl.create_default_context(cafile='$trust'); ctx.set_alpn_protocols(['h2'])
t = ctx.wrap_socket(socket.create_connection(('$SERVER_IP4', 443)), server_hostname='www.example.test')
assert t.selected_alpn_protocol() == 'h2'
frame = lambda kind, flags, sid, payload: struct.pack('>I', len(payload))[1:] + bytes([kind, flags]) + struct.pack('>I', sid) + payload
headers = lambda path: b'\x82\x87\x04' + bytes([len(path)]) + path + b'\x01\x10www.example.test'
# A large connection window: the reset stream's data must not starve the next one.
t.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0, b'') + frame(8, 0, 0, struct.pack('>I', 0x3fffffff))
          + frame(1, 5, 1, headers(b'/large')))
time.sleep(0.3)
t.sendall(frame(3, 0, 1, struct.pack('>I', 8)) + frame(1, 5, 3, headers(b'/small')))
buf, done = b'', False
while not done:
    chunk = t.recv(65536)
    if not chunk: break
    buf += chunk
    while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], 'big'):
        length, kind, flags, sid = int.from_bytes(buf[:3], 'big'), buf[3], buf[4], int.from_bytes(buf[5:9], 'big') & 0x7fffffff
        buf = buf[9 + length:]
        done = done or (sid == 3 and flags & 1 and kind in (0, 1))
t.sendall(frame(7, 0, 0, struct.pack('>II', 3, 0))); t.close()")
check_eq "$(http_lines "$id" | jq -r 'select(.path == "/large") | .error')" "stream reset (CANCEL)" \
  "h2 stream reset by the client: its exchange says so"
check_eq "$(http_lines "$id" | jq -r 'select(.path == "/small") | .status')" 200 "h2: the next stream completed"

# --- a WebSocket upgrade: logged as a WebSocket, its bytes counted
id=$(run_flow in_client "$PYTHON" -c "
import base64, os, socket, ssl
ctx = ssl.create_default_context(cafile='$trust'); ctx.set_alpn_protocols(['http/1.1'])
t = ctx.wrap_socket(socket.create_connection(('$SERVER_IP4', 443)), server_hostname='www.example.test')
key = base64.b64encode(os.urandom(16))
t.sendall(b'GET /ws HTTP/1.1\r\nHost: www.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
          b'Sec-WebSocket-Key: ' + key + b'\r\nSec-WebSocket-Version: 13\r\n\r\n')
head = b''
while b'\r\n\r\n' not in head: head += t.recv(4096)
assert head.startswith(b'HTTP/1.1 101'), head
payload = b'x' * 100
t.sendall(bytes([0x81, 0x80 | len(payload)]) + b'\0\0\0\0' + payload)
echo = b''
while len(echo) < 2 + len(payload): echo += t.recv(4096)
assert echo[2:] == payload
t.sendall(bytes([0x88, 0x80]) + b'\0\0\0\0'); t.recv(16)")
line=$(flow_line "$id")
check_eq "$(jq -r .http.websocket <<<"$line")" true "WebSocket: the flow is logged as a WebSocket"
check "WebSocket: its bytes are counted ($(jq -r .http.websocket_bytes <<<"$line"))" \
  test "$(jq -r .http.websocket_bytes <<<"$line")" -ge 200
check_eq "$(http_lines "$id" | jq -r .status)" 101 "WebSocket: the upgrade exchange (101)"

# --- a malformed response: inspect_error, and the client still gets every byte
id=$(run_flow in_client "$PYTHON" -c "
import socket
s = socket.create_connection(('$SERVER_IP4', 81), timeout=5)
s.sendall(b'GET / HTTP/1.1\r\nHost: broken\r\n\r\n')
data = b''
while True:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
assert data.endswith(b'hello from a broken server'), data
open('$work/broken.out', 'wb').write(data)")
line=$(flow_line "$id")
check "malformed response: inspect_error ($(jq -r .inspect_error <<<"$line"))" test "$(jq -r .inspect_error <<<"$line")" != null
check_eq "$(jq -r .bytes.to_client <<<"$line")" "$(stat -c %s "$work/broken.out")" "malformed response: the client received every byte"

# --- redaction and a request body
head -c 1000 /dev/urandom >"$work/body.bin"
id=$(run_flow in_client curl -sS --http1.1 --cacert "$trust" -H "Authorization: Bearer secret-token" \
  -H "Cookie: session=abc" --data-binary @"$work/body.bin" https://api.example.test/small)
ev=$(http_lines "$id")
check_eq "$(jq -r .request.headers.authorization <<<"$ev")" "[redacted]" "Authorization redacted"
check_eq "$(jq -r .request.headers.cookie <<<"$ev")" "[redacted]" "Cookie redacted"
check "the secret never reaches the log" bash -c "! grep -q secret-token '$log'"
check_eq "$(jq -r '.method + " " + (.request.body_bytes|tostring)' <<<"$ev")" "POST 1000" "request body counted"

# --- plain HTTP on port 80 and prior-knowledge h2c on 8080
id=$(run_flow in_client curl -sS http://www.example.test/small)
check_eq "$(http_lines "$id" | jq -r '.scheme + " " + .http_version + " " + (.status|tostring)')" "http 1.1 200" \
  "port 80: plain HTTP observed"
check_eq "$(flow_line "$id" | jq -r .action)" intercept "port 80: flow is observed (intercept)"
id=$(run_flow in_client curl -sS --http2-prior-knowledge http://www.example.test:8080/small)
check_eq "$(http_lines "$id" | jq -r '.scheme + " " + .http_version + " " + (.status|tostring)')" "http 2 200" \
  "port 8080: prior-knowledge h2c observed"

# --- not HTTP on an HTTP port: inspection stops, the relay goes on
id=$(run_flow in_client "$PYTHON" -c "
import socket; s = socket.create_connection(('$SERVER_IP4', 80), timeout=5)
s.sendall(b'\x00\x01\x02 not http at all\r\n\r\n'); print(len(s.recv(4096)))")
line=$(flow_line "$id")
check "garbage on port 80: inspect_error ($(jq -r .inspect_error <<<"$line"))" test "$(jq -r .inspect_error <<<"$line")" != null
check "garbage on port 80: still relayed (nginx answered)" test "$(jq -r .bytes.to_client <<<"$line")" -gt 0

stop_tlsgate TERM
validate_log "$log"
finish
