#!/usr/bin/env bash
# The operator scopes learned bypass, with real clients in the lab: a host whose rule says
# `learn_bypass: false` is never learned from certificate alerts (openssl s_client without
# the gateway CA) and stays intercepted, even with an entry for it already in the file; a
# client outside `learned_bypass_clients` rejects the certificate without teaching; a client
# inside does teach (a `bypass` event, then a tunnel) and the learned-entries counter says so.
# Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-1}  # no large download here
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
metrics=127.0.0.1:19103
mkdir -p "$state"
chmod 700 "$state"
now=$(date +%s)
# An entry learned before the rule said learn_bypass false: it must not tunnel.
cat >"$state/learned-bypass.json" <<JSON
{"entries": [{"host": "api.example.test", "client": "$CLIENT_IP4", "why": "TLS alert 48 during the handshake",
  "evidence": 1, "learned": $now, "expires": $((now + 3600))}]}
JSON
cat >"$work/policy.json" <<'JSON'
{"default": "intercept", "rules": [
  {"name": "stay inspected", "host": "api.example.test", "action": "intercept", "learn_bypass": false}]}
JSON
test_config workers:=2 policy_file="$work/policy.json" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  upstream_cert_error=tunnel learned_bypass:=true learned_bypass_all_clients:=false \
  learned_bypass_clients:="[\"$CLIENT_IP4/32\"]" metrics_listen="$metrics" >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"

learned_count() { event_count bypass ".change == \"learned\""; }
learned_metric() { metric "tlsgate_learned_bypass_learned_total{evidence=\"strong\",scope=\"client\"}"; }
# rejecting CLIENT_IP HOST: a handshake whose client does not trust the gateway CA (alert 48)
rejecting() {
  in_client openssl s_client -connect "$SERVER_IP4:443" -bind "$1:0" -servername "$2" -verify_return_error \
    -CAfile "$PUBLIC_CA_CERT" </dev/null
}

# --- 1. learn_bypass false: the old entry does not tunnel, alerts teach nothing
for n in 1 2 3; do
  line=$(flow_of rejecting "$CLIENT_IP4" api.example.test)
  check_eq "$(field '.client.ip + " " + .action + " " + .policy.rule' "$line")" "$CLIENT_IP4 intercept stay inspected" \
    "learn_bypass false, alert $n: intercepted by its rule despite the old entry"
  check_eq "$(field .reason "$line")" client_rejected_certificate "learn_bypass false, alert $n: the client rejected"
done
settle
check_eq "$(learned_count)" 0 "learn_bypass false: no bypass event after three alerts"
check_eq "$(learned_metric)" 0 "learn_bypass false: tlsgate_learned_bypass_learned_total stays 0"

# --- 2. a client outside learned_bypass_clients rejects without teaching
for n in 1 2; do
  line=$(flow_of rejecting "$CLIENT_IP4_B" www.example.test)
  check_eq "$(field '.client.ip + " " + .action + " " + .reason' "$line")" \
    "$CLIENT_IP4_B intercept client_rejected_certificate" "outside the prefixes, alert $n: intercepted, rejected"
done
settle
check_eq "$(learned_count)" 0 "outside the prefixes: no bypass event"

# --- 3. a client inside the prefixes teaches: learned at once, tunnelled next time
line=$(flow_of rejecting "$CLIENT_IP4" www.example.test)
check_eq "$(field .reason "$line")" client_rejected_certificate "inside the prefixes: the client rejected"
check "inside the prefixes: a bypass event 'learned'" \
  wait_events 1 bypass ".change == \"learned\" and .client == \"$CLIENT_IP4\" and .host == \"www.example.test\""
line=$(flow_of rejecting "$CLIENT_IP4" www.example.test)
check_eq "$(field '.action + " " + .reason' "$line")" "tunnel learned_bypass" "inside the prefixes: tunnelled next time"
check_eq "$(learned_metric)" 1 "tlsgate_learned_bypass_learned_total{evidence=strong,scope=client} is 1"
line=$(flow_of rejecting "$CLIENT_IP4_B" www.example.test)
check_eq "$(field .action "$line")" intercept "the entry is the teacher's only: the other client is intercepted"

stop_tlsgate TERM
validate_log "$log"
finish
