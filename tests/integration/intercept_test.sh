#!/usr/bin/env bash
# TLS interception in the namespace lab: real curl / openssl / python clients
# through tlsgate to real nginx. Forged certificates (names, issuer, cache),
# ALPN h2 and http/1.1, TLS 1.2 and 1.3, a large download intact, bad
# upstreams tunnelled (or rejected), no-SNI clients, non-observable ALPN, not
# TLS, malformed and truncated ClientHellos, learned bypass after a client
# rejects the certificate (during and after the handshake), session
# resumption on both legs, the key log, and one flow line per connection.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
write_config() {  # $1: upstream_cert_error, then more test_config KEY=VALUE arguments
  test_config workers:=2 state_dir="$state" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
    upstream_cert_error="$1" peek_timeout_ms:=1500 keylog_file="$work/keys.log" "${@:2}" >"$work/config.json"
}
write_config tunnel
rules_install --mode redirect --ports 443,8443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"

# --- the CA was created at first start: 0600 key, the start message says where
check "CA created in the state directory" test -f "$state/ca.crt"
check_eq "$(stat -c %a "$state/ca.key")" 600 "CA key is mode 0600"
check "tlsgate said where the new CA is" grep -q "created a new gateway CA: $state/ca.crt" "$TLSGATE_STDERR"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$state/ca.crt" >"$trust"
ca_subject=$(openssl x509 -in "$state/ca.crt" -noout -subject | sed 's/^subject=//')

# --- intercepted HTTPS, trusting only the gateway CA: 443 and 8443, HTTP/1.1 and h2, v4 and v6
for port in 443 8443; do
  for http in --http1.1 --http2; do
    want=2; [[ $http == --http1.1 ]] && want=1.1
    out=$(in_client curl -sS -o /dev/null -w '%{http_code} %{http_version}' "$http" --cacert "$state/ca.crt" \
      "https://www.example.test:$port/small")
    check_eq "$out" "200 $want" "gateway CA only: $port $http"
  done
