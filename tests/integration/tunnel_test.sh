#!/usr/bin/env bash
# Foundation: transparent TCP gateway in the namespace lab. Real curl through
# tlsgate in REDIRECT and TPROXY mode, IPv4 and IPv6; byte counts, a large
# download's checksum, half-close, upstream refused, a direct connection
# refused, SIGHUP rotation without loss, SIGTERM drain. Every line is
# validated against docs/flow-log.schema.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
test_config listeners:='[{"mode": "redirect", "port": 15001}, {"mode": "tproxy", "port": 15002}]' workers:=2 \
  connect_timeout_ms:=2000 shutdown_grace_s:=2 default_action=tunnel tls_ports:='[443, 8443]' http_ports:='[80, 81]' \
  >"$work/config.json"

rules_install --mode redirect --ports 443,8443,80,81 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"

# --- REDIRECT, IPv4 and IPv6: HTTP byte counts equal what curl transferred
for family in 4 6; do
  before=$(flow_count_settled)
  out=$(in_client curl -"$family" -sS -o /dev/null -w '%{http_code} %{size_request} %{size_upload} %{size_header} %{size_download}' \
    "http://www.example.test/small")
  read -r code req up hdr down <<<"$out"
  check_eq "$code" 200 "redirect IPv$family: HTTP status"
  check_eq "$down" "$SMALL_SIZE" "redirect IPv$family: body size"
  line=$(flow_after "$before")
  check_eq "$(jq -r .proto <<<"$line")" http "redirect IPv$family: proto"
  check_eq "$(jq -r .action <<<"$line")" tunnel "redirect IPv$family: action"
  check_eq "$(jq -r .reason <<<"$line")" policy "redirect IPv$family: reason (the policy's default)"
  check_eq "$(jq -r .bytes.from_client <<<"$line")" $((req + up)) "redirect IPv$family: bytes.from_client = curl's request"
  check_eq "$(jq -r .bytes.to_client <<<"$line")" $((hdr + down)) "redirect IPv$family: bytes.to_client = curl's headers + body"
  want_server=$SERVER_IP4; [[ $family == 6 ]] && want_server=$SERVER_IP6
  check_eq "$(jq -r .server.ip <<<"$line")" "$want_server" "redirect IPv$family: original destination recovered"
  check_eq "$(jq -r .server.port <<<"$line")" 80 "redirect IPv$family: original port"
done

# --- HTTPS tunnelled: the client sees the real certificate (trusting only the public CA)
for port in 443 8443; do
  code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" "https://www.example.test:$port/small")
  check_eq "$code" 200 "redirect: HTTPS tunnelled on $port verifies against the real CA"
done
issuer=$(s_client www.example.test:443 -servername www.example.test </dev/null 2>/dev/null | openssl x509 -noout -issuer)
check "tunnelled HTTPS shows the upstream's issuer ($issuer)" grep -qi "public" <<<"$issuer"

