# shellcheck shell=bash
# The shared-address lab of the request-policy tests (sourced after lib.sh, which it brings up):
# one nginx on the server address serves four virtual hosts, default.example.test (the default
# server), www, api and secret.example.test, on 443 (HTTP/1.1 and h2), 80 (HTTP/1) and 8080
# (h2c with prior knowledge: Debian's nginx 1.22 cannot serve HTTP/1 and h2c on one plain port),
# each with its own access log, so a check can prove that a request never reached a vhost.
# Every vhost has /ws (a WebSocket echo server behind it, ws_echo.py), /refuse-upgrade (426 to
# anything, an Upgrade too) and /post (200 to any method). The policy: secret blocked, api
# tunnelled ("left alone"), the rest intercepted.
#
#   $work, $log, $policy        the test's directory, its flow log, the policy file
#   marker[VHOST]               the text only VHOST's index page holds
#                               (each access log line ends with yt=YouTube-Restrict xff=X-Forwarded-For as received)
#   served VHOST CASE / not_served VHOST CASE   VHOST's log has (not) a request for ?case=CASE
#   secret_log_empty            nothing reached secret (its log is emptied after the lab checks)
#   syn80                       new TCP connections to the server's port 80 so far
#   start_gateway CONFIG_ARGS...   tlsgate with this policy, redirecting 443, 80 and 8080
#   fetch NAME CURL_ARGS...     curl in the client, output in $work/NAME.out; prints the flow line
#   transfers NAME              "STATUS/CONNECTS" of each transfer in $work/NAME.out
#   has NAME TEXT / lacks NAME TEXT   $work/NAME.out holds (not) TEXT
#   http_event CASE             the http event of the request for ?case=CASE ("{}" if none)
#   verdict EVENT / blocked_by_secret_rule EVENT   the event's action, reason, rule, status
#   logged_inspect_error FLOW_LINE   the flow or one of its http events says inspect_error
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-1}  # no large download here
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
policy="$work/policy.json"
trap 'rm -rf "$work"; lab_cleanup' EXIT

# --- certificates from the lab's public CA, pages, one image
# default and www share a certificate naming all four hosts (as a CDN's would): a browser may
# then send api's and secret's requests over a www connection. api and secret have their own.
cat >"$work/make_site.py" <<'PY'
import os, struct, sys, zlib
from cryptography import x509
from cryptography.hazmat.primitives import serialization
sys.path.insert(0, sys.argv[1])
import lab_pki
pki, out = sys.argv[2], sys.argv[3]
ca = x509.load_pem_x509_certificate(open(os.path.join(pki, "public-ca.crt"), "rb").read())
ca_key = serialization.load_pem_private_key(open(os.path.join(pki, "public-ca.key"), "rb").read(), None)
hosts = ["default.example.test", "www.example.test", "api.example.test", "secret.example.test"]
lab_pki.write(out, "shared", *lab_pki.make_leaf(hosts[0], hosts, [], ca, ca_key))
for stem in ("api", "secret"):
    lab_pki.write(out, stem, *lab_pki.make_leaf(f"{stem}.example.test", [f"{stem}.example.test"], [], ca, ca_key))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
width, height = 7, 5  # the page reports naturalWidth: 7 proves this image arrived
rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
for site in ("api", "secret"):
    open(os.path.join(out, "site", site, "img.png"), "wb").write(png)
PY
vhosts=(default www api secret)
declare -A marker
for v in "${vhosts[@]}"; do
  mkdir -p "$work/site/$v"
  marker[$v]="tlsgate-$v-page-$RANDOM$RANDOM"
  printf '<!doctype html><html><body><p id="m">%s</p></body></html>\n' "${marker[$v]}" >"$work/site/$v/index.html"
done
"$PYTHON" "$work/make_site.py" "$LAB_SCRIPTS" "$LAB_DIR/pki" "$work"

