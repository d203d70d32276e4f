#!/usr/bin/env bash
# Policy in the namespace lab: intercept, tunnel and block rules seen by real
# curl (the issuer it sees, the alert it gets), a client-CIDR rule that makes
# one LAN host tunnel while another is intercepted, a plain-TCP block (reset),
# live reload by inotify and SIGHUP under continuous traffic without breaking
# running flows or losing a line, an invalid reload that keeps the old policy,
# and `tlsgate policy check|lint`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
policy="$work/policy.json"
write_policy() {  # $1: action for api.example.test
  cat >"$policy.tmp" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "no self-signed", "host": "self-signed.example.test", "action": "block"},
    {"name": "no plain 8080", "port": [8080], "action": "block"},
    {"name": "lan host b", "client": ["$CLIENT_IP4_B/32", "$CLIENT_IP6_B/128"], "action": "tunnel"},
    {"name": "api", "host": ["api.example.test"], "action": "$1"}
  ]
}
JSON
  mv "$policy.tmp" "$policy"  # atomic, as an operator's deploy tool would do
}
write_policy tunnel
test_config workers:=2 policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  shutdown_grace_s:=5 >"$work/config.json"
rules_install --mode redirect --ports 443,8443,80,8080 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
gateway_ca="$work/state/ca.crt"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$gateway_ca" >"$trust"

lines() { [[ -f $log ]] && wc -l <"$log" || echo 0; }
# The issuer curl saw for https://HOST/small from the LAN address FROM.
issuer_seen() {  # host from
  in_client curl -sv -o /dev/null --cacert "$trust" --interface "$2" "https://$1/small" 2>&1 |
    sed -n 's/^\*  *issuer: //p'
}

# --- the tools
out=$("$TLSGATE_BIN" policy check --policy "$policy" --host api.example.test --client "$CLIENT_IP4" --port 443)
check "policy check: api is tunnelled by rule 'api' ($out)" grep -q "tunnel" <<<"$out"
out=$("$TLSGATE_BIN" policy check --policy "$policy" --host www.example.test --client "$CLIENT_IP4_B" --port 443)
check "policy check: LAN host b is tunnelled ($out)" grep -q "lan host b" <<<"$out"
check "policy lint: the test policy is clean" "$TLSGATE_BIN" policy lint "$policy"

