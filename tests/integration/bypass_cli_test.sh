#!/usr/bin/env bash
# Learned bypass, controlled while the daemon runs: a table pre-seeded in state_dir is
# loaded; `tlsgate bypass list` shows it over the control socket (0600, removed at exit);
# the seeded host is tunnelled for its client until `tlsgate bypass forget` (a `forgotten`
# event), then intercepted again; an entry expires (an `expired` event from the sweep);
# `clear` empties the table (`cleared` events) and the file follows; with the daemon
# stopped the CLI says so. Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
sock="$work/control.sock"
mkdir -p "$state"
chmod 700 "$state"
now=$(date +%s)
cat >"$state/learned-bypass.json" <<JSON
{"entries": [
  {"host": "www.example.test", "client": "$CLIENT_IP4", "why": "TLS alert 48 during the handshake", "evidence": 1,
   "learned": $now, "expires": $((now + 3600))},
  {"host": "api.example.test", "client": "$CLIENT_IP4_B", "why": "closed after the handshake without sending data",
   "evidence": 3, "learned": $now, "expires": $((now + 3600))},
  {"host": "soon.example.test", "client": "$CLIENT_IP4", "why": "short-lived", "learned": $now, "expires": $((now + 10))}
]}
JSON
test_config state_dir="$state" control_socket="$sock" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
cli() { "$TLSGATE_BIN" bypass "$@"; }
bypass_events() { events bypass ".change == \"$1\""; }
event_seen() { bypass_events "$1" | grep -q "\"host\":\"$2\""; }
wait_event() { wait_until 15 "a $1 bypass event for $2" event_seen "$1" "$2"; }

check "control socket created" test -S "$sock"
check_eq "$(stat -c %a "$sock")" 600 "control socket is mode 0600"
check "tlsgate said where the control socket is" grep -q "control socket $sock" "$TLSGATE_STDERR"

# --- list: one line per entry, or JSON
out=$(cli list --config "$work/config.json")
check_eq "$(grep -c . <<<"$out")" 3 "list: the three seeded entries"
check "list: host, client, evidence, why" grep -q "^api.example.test $CLIENT_IP4_B evidence=3 expires=.* why=closed after" <<<"$out"
json=$(cli list --socket "$sock" --json)
check_eq "$(jq -r '[.[] | .host] | join(",")' <<<"$json")" "api.example.test,soon.example.test,www.example.test" \
  "list --json: entries by host"
check_eq "$(jq -r '.[] | select(.host == "www.example.test") | .client + " " + (.evidence|tostring)' <<<"$json")" \
  "$CLIENT_IP4 1" "list --json: client and evidence"

# --- the seeded entry tunnels its client's flows; another client is still intercepted
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$state/ca.crt" >"$trust"
line=$(flow_of in_client curl -sS --cacert "$PUBLIC_CA_CERT" --interface "$CLIENT_IP4" https://www.example.test/small)
check_eq "$(field '.action + " " + .reason' "$line")" "tunnel learned_bypass" "seeded entry: tunnelled"
line=$(flow_of in_client curl -sS --cacert "$trust" --interface "$CLIENT_IP4_B" https://www.example.test/small)
check_eq "$(field .action "$line")" intercept "another client: intercepted"

# --- forget: the next flow is intercepted again, and the log says so
out=$(cli forget www.example.test --client "$CLIENT_IP4" --config "$work/config.json")
check_eq "$out" "forgot 1 entry for www.example.test and client $CLIENT_IP4" "forget: one entry"
check "forget: a forgotten event" wait_event forgotten www.example.test
event=$(bypass_events forgotten | head -n 1)
check_eq "$(field '.client + " " + .why + " " + (.evidence|tostring)' "$event")" \
  "$CLIENT_IP4 TLS alert 48 during the handshake 1" "forgotten event: client, why, evidence"
line=$(flow_of in_client curl -sS --cacert "$trust" --interface "$CLIENT_IP4" https://www.example.test/small)
check_eq "$(field '.action + " " + .reason' "$line")" "intercept policy" "after forget: intercepted again"
check_eq "$(cli forget nothing.example.test --socket "$sock")" "forgot 0 entries for nothing.example.test" \
  "forget of an unknown host: nothing to do"
check "forget --client with a bad address: a usage error" \
  bash -c '! "$0" bypass forget www.example.test --client not-an-ip --socket "$1" 2>/dev/null' "$TLSGATE_BIN" "$sock"

# --- expiry: the control thread's sweep notices it
check "the short-lived entry expires: an expired event" wait_event expired soon.example.test

# --- clear, and the file follows within the save interval
out=$(cli clear --config "$work/config.json")
check_eq "$out" "cleared 1 entry" "clear: the one entry left"
check "clear: a cleared event" wait_event cleared api.example.test
check_eq "$(cli list --socket "$sock" 2>/dev/null | wc -l)" 0 "list after clear: empty"
saved_empty() { [[ $(jq '.entries | length' "$state/learned-bypass.json") == 0 ]]; }
check "the saved file follows the table" wait_until 8 "an empty table in the saved file" saved_empty

# --- stopped: the socket is gone and the CLI says the daemon is not running
stop_tlsgate TERM
check "control socket removed at exit" test ! -e "$sock"
rc=0
err=$(cli list --config "$work/config.json" 2>&1) || rc=$?
check_eq "$rc" 2 "daemon stopped: exit status 2"
check "daemon stopped: a clear message" grep -q "is the tlsgate daemon running" <<<"$err"

validate_log "$log"
finish
