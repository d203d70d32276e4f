#!/usr/bin/env bash
# The router's own forwarding policy still applies: the gateway re-originates
# every redirected flow, so it refuses forbidden_destinations itself (the
# metadata address 169.254.169.254 by default, and a prefix from the config)
# with a reset and no upstream connection, while an allowed destination still
# works; upstream_mark shows on the gateway's own upstream packets (nft
# counters on the gateway's output hook), and rules.sh --upstream-rules applies
# the operator's rules to them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
mark=0x1000
forbidden_ip=$EXPIRED_IP4  # a real server in the lab: only the config keeps the gateway from it
test_config default_action=tunnel connect_timeout_ms:=2000 upstream_mark:=$((mark)) \
  forbidden_destinations:="[\"127.0.0.0/8\", \"::1/128\", \"169.254.0.0/16\", \"fe80::/10\", \"$forbidden_ip/32\"]" \
  >"$work/config.json"

rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF"
# What the gateway itself sends: the output hook sees its upstream connects and
# its answers to the clients (from port 443, to theirs), never a client's packets.
table=tg_forbidden_test
in_gw nft -f - <<NFT
table inet $table {
  chain out {
    type filter hook output priority 0;
    ip daddr 169.254.169.254 counter comment "to_metadata"
    ip daddr $forbidden_ip counter comment "to_forbidden"
    tcp dport 443 meta mark $mark counter comment "marked_upstream"
    tcp dport 443 meta mark != $mark counter comment "unmarked_upstream"
  }
}
NFT
packets() { in_gw nft list chain inet "$table" out | grep "comment \"$1\"" | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

start_tlsgate "$work/config.json"
check "upstream_mark keeps cap_net_admin (startup log)" grep -q "capabilities kept: cap_net_admin" "$TLSGATE_STDERR"

# --- forbidden: refused with a reset before any upstream connect
refused() {  # $1: description, $2: URL; the client must fail promptly and the line say why
  local before start rc elapsed_ms line
  before=$(flow_count_settled)
  start=$(date +%s%N)
  set +e
  in_client curl -sS -k -m 5 -o /dev/null "$2" 2>"$work/refused.err"
  rc=$?
  set -e
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  check "$1: curl fails (rc=$rc: $(head -c 80 "$work/refused.err"))" test "$rc" -ne 0
  check "$1: the client is reset promptly (${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
  line=$(flow_after "$before")
  check_eq "$(field .reason "$line")" forbidden_destination "$1: reason"
  check_eq "$(field .action "$line")" reject "$1: action"
  check_eq "$(field .end.by "$line")" error "$1: ended by the gateway's refusal"
  check "$1: end.error names the destination" grep -q forbidden <<<"$(field .end.error "$line")"
}
refused "metadata address (a default)" "https://169.254.169.254/latest/meta-data/"
refused "metadata address, port 80" "http://169.254.169.254/"
refused "a prefix from the config" "https://$forbidden_ip/small"
check_eq "$(packets to_metadata)" 0 "no packet from the gateway to 169.254.169.254"
check_eq "$(packets to_forbidden)" 0 "no packet from the gateway to $forbidden_ip"

# --- allowed: still works, and the upstream packets carry the mark
line=$(flow_of in_client curl -sS --cacert "$PUBLIC_CA_CERT" https://www.example.test/small)
check_eq "$(field .reason "$line")" policy "allowed destination: reason"
check_eq "$(field .action "$line")" tunnel "allowed destination: action"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test/small)
check_eq "$code" 200 "allowed destination: HTTPS through the gateway"
check "upstream packets carry mark $mark ($(packets marked_upstream) counted)" test "$(packets marked_upstream)" -gt 0
check_eq "$(packets unmarked_upstream)" 0 "no unmarked upstream packet"

# --- rules.sh --upstream-rules: the operator's forward rules reach the gateway's own connects
printf '# what the router forwards from the LAN may not reach this host\nip daddr %s reject with tcp reset\n' \
  "$WRONG_NAME_IP4" >"$work/lan-egress.rules"
rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF" --upstream-mark "$mark" \
  --upstream-rules "$work/lan-egress.rules"
line=$(flow_of in_client curl -sS -k -m 5 "https://$WRONG_NAME_IP4/small")
check_eq "$(field .reason "$line")" upstream_refused "upstream rules: the gateway's connect is rejected"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test/small)
check_eq "$code" 200 "upstream rules: other destinations still pass"
rules_remove
check "rules.sh remove: no upstream chain left" bash -c "! ip netns exec $NS_GW nft list ruleset | grep -q upstream_rules"

in_gw nft delete table inet "$table"
stop_tlsgate TERM
validate_log "$log"
finish
