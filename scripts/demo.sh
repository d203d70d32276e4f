#!/usr/bin/env bash
# The demo: installs what is missing, builds, brings up the namespace lab,
# starts tlsgate in the gateway namespace, sends real traffic from the client
# namespace through it, shows the JSON lines it wrote, and tears it all down.
# Run as root from the repository: sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

[[ $EUID -eq 0 ]] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }
bash scripts/setup.sh
cmake -S . -B build -DTLSGATE_BENCH=OFF >/dev/null
cmake --build build -j "$(nproc)"

export LAB_ID=demo LAB_LARGE_MB=${LAB_LARGE_MB:-16}
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns exec tg-demo-gw bash "$root/scripts/rules.sh" remove 2>/dev/null || true
  bash "$root/scripts/lab.sh" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== lab"
bash scripts/lab.sh up
set -a; source "/tmp/tlsgate-lab-demo/env"; set +a
in_client() { ip netns exec "$NS_CLIENT" "$@"; }

cat >"$work/config.json" <<JSON
{
  "listeners": [{"mode": "redirect", "port": 15001}],
  "flow_log": "$work/flows.jsonl",
  "state_dir": "$work/state",
  "policy_file": "$work/policy.json",
  "upstream_ca_file": "$PUBLIC_CA_CERT"
}
JSON
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
ip netns exec "$NS_GW" bash scripts/rules.sh install --lan-if "$GW_LAN_IF"
ip netns exec "$NS_GW" build/tlsgate run --allow-root --config "$work/config.json" &
pid=$!
for _ in $(seq 1 100); do
  ip netns exec "$NS_GW" ss -Hltn "sport = :15001" | grep -q LISTEN && break
  sleep 0.05
done
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
in_client bash -c 'printf "HEAD / HTTP/1.0\r\n\r\n" |
  openssl s_client -ign_eof -connect www.example.test:443 -servername www.example.test 2>/dev/null |
  openssl x509 -noout -issuer' || true
show in_client curl -sS -o /dev/null -w '%{http_code} %{http_version}\n' --cacert "$ca_bundle" \
  https://api.example.test:8443/small
show in_client curl -6 -sS -o /dev/null -w '%{http_code} %{size_download} bytes\n' http://www.example.test/large
show in_client curl -sS -m 5 -o /dev/null --cacert "$ca_bundle" https://expired.example.test/small
show in_client curl -sS -m 5 -o /dev/null "http://$GW_LAN_IP4:15001/"

kill "$pid"
wait "$pid" || true
pid=""
echo "== the flow log ($work/flows.jsonl): one flow line per connection, one http line per exchange"
jq -c . "$work/flows.jsonl"
echo "== in short"
jq -r 'select(.event == "flow") | [.flow_id, .client.ip, (.sni // .server.ip), .server.port, .action, .reason,
  (.policy.rule // "-")] | @tsv' "$work/flows.jsonl"
