#!/usr/bin/env bash
# What-if in the namespace lab (docs/policy.md, "Watching a rule before enforcing it" and
# "Replaying a flow log"): a block rule for api.example.test in `"mode": "log"` blocks nothing
# (curl over TLS and on port 80 gets the page, nginx logs both requests) and marks `would_block`
# on the flow line and on both http events, while www.example.test carries no mark. Then
# `tlsgate policy replay` with the rule enforced, on that recorded log (as a file and on stdin,
# text and --json), prints api's change intercept -> block (flow) and allow -> block (http) with
# the rule, and nothing for www; a bad line is counted, never fatal; usage errors exit 2.
# Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
trap 'rm -rf "$work"; lab_cleanup' EXIT
log="$work/flows.jsonl"
write_policy() {  # $1: file, $2: the api rule's extra keys
  cat >"$1" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "watch api", "host": "api.example.test", "action": "block"$2}
  ]
}
JSON
}
write_policy "$work/watch.json" ', "mode": "log"'
write_policy "$work/enforce.json" ''
test_config workers:=1 policy_file="$work/watch.json" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  http_ports:='[80]' >"$work/config.json"
rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"
nginx_log="$LAB_DIR/nginx/access.log"

# --- the tools see the log-mode rule
out=$("$TLSGATE_BIN" policy check --policy "$work/watch.json" --host api.example.test --client "$CLIENT_IP4" --port 443)
check "policy check: intercept by the default, would_block 'watch api' ($out)" \
  grep -qz 'action: intercept.*would_block: watch api' <<<"$out"
check "policy lint: the log-mode policy is clean" "$TLSGATE_BIN" policy lint "$work/watch.json"

# fetch NAME URL: curl from the client; prints the HTTP status.
fetch() {
  in_client curl -4 -sS -m 10 --cacert "$trust" -o "$work/$1.body" -w '%{http_code}' "$2"
}
flows_before=$(flow_count_settled)

# --- mode log blocks nothing: TLS (SNI) and port 80, both served by nginx
check_eq "$(fetch api-tls 'https://api.example.test/small?case=api-tls')" 200 "api over TLS: served (200)"
check_eq "$(fetch api-80 'http://api.example.test/small?case=api-80')" 200 "api on port 80: served (200)"
check_eq "$(fetch www-tls 'https://www.example.test/small?case=www-tls')" 200 "www over TLS: served (200)"
check "nginx logged api's TLS request" grep -q 'GET /small?case=api-tls ' "$nginx_log"
check "nginx logged api's port-80 request" grep -q 'GET /small?case=api-80 ' "$nginx_log"
wait_flows $((flows_before + 3))
wait_events 3 http

tls_flow=$(events flow '.sni == "api.example.test"' | tail -n 1)
check_eq "$(jq -r '[.action, .reason, .policy.rule, .policy.action, .policy.would_block] | join(" ")' <<<"$tls_flow")" \
  "intercept policy default intercept watch api" "api's TLS flow line: intercepted by the default, would_block 'watch api'"
ev=$(events http '.path == "/small?case=api-tls"')
check_eq "$(jq -r '[.action, .status, .would_block] | join(" ")' <<<"$ev")" "allow 200 watch api" \
  "api's TLS request: http event allow 200, would_block 'watch api'"
ev=$(events http '.path == "/small?case=api-80"')
check_eq "$(jq -r '[.action, .scheme, .status, .would_block] | join(" ")' <<<"$ev")" "allow http 200 watch api" \
  "api's port-80 request: http event allow 200, would_block 'watch api'"
check_eq "$(events flow '.server.port == 80' | tail -n 1 | jq -r '.action + " " + (.policy.would_block // "none")')" \
  "intercept none" "the port-80 flow line has no host, so no would_block: its request has it"
check_eq "$(jq -c 'select(.sni == "www.example.test" and (.would_block or .policy.would_block))' "$log" | wc -l)" \
  0 "www: no line carries would_block"
check_eq "$(jq -r 'select(.event == "http" and .action != "allow") | .flow_id' "$log" | wc -l)" 0 "no request was blocked"

# --- replay the recorded log with the rule enforced
settle
cp "$log" "$work/recorded.jsonl"
echo 'this line is not JSON' >>"$work/recorded.jsonl"
set +e
out=$("$TLSGATE_BIN" policy replay --policy "$work/enforce.json" "$work/recorded.jsonl" 2>"$work/replay.err")
rc=$?
set -e
echo "$out" | sed 's/^/    /'
check_eq "$rc" 0 "replay exits 0 (a bad line is not fatal)"
check "replay: api's flow intercept -> block by 'watch api'" \
  grep -qx "$CLIENT_IP4 api.example.test flow: intercept -> block by watch api (1)" <<<"$out"
check "replay: api's two requests allow -> block by 'watch api'" \
  grep -qx "$CLIENT_IP4 api.example.test http: allow -> block by watch api (2)" <<<"$out"
check_eq "$(grep -c '^[0-9a-f.:]* .*: .* -> .* by ' <<<"$out")" 2 "replay: no other change (www, the port-80 flow's addresses)"
check "replay: the header says MAC and time are unknown" grep -q "^not in a log: the client's MAC" <<<"$out"
check "replay: the bad line is counted and named" grep -q "1 bad lines" <<<"$out"
check "replay: ... with its line number" grep -qx "bad line $(wc -l <"$work/recorded.jsonl"): not JSON" <<<"$out"
json=$("$TLSGATE_BIN" policy replay --json --policy "$work/enforce.json" - <"$work/recorded.jsonl")
check_eq "$(jq -c '[.changes[] | [.client, .host, .event, .before, .after, .rule, .count]]' <<<"$json")" \
  "[[\"$CLIENT_IP4\",\"api.example.test\",\"flow\",\"intercept\",\"block\",\"watch api\",1],[\"$CLIENT_IP4\",\"api.example.test\",\"http\",\"allow\",\"block\",\"watch api\",2]]" \
  "replay --json from stdin: the same two changes"
check_eq "$(jq -r '[.bad_lines, .replayed.http, (.unknown | join(","))] | join(" ")' <<<"$json")" "1 3 client_mac,local_time" \
  "replay --json: one bad line, three http lines replayed, MAC and time unknown"
out=$("$TLSGATE_BIN" policy replay --policy "$work/watch.json" "$work/recorded.jsonl")
check "replay with the recorded policy itself: no changes" grep -qx "no changes" <<<"$out"

# --- usage and policy errors exit 2
set +e
"$TLSGATE_BIN" policy replay --policy "$work/missing.json" "$log" >/dev/null 2>"$work/err1"
rc1=$?
"$TLSGATE_BIN" policy replay --policy "$work/enforce.json" "$work/missing.jsonl" >/dev/null 2>"$work/err2"
rc2=$?
echo '{"default": "intercept", "rules": [{"action": "tunnel", "mode": "log"}]}' >"$work/bad.json"
"$TLSGATE_BIN" policy replay --policy "$work/bad.json" "$log" >/dev/null 2>"$work/err3"
rc3=$?
set -e
check_eq "$rc1 $rc2 $rc3" "2 2 2" "a missing policy, a missing log, an invalid policy: exit 2"
check "the missing log is named" grep -q "missing.jsonl: cannot open the flow log" "$work/err2"
check "the invalid mode is explained" grep -q 'rules\[0\].mode: "log" is for block rules' "$work/err3"

validate_log "$log"
finish