mkdir -p "$work/nginx"
{
  cat <<NGINX
daemon on;
user root;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  types { text/html html; image/png png; }
  log_format probe 'sni=\$ssl_server_name port=\$server_port conn=\$connection status=\$status "\$request" proto=\$server_protocol alpn=\$ssl_alpn_protocol yt=\$http_youtube_restrict xff=\$http_x_forwarded_for';
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  ssl_protocols TLSv1.2 TLSv1.3;
NGINX
  for v in "${vhosts[@]}"; do
    cert=$v default=""
    [[ $v == default || $v == www ]] && cert=shared
    [[ $v == default ]] && default=" default_server"
    cat <<NGINX
  server {
    listen $SERVER_IP4:443 ssl http2$default;
    listen [$SERVER_IP6]:443 ssl http2$default;
    listen $SERVER_IP4:80$default;
    listen [$SERVER_IP6]:80$default;
    listen $SERVER_IP4:8080 http2$default;
    listen [$SERVER_IP6]:8080 http2$default;
    server_name $v.example.test;
    ssl_certificate $work/$cert.crt;
    ssl_certificate_key $work/$cert.key;
    root $work/site/$v;
    access_log $work/nginx/$v.log probe;
    location /ws {
      proxy_pass http://127.0.0.1:9001;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection upgrade;
    }
    location /refuse-upgrade { return 426 "$v does not upgrade\n"; }
    location /post { return 200 "$v got \$request_method\n"; }
  }
NGINX
  done
  echo "}"
} >"$work/nginx/nginx.conf"
# This nginx replaces the lab's on the server address.
stop_process "$(cat "$LAB_DIR/nginx/nginx.pid")" TERM
in_server nginx -c "$work/nginx/nginx.conf"
for v in "${vhosts[@]}"; do touch "$work/nginx/$v.log"; done
# The client resolves every name to the server addresses (the lab's hosts file has www and api).
printf '%s default.example.test secret.example.test\n' "$SERVER_IP4" "$SERVER_IP6" >>"/etc/netns/$NS_CLIENT/hosts"
# New TCP connections to port 80 arriving at the server: does the gateway open an upstream?
in_server nft -f - <<NFT
table inet tg_request_policy {
  chain input {
    type filter hook input priority 0;
    tcp dport 80 tcp flags & (syn | ack) == syn counter comment "syn80"  # both families
  }
}
NFT
syn80() { in_server nft list chain inet tg_request_policy input | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

# nginx writes a request's access log line after the response went out, so a client can have
# its answer a moment before the line exists (seen under load): wait for it, up to 3 s. A request
# that must not arrive gets a short grace for a late line, then its absence is the answer.
logged() { grep -qF "case=$2 " "$work/nginx/$1.log"; }
served() {
  local i
  for ((i = 0; i < 30; i++)); do
    logged "$@" && return 0
    sleep 0.1
  done
  return 1
}
not_served() {
  sleep 0.1
  ! logged "$@"
}
secret_log_empty() { [[ ! -s $work/nginx/secret.log ]]; }
direct() {  # VHOST PORT SCHEME: straight to nginx, VHOST's page arrives and its own log has the request
  in_client curl -sS -m 5 --cacert "$PUBLIC_CA_CERT" "$3://$1.example.test:$2/?case=lab-$1-$2" | grep -q "${marker[$1]}" &&
    served "$1" "lab-$1-$2"
}
direct_h2c() {  # VHOST: prior-knowledge h2c on 8080 straight to nginx
  in_client curl -sS -m 5 --http2-prior-knowledge "http://$1.example.test:8080/?case=lab-$1-8080" |
    grep -q "${marker[$1]}" && served "$1" "lab-$1-8080"
}
# The lab before the gateway: each vhost answers directly (no rules installed yet).
for v in "${vhosts[@]}"; do
  check "lab: nginx serves $v on 443 (its marker page, its own access log)" direct "$v" 443 https
  check "lab: nginx serves $v on 80 (its marker page, its own access log)" direct "$v" 80 http
  check "lab: nginx serves $v on 8080 with h2c (its marker page, its own access log)" direct_h2c "$v"
done
unknown_host_default() {
  in_client curl -sS -m 5 -H 'Host: unknown.example.test' "http://$SERVER_IP4/?case=lab-unknown" | grep -q "${marker[default]}"
}
check "lab: the default server answers an unknown Host" unknown_host_default
: >"$work/nginx/secret.log"  # from here on, no request may reach secret

cat >"$policy" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "secret is blocked", "host": ["secret.example.test"], "action": "block"},
    {"name": "api is private", "host": ["api.example.test"], "action": "tunnel"}
  ]
}
JSON
start_gateway() {
  test_config policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
    http_ports:='[80, 8080]' "$@" >"$work/config.json"
  rules_install --mode redirect --ports 443,80,8080 --lan-if "$GW_LAN_IF"
  start_tlsgate "$work/config.json"
  gateway_ca="$work/state/ca.crt"
}

saving() { local out=$1; shift; "$@" >"$out" 2>&1; }  # saving FILE CMD...: CMD's output in FILE (for flow_of)
# Per transfer, after its body: its status, whether it opened a connection, its content type.
w=(-sS -m 10 -w '\nstatus=%{http_code} connects=%{num_connects} type=%{content_type}\n')
fetch() { local name=$1; shift; flow_of saving "$work/$name.out" in_client curl "${w[@]}" "$@"; }
transfers() { sed -n 's/^status=\([0-9]*\) connects=\([0-9]*\).*/\1\/\2/p' "$work/$1.out" | tr '\n' ' ' | sed 's/ $//'; }
has() { grep -qF -- "$2" "$work/$1.out"; }
lacks() { ! has "$@"; }
http_event() { events http ".path == \"/?case=$1\"" | head -n 1 | grep . || echo "{}"; }
verdict() { field '[.action, .reason, .rule, .status] | map(. // "-" | tostring) | join(" ")' "$1"; }
blocked_by_secret_rule() { [[ $(verdict "$1") == "block policy secret is blocked 403" ]]; }
logged_inspect_error() {
  [[ -n $(field '.inspect_error // empty' "$1") ]] ||
    [[ -n $(events http ".flow_id == $(field .flow_id "$1") and .reason == \"inspect_error\"") ]]
}
