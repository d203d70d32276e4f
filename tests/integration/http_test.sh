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
cat >"$work/config.json" <<JSON
{
  "listeners": [{"mode": "redirect", "port": 15001}],
  "workers": 1,
  "flow_log": "$log",
  "state_dir": "$work/state",
  "default_action": "intercept",
  "upstream_ca_file": "$PUBLIC_CA_CERT",
  "http_ports": [80, 8080]
}
JSON
rules_install --mode redirect --ports 443,8443,80,8080 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

flows_seen() {
  [[ -f $log ]] || { echo 0; return; }
  grep -c '"event":"flow"' "$log" || true
}
# Runs a client command, waits for its flow line, prints the flow's id.
run_flow() {
  local before
  before=$(flows_seen)
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do (($(flows_seen) > before)) && break; sleep 0.05; done
  grep '"event":"flow"' "$log" | tail -n 1 | jq -r .flow_id
}
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