# --- intercept, tunnel, block as curl sees them
check_eq "$(issuer_seen www.example.test "$CLIENT_IP4")" "CN=tlsgate CA" "www (default intercept): the gateway CA's certificate"
wait_flows 1
check_eq "$(jq -r .policy.rule <<<"$(last_flow)")" default "www: decided by the default"
check "api (tunnel rule): the real issuer" grep -q "Public Root CA" <<<"$(issuer_seen api.example.test "$CLIENT_IP4")"
wait_flows 2
check_eq "$(jq -r '.action + " " + .policy.rule' <<<"$(last_flow)")" "tunnel api" "api: tunnel by rule api"
err=$(in_client curl -sS -o /dev/null --cacert "$trust" https://self-signed.example.test/small 2>&1 || true)
check "self-signed (block rule): the client gets access_denied ($err)" grep -qi "access denied" <<<"$err"
wait_flows 3
check_eq "$(jq -r '.action + " " + .policy.rule' <<<"$(last_flow)")" "block no self-signed" "block logged with its rule"
set +e
in_client curl -sS -m 5 -o /dev/null "http://www.example.test:8080/small" 2>"$work/reset.err"
rc=$?
set -e
# curl sees the reset as a refused connect (7) or a failed receive (56).
check "plain TCP block: reset at once (rc=$rc: $(cat "$work/reset.err"))" test "$rc" -eq 7 -o "$rc" -eq 56
wait_flows 4
check_eq "$(jq -r '.action + " " + .policy.rule' <<<"$(last_flow)")" "block no plain 8080" "plain block logged with its rule"

# --- a client-CIDR rule: LAN host b tunnels where host a is intercepted (v4 and v6)
check "LAN host b (v4): the real issuer" grep -q "Public Root CA" <<<"$(issuer_seen www.example.test "$CLIENT_IP4_B")"
check "LAN host b (v6): the real issuer" grep -q "Public Root CA" <<<"$(issuer_seen www.example.test "$CLIENT_IP6_B")"
check_eq "$(issuer_seen www.example.test "$CLIENT_IP6")" "CN=tlsgate CA" "LAN host a (v6): intercepted"

# --- live reload under continuous traffic
settle  # every earlier flow is logged before counting
settled=$(lines) settled_flows=$(flow_count)
# A running intercepted download that must survive the reload intact.
in_client bash -c "curl -sS --limit-rate 20M --cacert $trust https://www.example.test/large | sha256sum | cut -d' ' -f1" \
  >"$work/long.sum" &
long=$!
# Continuous new flows to api for the whole reload (bounded: 60 requests).
in_client bash -c "fails=0; for i in \$(seq 1 60); do
    curl -sS -m 5 -o /dev/null --cacert $trust --interface $CLIENT_IP4 https://api.example.test/small || fails=\$((fails+1))
    sleep 0.05
  done; echo \$fails" >"$work/loop.fails" &
loop=$!
sleep 1
write_policy intercept  # inotify sees the rename
wait_events 1 policy || true
wait "$loop"
wait "$long"
check_eq "$(grep -c '"event":"policy"' "$log")" 1 "file change: one policy event"
check_eq "$(grep '"event":"policy"' "$log" | jq -r '.ok, .rules' | tr '\n' ' ')" "true 4 " "file change: reloaded, 4 rules"
check_eq "$(cat "$work/loop.fails")" 0 "continuous traffic during the reload: no request failed"
check_eq "$(cat "$work/long.sum")" "$LARGE_SHA256" "a running download survived the reload intact"
wait_flows $((settled_flows + 61)) || true
during=$(tail -n +$((settled + 1)) "$log" | grep -v '"event":"http"')
check_eq "$(wc -l <<<"$during")" 62 "every flow during the reload logged (60 requests + 1 download + 1 policy event)"
api_actions=$(jq -r 'select(.sni == "api.example.test") | .action' <<<"$during" | uniq | tr '\n' ' ')
check_eq "$api_actions" "tunnel intercept " "api flows: tunnel before the reload, intercept after, never back"
check_eq "$(issuer_seen api.example.test "$CLIENT_IP4")" "CN=tlsgate CA" "after the reload api is intercepted"

# --- an invalid file keeps the old policy, says why
printf '{"default": "intercept", "rules": [{"host": "x.example.test", "action": "explode"}]}\n' >"$policy.tmp"
mv "$policy.tmp" "$policy"
wait_events 2 policy || true
bad=$(grep '"event":"policy"' "$log" | tail -n 1)
check_eq "$(jq -r .ok <<<"$bad")" false "invalid reload: policy event ok=false"
check "invalid reload: the error names the JSON path ($(jq -r .error <<<"$bad"))" grep -q 'rules\[0\].action' <<<"$(jq -r .error <<<"$bad")"
check "invalid reload: stderr says the old policy is kept" grep -q "keeping the previous one" "$TLSGATE_STDERR"
check_eq "$(issuer_seen api.example.test "$CLIENT_IP4")" "CN=tlsgate CA" "invalid reload: api still intercepted"
check "invalid reload: self-signed still blocked" bash -c "! ip netns exec $NS_CLIENT curl -sS -o /dev/null https://self-signed.example.test/small 2>/dev/null"

# --- SIGHUP reloads too
write_policy tunnel
sleep 0.5
before=$(event_count policy)
kill -HUP "$TLSGATE_PID"
check "SIGHUP: a policy event" wait_events $((before + 1)) policy
check "after SIGHUP api is tunnelled again" grep -q "Public Root CA" <<<"$(issuer_seen api.example.test "$CLIENT_IP4")"

stop_tlsgate TERM
check "every flow line has a policy" test "$(flow_lines | jq -r 'select(.action != "reject") | .policy.rule' | grep -c null)" -eq 0
validate_log "$log"
finish
