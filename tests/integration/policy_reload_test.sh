#!/usr/bin/env bash
# A policy reload reaches running flows: a tunnelled and an intercepted
# keep-alive connection, open before a reload that blocks their hosts, are both
# reset within a bounded wait and their flow lines say `policy_reload`; a
# connection to a host that stays allowed keeps working. The reload's policy
# event and the metric count the closed flows. `tlsgate policy reload` reloads
# over the control socket and prints the outcome; a broken file is refused
# with its reason (exit 1) and the previous policy stays.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
policy="$work/policy.json"
metrics=127.0.0.1:19102
write_policy() {  # $1: action for www.example.test, $2: action for api.example.test
  cat >"$policy.tmp" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "www", "host": "www.example.test", "action": "$1"},
    {"name": "api", "host": "api.example.test", "action": "$2"}
  ]
}
JSON
  mv "$policy.tmp" "$policy"
}
write_policy intercept tunnel
sock="$work/control.sock"
test_config workers:=2 policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  metrics_listen="$metrics" idle_timeout_s:=120 control_socket="$sock" >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# Three keep-alive connections, one request each: api tunnelled (the real
# certificate), www and example.test intercepted (the gateway's).
in_client "$PYTHON" "$SOURCE_DIR/tests/integration/keepalive_client.py" "$trust" "$work/ready" "$work/trigger" 5 \
  tunnelled=api.example.test intercepted=www.example.test allowed=example.test:open >"$work/result.json" &
client=$!
check "three keep-alive connections opened" wait_until 15 "the client's connections" test -e "$work/ready"
check_eq "$(flow_count)" 0 "no flow has ended yet"

# The reload (the file changes: inotify) blocks www and api.
write_policy block block
check "the reload's policy event" wait_events 1 policy
touch "$work/trigger"
wait "$client" || true
result=$(cat "$work/result.json")
echo "# client: $result"
closed_as() { jq -r ".$1" <<<"$result"; }
check "the tunnelled connection was reset ($(closed_as tunnelled))" test "$(closed_as tunnelled)" = reset
check "the intercepted connection was reset ($(closed_as intercepted))" test "$(closed_as intercepted)" = reset
check_eq "$(closed_as allowed)" "ok 200" "the connection to the host still allowed keeps working"

wait_flows 2 || true
reloaded() { flow_lines | jq -r "select(.sni == \"$1\") | [.action, .reason, .end.by] | join(\" \")"; }
check_eq "$(reloaded api.example.test)" "tunnel policy_reload error" "api: its tunnel ended by the reload"
check_eq "$(reloaded www.example.test)" "intercept policy_reload error" "www: its interception ended by the reload"
check "the end names the rule that now blocks" \
  grep -q 'blocked by policy rule www' <<<"$(flow_lines | jq -r 'select(.sni == "www.example.test") | .end.error')"
check_eq "$(events policy | jq -r '[.ok, .closed_flows] | join(" ")')" "true 2" "the policy event counts 2 closed flows"
check_eq "$(metric tlsgate_policy_reload_closed_flows_total)" 2 "the metric counts them"
check_eq "$(metric 'tlsgate_flows_total{action="tunnel",reason="policy_reload"}')" 1 "flows_total: the tunnel"
check "stderr reports the closed flows" grep -q "2 running flows refused and closed" "$TLSGATE_STDERR"

# New flows get the new policy; a reload that refuses nothing closes nothing.
err=$(in_client curl -sS -o /dev/null --cacert "$trust" https://www.example.test/small 2>&1 || true)
check "a new connection to www is refused ($err)" grep -qi "access denied" <<<"$err"
before=$(event_count policy)
kill -HUP "$TLSGATE_PID"
check "SIGHUP: a policy event" wait_events $((before + 1)) policy
check_eq "$(events policy | tail -n 1 | jq -r .closed_flows)" 0 "SIGHUP with nothing to refuse closes nothing"

# `tlsgate policy reload`: the outcome on stdout, a policy event; a broken
# file (here: a host list that does not exist) is refused and nothing changes.
before=$(event_count policy)
out=$("$TLSGATE_BIN" policy reload --config "$work/config.json" 2>&1)
check_eq "$out" "policy reloaded: 2 rules; 0 running flows refused and closed" "policy reload: the outcome"
check "policy reload: a policy event" wait_events $((before + 1)) policy
jq '.rules[0] += {"host_list": ["missing-list.txt"]}' "$policy" >"$work/broken.json"
mv "$work/broken.json" "$policy"  # the file watch refuses it too; the command says why
status=0
out=$("$TLSGATE_BIN" policy reload --socket "$sock" 2>&1) || status=$?
check_eq "$status" 1 "policy reload of a broken file: exit 1"
check "policy reload names the missing list ($out)" grep -q "missing-list.txt" <<<"$out"
check "policy reload says the previous policy stays" grep -q "the previous one stays" <<<"$out"
check "the refusal is a policy event with ok false" wait_events 1 policy '.ok == false'
err=$(in_client curl -sS -o /dev/null --cacert "$trust" https://www.example.test/small 2>&1 || true)
check "the previous policy still blocks www ($err)" grep -qi "access denied" <<<"$err"
status=0
out=$("$TLSGATE_BIN" policy reload --socket "$work/nobody.sock" 2>&1) || status=$?
check_eq "$status" 2 "policy reload without a daemon: exit 2"
check "it says the daemon cannot be reached ($out)" grep -q "is the tlsgate daemon running" <<<"$out"

stop_tlsgate TERM
check "every flow has exactly one line" test "$(flow_lines | jq -r .flow_id | sort | uniq -d | wc -l)" -eq 0
check_eq "$(flow_lines | jq -r 'select(.sni == "example.test") | .reason')" policy "the allowed flow ended on its own"
validate_log "$log"
finish
