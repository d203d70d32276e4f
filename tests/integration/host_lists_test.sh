#!/usr/bin/env bash
# Host lists and client groups in the namespace lab: a 1,000,000-line host list
# blocks a listed host and lets an unlisted one through (curl over TLS with
# SNI); `tlsgate policy check` names the list file and line; a missing list on
# SIGHUP keeps the previous policy and names the file; a client group by MAC
# (the lab client's MAC, read from its interface) decides, and a group with
# another MAC does not.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
policy="$work/policy.json"
list="$work/lists/ads.txt"
mkdir -p "$work/lists"

# A million names in hosts-file form; api.example.test half way down, as an adblock rule.
awk 'BEGIN { print "# generated"; for (i = 0; i < 1000000; i++) {
  if (i == 500000) print "||api.example.test^"; else printf "0.0.0.0 host%d.list.example\n", i } }' >"$list"
listed_line=$(grep -n '^||api.example.test^$' "$list" | cut -d: -f1)
client_mac=$(in_client cat /sys/class/net/eth0/address)

write_policy() {  # $1: the MAC of the group "lab-client"; $2: the list path
  cat >"$policy.tmp" <<JSON
{
  "default": "intercept",
  "groups": {"lab-client": {"macs": ["$1"]}},
  "rules": [
    {"name": "by-mac", "client_group": "lab-client", "host": "www.example.test", "action": "tunnel"},
    {"name": "ads", "host_list": "$2", "action": "block"}
  ]
}
JSON
  mv "$policy.tmp" "$policy"
}
write_policy "$client_mac" lists/ads.txt

# --- the tools
out=$("$TLSGATE_BIN" policy check --stats --policy "$policy" --host api.example.test)
echo "# $(head -n 1 <<<"$out")"
check "policy check: api is blocked by rule ads ($(tr '\n' ' ' <<<"$out"))" grep -q "rule: ads (rules\[1\])" <<<"$out"
check "policy check: names the list file and line" \
  grep -qF "matched: api.example.test by $work/lists/ads.txt:$listed_line: ||api.example.test^" <<<"$out"
check "policy check: the MAC group decides for the lab client's MAC" \
  grep -q "rule: by-mac" <<<"$("$TLSGATE_BIN" policy check --policy "$policy" --host www.example.test --mac "$client_mac")"
check "policy lint: clean" "$TLSGATE_BIN" policy lint "$policy"

test_config policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"
issuer_seen() { in_client curl -sv -o /dev/null --cacert "$trust" "https://$1/small" 2>&1 | sed -n 's/^\*  *issuer: //p'; }

# --- the list: listed blocked, unlisted through
err=$(in_client curl -sS -o /dev/null --cacert "$trust" https://api.example.test/small 2>&1 || true)
check "listed host: the client gets access_denied ($err)" grep -qi "access denied" <<<"$err"
wait_flows 1
check_eq "$(jq -r '.action + " " + .policy.rule + " " + .host' <<<"$(last_flow)")" "block ads api.example.test" \
  "listed host: blocked by rule ads"
check_eq "$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$trust" https://example.test/small)" 200 \
  "unlisted host: served through the gateway"
wait_flows 2
check_eq "$(jq -r '.action + " " + .policy.rule' <<<"$(last_flow)")" "intercept default" "unlisted host: intercepted by default"

# --- the MAC group: the neighbour table is read within a second of a miss
by_mac() {
  issuer_seen www.example.test >/dev/null
  settle
  [[ $(jq -r .policy.rule <<<"$(last_flow)") == by-mac ]]
}
check "client group by MAC: www is tunnelled for the lab client's MAC" wait_until 10 "a flow decided by-mac" by_mac
check "client group by MAC: the real issuer" grep -q "Public Root CA" <<<"$(issuer_seen www.example.test)"

# --- reload: another MAC does not match; a missing list keeps the previous policy
write_policy "02:00:00:00:00:01" lists/ads.txt
before=$(event_count policy)
kill -HUP "$TLSGATE_PID"
check "SIGHUP: a policy event" wait_until 30 "a policy event (a 1,000,000-name list reloads)" events_at_least $((before + 1)) policy
check_eq "$(issuer_seen www.example.test)" "CN=tlsgate CA" "a group with another MAC: www intercepted"
write_policy "$client_mac" lists/missing.txt
before=$(event_count policy)
kill -HUP "$TLSGATE_PID"
check "SIGHUP with a missing list: a policy event" wait_until 30 "a policy event" events_at_least $((before + 1)) policy
bad=$(grep '"event":"policy"' "$log" | tail -n 1)
check_eq "$(jq -r .ok <<<"$bad")" false "missing list: policy event ok=false"
check "missing list: the error names the file ($(jq -r .error <<<"$bad"))" \
  grep -qF "$work/lists/missing.txt: cannot open the host list" <<<"$(jq -r .error <<<"$bad")"
check_eq "$(issuer_seen www.example.test)" "CN=tlsgate CA" "missing list: the previous policy still decides"
err=$(in_client curl -sS -o /dev/null --cacert "$trust" https://api.example.test/small 2>&1 || true)
check "missing list: the listed host is still blocked" grep -qi "access denied" <<<"$err"

stop_tlsgate TERM
validate_log "$log"
finish