done
out=$(in_client curl -6 -sS -o /dev/null -w '%{http_code}' --cacert "$state/ca.crt" https://www.example.test/small)
check_eq "$out" 200 "gateway CA only: IPv6"
line=$(flow_of in_client curl -sS --http1.1 --cacert "$trust" https://api.example.test:8443/small)
check_eq "$(field .action "$line")" intercept "http/1.1 on 8443: intercepted"
check_eq "$(field .tls.client.negotiated.alpn "$line")" http/1.1 "http/1.1 on 8443: ALPN passed through"
check_eq "$(field .tls.upstream.alpn "$line")" http/1.1 "http/1.1 on 8443: the upstream got the same ALPN"
check_eq "$(field .sni "$line")" api.example.test "SNI logged"
check_eq "$(field .proto "$line")" tls "proto tls"
check_eq "$(field .tls.upstream.verify "$line")" ok "upstream verified"
check_eq "$(field .tls.forged.cache "$line")" miss "first connection to api: leaf forged (cache miss)"
check "JA3 and JA4 logged" test "$(field '.tls.client.ja3 | length' "$line")" -eq 32 -a \
  "$(field '.tls.client.ja4 | length' "$line")" -gt 20

# --- the forged certificate: our issuer, the upstream's names, cached
# openssl s_client that sends a request: a client that leaves right after the
# handshake without a byte counts as rejecting our certificate (learned bypass).
head_request() {  # host port [s_client args...]
  local host=$1 port=$2
  shift 2
  printf 'HEAD /small HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" | s_client "$host:$port" -ign_eof "$@"
}
cert_of() {  # host port [s_client args, default: -servername host]
  if (($# > 2)); then
    head_request "$@" 2>/dev/null | openssl x509
  else
    head_request "$1" "$2" -servername "$1" 2>/dev/null | openssl x509
  fi
}
forged=$(cert_of www.example.test 443)
check_eq "$(openssl x509 -noout -issuer <<<"$forged" | sed 's/^issuer=//')" "$ca_subject" "forged leaf issued by the gateway CA"
sans=$(openssl x509 -noout -ext subjectAltName <<<"$forged")
check "forged leaf copies the upstream's SANs ($sans)" grep -q "DNS:www.example.test, DNS:example.test" <<<"$sans"
check "forged leaf copies the upstream's CN" grep -q "CN *= *www.example.test" <<<"$(openssl x509 -noout -subject <<<"$forged")"
check_eq "$(openssl x509 -noout -fingerprint <<<"$(cert_of www.example.test 443)")" \
  "$(openssl x509 -noout -fingerprint <<<"$forged")" "forged leaf served from the cache the second time"
line=$(flow_of in_client curl -sS --cacert "$trust" https://www.example.test/small)
check_eq "$(field .tls.forged.cache "$line")" hit "again to www: the forged leaf came from the cache"
check "forged leaf verifies for the name with the gateway CA" \
  openssl verify -CAfile "$state/ca.crt" -verify_hostname www.example.test <(echo "$forged")

# --- openssl s_client: the ALPN the upstream chose, end to end
for alpn in h2 http/1.1; do
  got=$(head_request www.example.test 443 -servername www.example.test -alpn "$alpn" -CAfile "$state/ca.crt" 2>/dev/null |
    sed -n 's/^ALPN protocol: //p')
  check_eq "$got" "$alpn" "s_client -alpn $alpn: negotiated end to end"
done

# --- a ClientHello padded past 8 KiB (several records and segments) is intercepted
long_alpn=$("$PYTHON" -c "print(','.join(['x-proto-%04d' % i for i in range(700)] + ['http/1.1']))")
line=$(flow_of head_request www.example.test 443 -servername www.example.test -alpn "$long_alpn" -CAfile "$state/ca.crt")
check_eq "$(field .action "$line")" intercept "8 KiB ClientHello: intercepted"
check_eq "$(field .tls.client.negotiated.alpn "$line")" http/1.1 "8 KiB ClientHello: the observable protocol chosen"

# --- 200 parallel intercepted connections all succeed
before=$(flow_count_settled)
in_client bash -c "for i in \$(seq 1 200); do
    curl -sS -m 20 --http1.1 -o /dev/null -w '%{http_code}\n' --cacert $state/ca.crt https://www.example.test/small &
  done; wait" >"$work/parallel.codes"
check_eq "$(grep -c '^200$' "$work/parallel.codes")" 200 "200 parallel intercepted connections: all 200 OK"
wait_flows $((before + 200))
check_eq "$(flow_lines | tail -n 200 | jq -r .action | sort | uniq -c | awk '{print $1, $2}')" "200 intercept" \
  "200 parallel: 200 intercept flow lines"

# --- TLS 1.2 on both legs works too
line=$(flow_of in_client curl -sS --tls-max 1.2 --cacert "$trust" https://www.example.test/small)
check_eq "$(field .tls.client.negotiated.version "$line")" TLSv1.2 "TLS 1.2 client: intercepted with TLS 1.2"

# --- a large download through the decrypting relay is intact
before=$(flow_count_settled)
sum=$(in_client bash -c "curl -sS --cacert $trust https://www.example.test/large | sha256sum | cut -d' ' -f1")
check_eq "$sum" "$LARGE_SHA256" "large download through interception is intact"
check "large download: from the upstream, counted" \
  test "$(field .bytes.to_client "$(flow_after "$before")")" -ge "$(stat -c %s "$LARGE_FILE")"

# --- bad upstreams: tunnelled, so the client sees the real (bad) certificate
for host in expired self-signed wrong-name; do
  line=$(flow_of in_client curl -sS --cacert "$trust" "https://$host.example.test/small")
  check_eq "$(field .reason "$line")" upstream_cert_invalid "$host upstream: reason"
  check_eq "$(field .action "$line")" tunnel "$host upstream: tunnelled, never forged"
  issuer=$(cert_of "$host.example.test" 443 | openssl x509 -noout -issuer)
  check "$host upstream: the client sees the real issuer ($issuer)" test "$issuer" != "issuer=$ca_subject"
done

# --- no SNI (bare IP): names from the upstream certificate, plus the IP
line=$(flow_of head_request "$SERVER_IP4" 443 -noservername)
check_eq "$(field .action "$line")" intercept "no SNI: intercepted"
check_eq "$(field .sni "$line")" null "no SNI: sni null"
sans=$(cert_of "$SERVER_IP4" 443 -noservername | openssl x509 -noout -ext subjectAltName)
check "no SNI: forged leaf has the upstream's names and the IP ($sans)" \
  grep -q "DNS:www.example.test.*IP Address:$SERVER_IP4" <<<"$sans"

# --- only protocols we cannot observe: tunnelled
line=$(flow_of head_request www.example.test 443 -servername www.example.test -alpn h3x)
check_eq "$(field .reason "$line")" no_observable_alpn "non-observable ALPN: reason"
check_eq "$(field .action "$line")" tunnel "non-observable ALPN: tunnelled"

# --- not TLS on a TLS port: tunnelled as unknown
line=$(flow_of in_client "$PYTHON" -c "
import socket; s = socket.create_connection(('$SERVER_IP4', 443), timeout=5)
s.sendall(b'GET / HTTP/1.0\r\n\r\n'); s.recv(100)")
check_eq "$(field .proto "$line")" unknown "not TLS on 443: proto unknown"
check_eq "$(field .reason "$line")" not_tls "not TLS on 443: reason"
check "not TLS on 443: relayed (nginx answered)" test "$(field .bytes.to_client "$line")" -gt 0

# --- malformed and truncated ClientHellos: a clear reason, the gateway goes on
line=$(flow_of in_client "$PYTHON" -c "
import socket; s = socket.create_connection(('$SERVER_IP4', 443), timeout=5)
s.sendall(bytes.fromhex('160301000a' '0200000603030000000000')); s.recv(100)")
check_eq "$(field .reason "$line")" client_hello_not_client_hello "malformed ClientHello: reason names the error"
check_eq "$(field .action "$line")" reject "malformed ClientHello: rejected"
line=$(flow_of in_client "$PYTHON" -c "
import socket; s = socket.create_connection(('$SERVER_IP4', 443), timeout=5)
s.sendall(bytes.fromhex('1603010200010001fc0303')); s.close()")
check_eq "$(field .reason "$line")" client_closed_early "truncated ClientHello then close: client_closed_early"
line=$(flow_of in_client "$PYTHON" -c "
import socket, time; s = socket.create_connection(('$SERVER_IP4', 443), timeout=5)
s.sendall(bytes.fromhex('1603010200010001fc0303')); time.sleep(2.5)")
check_eq "$(field .reason "$line")" peek_timeout "stalled ClientHello: peek_timeout"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$trust" https://www.example.test/small)
check_eq "$code" 200 "still serving after the bad clients"

# --- upstream session resumption and client-side session tickets
flow_of head_request www.example.test 8443 -servername www.example.test -CAfile "$trust" -sess_out "$work/sess.pem" \
  >/dev/null
line=$(flow_of head_request www.example.test 8443 -servername www.example.test -CAfile "$trust" -sess_in "$work/sess.pem")
check_eq "$(field .tls.client.negotiated.resumed "$line")" true "client leg: session ticket resumed"
check_eq "$(field .tls.upstream.resumed "$line")" true "upstream leg: cached session resumed"

# --- key log: NSS format, 0600
check "key log has TLS 1.3 secrets" grep -q "^CLIENT_TRAFFIC_SECRET_0 " "$work/keys.log"
check_eq "$(stat -c %a "$work/keys.log")" 600 "key log is mode 0600"

# --- learned bypass: a client that refuses the forged certificate is tunnelled next time
line=$(flow_of in_client curl -sS --cacert "$PUBLIC_CA_CERT" --interface "$CLIENT_IP4" https://www.example.test/small)
check_eq "$(field .reason "$line")" client_rejected_certificate "rejection during the handshake: learned"
line=$(flow_of in_client curl -sS --cacert "$PUBLIC_CA_CERT" --interface "$CLIENT_IP4" https://www.example.test/small)
check_eq "$(field .reason "$line")" learned_bypass "next time: tunnelled by the learned bypass"
check_eq "$(field .action "$line")" tunnel "learned bypass: action tunnel"
line=$(flow_of in_client curl -sS --cacert "$trust" --interface "$CLIENT_IP4_B" https://www.example.test/small)
check_eq "$(field .action "$line")" intercept "another LAN host is still intercepted"
check "learned bypass persisted in the state directory" grep -q www.example.test "$state/learned-bypass.json"
# a client that finishes the handshake, then leaves without a byte: what browsers do with
# spare connections, so once proves nothing
line=$(flow_of in_client "$PYTHON" -c "
import socket, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = socket.socket(); s.bind(('$CLIENT_IP4_B', 0)); s.connect(('$SERVER_IP4', 443))
t = ctx.wrap_socket(s, server_hostname='api.example.test'); t.close()")
check_eq "$(field .action "$line") $(field .reason "$line")" "intercept policy" "one silent close after the handshake: not a rejection"
line=$(flow_of in_client curl -sS --cacert "$trust" --interface "$CLIENT_IP4_B" https://api.example.test/small)
check_eq "$(field .action "$line")" intercept "after one silent close: still intercepted"

check "flow ids are unique" test "$(jq -r 'select(.event == "flow") | .flow_id' "$log" | sort | uniq -d | wc -l)" -eq 0

# --- upstream_cert_error reject: the client gets an alert, nothing is forged
stop_tlsgate TERM
# ... with an operator-supplied CA (a copy of the created one, so the client trust stays valid)
cp "$state/ca.crt" "$work/operator-ca.crt"
cp "$state/ca.key" "$work/operator-ca.key"
write_config reject ca_cert="$work/operator-ca.crt" ca_key="$work/operator-ca.key"
start_tlsgate "$work/config.json"
check "operator-supplied CA in use" grep -q "operator-supplied" "$TLSGATE_STDERR"
line=$(flow_of in_client curl -sS --cacert "$trust" https://expired.example.test/small)
check_eq "$(field .action "$line")" reject "upstream_cert_error reject: action"
check_eq "$(field .reason "$line")" upstream_cert_invalid "upstream_cert_error reject: reason"
err=$(in_client curl -sS --cacert "$trust" https://self-signed.example.test/small 2>&1 || true)
check "upstream_cert_error reject: the client got a TLS alert ($err)" grep -qi "alert" <<<"$err"
stop_tlsgate TERM

validate_log "$log"
finish