# --- the second client address is a different LAN host
line=$(flow_of in_client curl -sS -o /dev/null --interface "$CLIENT_IP4_B" http://www.example.test/small)
check_eq "$(field .client.ip "$line")" "$CLIENT_IP4_B" "second client address appears as the client"

# --- a large download arrives intact
before=$(flow_count_settled)
sum=$(in_client bash -c "curl -sS http://www.example.test/large | sha256sum | cut -d' ' -f1")
check_eq "$sum" "$LARGE_SHA256" "large download through the splice tunnel is intact"
check "large download: to_client covers the whole file" \
  test "$(field .bytes.to_client "$(flow_after "$before")")" -gt "$(stat -c %s "$LARGE_FILE")"

# --- half-close: the client shuts down its write side and still gets everything
before=$(flow_count_settled)
got=$(in_client "$PYTHON" - "$SERVER_IP4" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(b"GET /small HTTP/1.0\r\nHost: www.example.test\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(len(data.split(b"\r\n\r\n", 1)[1]))
PY
)
check_eq "$got" "$SMALL_SIZE" "half-close: full body after the client's FIN"
check_eq "$(field .end.by "$(flow_after "$before")")" client "half-close: the client ended first"

# --- upstream refused: prompt reset and a flow line saying why
before=$(flow_count_settled)
start=$(date +%s%N)
set +e
in_client curl -sS -m 5 -o /dev/null "http://$SERVER_IP4:81/" 2>"$work/refused.err"
rc=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "upstream refused: curl fails (rc=$rc)" test "$rc" -ne 0
check "upstream refused: the client is reset promptly (${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
line=$(flow_after "$before")
check_eq "$(field .reason "$line")" upstream_refused "upstream refused: reason"
check "upstream refused: error text present" test "$(field .end.error "$line")" != null

# --- a direct connection to the listener is refused (never an open proxy)
before=$(flow_count_settled)
set +e
in_client curl -sS -m 5 -o /dev/null "http://$GW_LAN_IP4:15001/" 2>/dev/null
rc=$?
set -e
check "direct connection to the listener fails (rc=$rc)" test "$rc" -ne 0
line=$(flow_after "$before")
check_eq "$(field .reason "$line")" not_redirected "direct connection: reason"
check_eq "$(field .action "$line")" reject "direct connection: action"

# --- SIGHUP rotation loses no line
before=$(flow_count_settled)
for i in $(seq 1 20); do in_client curl -sS -o /dev/null http://www.example.test/small; done
wait_flows $((before + 20))
mv "$log" "$log.1"
kill -HUP "$TLSGATE_PID"
for i in $(seq 1 20); do in_client curl -sS -o /dev/null http://www.example.test/small; done
wait_flows 20
check_eq "$(($(wc -l <"$log.1") + $(wc -l <"$log")))" $((before + 40)) "SIGHUP: every line is in the old or the new file"

# --- TPROXY mode, IPv4 and IPv6, with the same daemon (both listeners at once)
rules_remove
rules_install --mode tproxy --ports 443,8443,80,81 --lan-if "$GW_LAN_IF"
for family in 4 6; do
  code=$(in_client curl -"$family" -sS -o /dev/null -w '%{http_code}' "http://www.example.test/small")
  check_eq "$code" 200 "tproxy IPv$family: HTTP"
  code=$(in_client curl -"$family" -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" "https://www.example.test/small")
  check_eq "$code" 200 "tproxy IPv$family: HTTPS tunnelled"
done
wait_flows 24
check_eq "$(field .server.ip "$(last_flow)")" "$SERVER_IP6" "tproxy: original destination is the socket's local address"

# --- the iptables backend, both modes; installing twice leaves one set of rules
for mode in redirect tproxy; do
  rules_install --backend iptables --mode "$mode" --ports 443,8443,80 --lan-if "$GW_LAN_IF"
  rules_install --backend iptables --mode "$mode" --ports 443,8443,80 --lan-if "$GW_LAN_IF"
  check_eq "$(in_gw iptables-save | grep -c -- '-j TLSGATE$')" 1 "iptables $mode: idempotent install"
  before=$(flow_count_settled)
  for family in 4 6; do
    code=$(in_client curl -"$family" -sS -o /dev/null -w '%{http_code}' "http://www.example.test/small")
    check_eq "$code" 200 "iptables $mode IPv$family: HTTP"
  done
  check "iptables $mode: both flows went through tlsgate" wait_flows $((before + 2))
done
rules_remove
check_eq "$(in_gw iptables-save | grep -c TLSGATE)" 0 "rules.sh remove: no iptables rule left"
rules_install --mode redirect --ports 443,8443,80 --lan-if "$GW_LAN_IF"

# --- SIGTERM drains: a running slow download is cut at the grace deadline and logged
in_client bash -c "curl -sS --limit-rate 2M -o /dev/null http://www.example.test/large" &
slow=$!
sleep 1
before=$(flow_count)
stop_tlsgate TERM
wait "$slow" || true
check_eq "$(flow_count)" $((before + 1)) "SIGTERM: the running flow got its line"
check_eq "$(field .reason "$(last_flow)")" shutdown "SIGTERM: reason shutdown"
check_eq "$(field .end.by "$(last_flow)")" shutdown "SIGTERM: end.by shutdown"

validate_log "$log.1" "$log"
finish
