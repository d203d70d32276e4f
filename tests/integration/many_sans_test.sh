#!/usr/bin/env bash
# A hostile upstream: a certificate with 8,000 SANs (signed by the lab's public
# CA, so it verifies). Past max_certificate_names (1,000 by default) the gateway
# refuses to forge and says so on the flow line; the client still reaches the
# server through the tunnel fallback. Raised above 8,000, it forges. Prints the
# time per connection through the gateway vs plain forwarding (a port the rules
# leave alone) in the same run; a steady client beside it keeps being served.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
names=8000
rounds=${MANY_SANS_ROUNDS:-20}
host=many-sans.example.test
trap 'kill "$nginx_pid" 2>/dev/null || true; rm -rf "$work"; lab_cleanup' EXIT
nginx_pid=""

# The certificate: CN + 7,999 more DNS names, from the lab's public CA; and for comparison
# one with the host name alone.
cat >"$work/make_cert.py" <<'PY'
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
pki, out, host, count, stem = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
ca = x509.load_pem_x509_certificate(open(os.path.join(pki, "public-ca.crt"), "rb").read())
ca_key = serialization.load_pem_private_key(open(os.path.join(pki, "public-ca.key"), "rb").read(), None)
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
# Short names: OpenSSL clients take at most 100 KiB of certificate chain by default.
sans = [x509.DNSName(host)] + [x509.DNSName(f"{i:x}.t") for i in range(count - 1)]
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(ca_key, hashes.SHA256()))
open(os.path.join(out, stem + ".crt"), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(os.path.join(out, stem + ".key"), "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
"$PYTHON" "$work/make_cert.py" "$LAB_DIR/pki" "$work" "$host" "$names" many
"$PYTHON" "$work/make_cert.py" "$LAB_DIR/pki" "$work" "$host" 1 one
check_eq "$(openssl x509 -in "$work/many.crt" -noout -ext subjectAltName | grep -o 'DNS:' | wc -l)" "$names" \
  "the upstream certificate has $names SANs"

# Its own nginx: 9443 goes through the gateway, 9444 is only routed (plain forwarding);
# 9445 and 9446 the same with the one-name certificate.
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen $SERVER_IP4:9443 ssl;
    listen $SERVER_IP4:9444 ssl;
    ssl_certificate $work/many.crt;
    ssl_certificate_key $work/many.key;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { return 200 "ok\n"; }
  }
  server {
    listen $SERVER_IP4:9445 ssl;
    listen $SERVER_IP4:9446 ssl;
    ssl_certificate $work/one.crt;
    ssl_certificate_key $work/one.key;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { return 200 "ok\n"; }
  }
}
NGINX
in_server nginx -c "$work/nginx/nginx.conf"
nginx_pid=$(cat "$work/nginx/nginx.pid")

rules_install --ports 443,8443,9443,9445 --lan-if "$GW_LAN_IF"

# Sequential connections, each a full handshake (no resumption) and one request:
# prints the mean milliseconds per connection; exits 1 if any failed.
cat >"$work/timed.py" <<'PY'
import socket, ssl, sys, time
ip, port, host, cafile, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
ctx = ssl.create_default_context(cafile=cafile)
ctx.set_alpn_protocols(["http/1.1"])
start = time.monotonic()
for _ in range(rounds):
    with socket.create_connection((ip, port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname=host) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            sys.exit(1)
print(f"{(time.monotonic() - start) * 1000 / rounds:.1f}")
PY
timed() {  # PORT CAFILE: mean ms per connection
  in_client "$PYTHON" "$work/timed.py" "$SERVER_IP4" "$1" "$host" "$2" "$rounds"
}


# --- the default cap: not forged, tunnelled with the reason on the line
test_config tls_ports:='[443, 8443, 9443, 9445]' upstream_ca_file="$PUBLIC_CA_CERT" >"$work/config.json"
start_tlsgate "$work/config.json"
cat "$PUBLIC_CA_CERT" "$state/ca.crt" >"$work/trust.pem"
line=$(flow_of in_client curl -sS --cacert "$work/trust.pem" --resolve "$host:9443:$SERVER_IP4" "https://$host:9443/")
check_eq "$(jq -r .action <<<"$line")" tunnel "past max_certificate_names: tunnelled"
check_eq "$(jq -r .reason <<<"$line")" upstream_cert_invalid "past max_certificate_names: reason upstream_cert_invalid"
check "past max_certificate_names: the line says why" \
  grep -q "more than 1000 names (max_certificate_names): not forged" <<<"$(jq -r .tls.upstream.verify <<<"$line")"
check_eq "$(jq -c '.tls.upstream.cert.sans | [length, .[100]]' <<<"$line")" '[101,"+7900 more"]' \
  "the flow line lists the first 100 names, then how many more"
in_client bash -c "for i in \$(seq 1 $((rounds * 4))); do curl -sS -o /dev/null --cacert '$work/trust.pem' \
  https://www.example.test/small || exit 1; sleep 0.02; done" &
steady=$!
through=$(timed 9443 "$work/trust.pem") || through=failed
plain=$(timed 9444 "$work/trust.pem") || plain=failed
one_through=$(timed 9445 "$work/trust.pem") || one_through=failed
one_plain=$(timed 9446 "$work/trust.pem") || one_plain=failed
check "a steady client beside the hostile upstream is served every time" wait "$steady"
check "connections through the gateway succeed" test "$through" != failed
check "plain-forwarded connections succeed" test "$plain" != failed
echo "# $names SANs, default cap (refused, tunnelled): ${through} ms per connection through tlsgate," \
  "${plain} ms plain forwarding ($rounds connections each)"
echo "# 1 SAN, same server (intercepted): ${one_through} ms per connection through tlsgate, ${one_plain} ms plain forwarding"
stop_tlsgate TERM

# --- the cap raised past the certificate: forged, with every name
test_config tls_ports:='[443, 8443, 9443, 9445]' upstream_ca_file="$PUBLIC_CA_CERT" max_certificate_names:=10000 \
  >"$work/config.json"
start_tlsgate "$work/config.json"
line=$(flow_of in_client curl -sS --cacert "$work/trust.pem" --resolve "$host:9443:$SERVER_IP4" "https://$host:9443/")
check_eq "$(jq -r .action <<<"$line")" intercept "cap above $names: intercepted"
in_client openssl s_client -connect "$SERVER_IP4:9443" -servername "$host" -CAfile "$work/trust.pem" </dev/null \
  2>/dev/null | openssl x509 -noout -issuer -ext subjectAltName >"$work/forged-sans.txt" || true
check "the leaf the client gets is forged" grep -q "issuer=.*tlsgate" "$work/forged-sans.txt"
check_eq "$(grep -o 'DNS:' "$work/forged-sans.txt" | wc -l)" "$names" "the forged leaf carries the $names names"
through=$(timed 9443 "$work/trust.pem") || through=failed
plain=$(timed 9444 "$work/trust.pem") || plain=failed
one_through=$(timed 9445 "$work/trust.pem") || one_through=failed
one_plain=$(timed 9446 "$work/trust.pem") || one_plain=failed
check "forged connections succeed" test "$through" != failed
echo "# $names SANs, cap 10000 (forged, then cached): ${through} ms per connection through tlsgate," \
  "${plain} ms plain forwarding ($rounds connections each)"
echo "# 1 SAN, same server (intercepted): ${one_through} ms per connection through tlsgate, ${one_plain} ms plain forwarding"
stop_tlsgate TERM

validate_log "$log"
finish
