#!/usr/bin/env bash
# The demo: installs what is missing, builds, brings up the namespace lab,
# starts tlsgate in the gateway namespace, sends real traffic from the client
# namespace through it, shows the JSON lines it wrote, and tears it all down.
# Run as root from the repository: sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/lab.sh

[[ $EUID -eq 0 ]] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }
bash scripts/setup.sh
cmake -S . -B build -DTLSGATE_BENCH=OFF >/dev/null
cmake --build build -j "$(nproc)"

export LAB_ID=demo LAB_LARGE_MB=${LAB_LARGE_MB:-16} TLSGATE_BIN=$PWD/build/tlsgate
echo "== lab"
lab_up
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT

test_config policy_file="$work/policy.json" upstream_ca_file="$PUBLIC_CA_CERT" >"$work/config.json"
cat >"$work/policy.json" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "api is private", "host": "api.example.test", "action": "tunnel"},
    {"name": "no expired sites", "host": "expired.example.test", "action": "block"}
  ]
}
JSON

echo "== rules and tlsgate"
rules_install --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
sed 's/^/  /' "$TLSGATE_STDERR"
# The LAN's clients trust the gateway CA (created at first start) next to the lab's "public" one;
# the gateway itself trusts the public CA for upstream verification (upstream_ca_file).
ca_bundle=$work/client-trust.pem
cat "$PUBLIC_CA_CERT" >"$ca_bundle"
[[ -f $work/state/ca.crt ]] && cat "$work/state/ca.crt" >>"$ca_bundle"

show() { echo "\$ $*"; "$@" || true; }
echo "== traffic from the client namespace"
show in_client curl -sS -o /dev/null -w '%{http_code} %{size_download} bytes\n' http://www.example.test/small
show in_client curl -sS -o /dev/null -w '%{http_code} HTTP/%{http_version}\n' --cacert "$ca_bundle" \
  https://www.example.test/small
echo "\$ openssl s_client -connect www.example.test:443 | openssl x509 -noout -issuer"
# (It sends a request: a client that leaves right after the handshake counts as refusing the certificate.)
printf 'HEAD / HTTP/1.0\r\n\r\n' | s_client www.example.test:443 -ign_eof -servername www.example.test 2>/dev/null |
  openssl x509 -noout -issuer || true
show in_client curl -sS -o /dev/null -w '%{http_code} %{http_version}\n' --cacert "$ca_bundle" \
  https://api.example.test:8443/small
show in_client curl -6 -sS -o /dev/null -w '%{http_code} %{size_download} bytes\n' http://www.example.test/large
show in_client curl -sS -m 5 -o /dev/null --cacert "$ca_bundle" https://expired.example.test/small
show in_client curl -sS -m 5 -o /dev/null "http://$GW_LAN_IP4:15001/"

stop_tlsgate
echo "== the flow log ($work/flows.jsonl): one flow line per connection, one http line per exchange"
jq -c . "$work/flows.jsonl"
echo "== in short"
jq -r 'select(.event == "flow") | [.flow_id, .client.ip, (.sni // .server.ip), .server.port, .action, .reason,
  (.policy.rule // "-")] | @tsv' "$work/flows.jsonl"
