#!/usr/bin/env bash
# Content scanning in the relay (docs/scanning.md): a rule's `scan` sends the HTTP/1 responses of
# its intercepted flows to a real c-icap + ClamAV (scripts/lib/scanner.sh) in the lab's server
# namespace, before a byte of them reaches the client.
#  - www.example.test (on_error block, max_bytes 6 MiB): EICAR and the custom-signature file
#    are replaced by a block page and logged infected (http event `scan`, EVE-ready, flow
#    reason content_blocked); a clean 5 MiB file arrives byte-identical (sha256); an 8 MiB file
#    (past max_bytes) is blocked; a keep-alive connection delivers the clean response before
#    the infected one; plain HTTP on port 80 goes through the same scanner.
#  - api.example.test (on_error allow, max_bytes 1 MiB): the 5 MiB file is past max_bytes and
#    delivered unscanned, byte-identical, the event saying so.
#  - c-icap stopped mid-test: www blocks, api delivers, each with the error on its event, and
#    a host without scan keeps being served.
#  - (HTTP/2 responses: h2_scan_test.sh.)
#  - Reloaded to scan www with a service that accepts connections and never answers: the
#    config's icap.scan_timeout_ms (5 s) ends the scan, on_error block.
#  - A bad `scan` object is refused at load, naming the key. Metrics count scans by result.
# Every log line is validated against the schema.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/scripts/lib/scanner.sh"

export LAB_LARGE_MB=1
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
metrics=127.0.0.1:19110
hung_pid=""
trap '[[ -n $hung_pid ]] && kill "$hung_pid" 2>/dev/null; scanner_down; rm -rf "$work"; lab_cleanup' EXIT

scanner_up "$work/scanner" "$SERVER_IP4" 1344 "$NS_SERVER" || exit 1
www="$LAB_DIR/www"
cp "$SCANNER_EICAR" "$www/eicar.com"
cp "$SCANNER_SIGNED" "$www/signed.bin"
head -c $((5 << 20)) /dev/urandom >"$www/clean-5m.bin"
head -c $((8 << 20)) /dev/urandom >"$www/big-8m.bin"
clean_sha=$(sha256sum <"$www/clean-5m.bin" | cut -d' ' -f1)

policy="$work/policy.json"
cat >"$policy" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "scan www", "host": ["www.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "max_bytes": 6291456, "on_error": "block"}},
    {"name": "scan api", "host": ["api.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "max_bytes": 1048576, "on_error": "allow"}},
    {"name": "scan port 80", "port": [80], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "on_error": "block"}}
  ]
}
JSON

# --- a bad scan object is refused at load, naming the key
jq '.rules[0].scan.max_bytes = 0' "$policy" >"$work/bad.json"
out=$("$TLSGATE_BIN" policy check --policy "$work/bad.json" --host www.example.test 2>&1)
check "load: a bad scan.max_bytes is refused, naming the rule and key ($out)" \
  grep -q 'rules\[0\]\.scan\.max_bytes: must be' <<<"$out"
jq '.rules[1].action = "tunnel"' "$policy" >"$work/bad.json"
out=$("$TLSGATE_BIN" policy check --policy "$work/bad.json" --host www.example.test 2>&1)
check "load: scan on a tunnel rule is refused ($out)" grep -q 'rules\[1\]\.scan: needs action "intercept"' <<<"$out"

test_config policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  http_ports:='[80]' metrics_listen="$metrics" icap:='{"scan_timeout_ms": 5000}' >"$work/config.json"
rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json" || exit 1
# At start the gateway asks each scan service for its OPTIONS and says on stderr how it went.
check "start: stderr says the scan service is ready, naming its rules" wait_until 10 "the ICAP probe line" \
  grep -q "ICAP service $SCANNER_SERVICE ready: methods .*RESPMOD.*(for rules\[0\] (scan www), rules\[1\] (scan api)" \
  "$TLSGATE_STDERR"
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# get NAME URL [CURL ARGS...]: the body in $work/NAME.body, status lines in $work/NAME.out; prints the flow line.
get() {
  local name=$1 url=$2
  shift 2
  local before
  before=$(flow_count_settled)
  in_client curl -sS -m 30 --http1.1 --cacert "$trust" -o "$work/$name.body" -w 'status=%{http_code}\n' \
    "$@" "$url" >"$work/$name.out" 2>&1
  flow_after "$before"
}
status() { sed -n 's/^status=//p' "$work/$1.out" | tr '\n' ' ' | sed 's/ $//'; }
body_sha() { sha256sum <"$work/$1.body" | cut -d' ' -f1; }
# The http event of PATH in flow ID.
http_event() { events http ".flow_id == $1 and .path == \"$2\"" | head -n 1 | grep . || echo "{}"; }
scan_of() { field '[.scan.result, .scan.threat // "-", .scan.on_error // "-"] | join(" ")' "$1"; }

# --- downloads through an intercepted flow, HTTP/1.1
line=$(get eicar https://www.example.test/eicar.com)
id=$(field .flow_id "$line")
check_eq "$(status eicar)" 403 "EICAR: the client gets 403"
check "EICAR: the test string never arrives" bash -c "! grep -qF 'EICAR-STANDARD-ANTIVIRUS' '$work/eicar.body'"
check "EICAR: a block page instead" grep -qi 'virus\|blocked' "$work/eicar.body"
ev=$(http_event "$id" /eicar.com)
check_eq "$(scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "EICAR: http event scan infected, with the threat"
check_eq "$(field .scan.service "$ev")" "$SCANNER_SERVICE" "EICAR: the event names the service"
check_eq "$(field .reason "$line")" content_blocked "EICAR: flow reason content_blocked"

line=$(get signed https://www.example.test/signed.bin)
ev=$(http_event "$(field .flow_id "$line")" /signed.bin)
check_eq "$(status signed)" 403 "custom signature: the client gets 403"
check "custom signature: the file never arrives" bash -c "! cmp -s '$www/signed.bin' '$work/signed.body'"
check_eq "$(scan_of "$ev")" "infected $SCANNER_SIGNED_THREAT -" "custom signature: http event scan infected"

line=$(get clean https://www.example.test/clean-5m.bin)
ev=$(http_event "$(field .flow_id "$line")" /clean-5m.bin)
check_eq "$(status clean)" 200 "clean 5 MiB: 200"
check_eq "$(body_sha clean)" "$clean_sha" "clean 5 MiB: byte-identical (sha256)"
check_eq "$(scan_of "$ev")" "clean - -" "clean 5 MiB: http event scan clean"
check "clean 5 MiB: the scan took some ms ($(field .scan.ms "$ev"))" test "$(field .scan.ms "$ev")" -ge 0

# keep-alive: the clean response is delivered, then the infected one is replaced and the connection closes
before=$(flow_count_settled)
in_client curl -sS -m 30 --http1.1 --cacert "$trust" -w 'status=%{http_code}\n' \
  -o "$work/keepalive.body" https://www.example.test/small -o /dev/null https://www.example.test/eicar.com \
  >"$work/keepalive.out" 2>&1
id=$(field .flow_id "$(flow_after "$before")")
check_eq "$(status keepalive)" "200 403" "keep-alive: 200, then 403 on the same connection"
check "keep-alive: the clean file arrived intact" cmp -s "$www/small" "$work/keepalive.body"
check_eq "$(scan_of "$(http_event "$id" /small)")" "clean - -" "keep-alive: the first response scanned clean"
check_eq "$(scan_of "$(http_event "$id" /eicar.com)")" "infected $SCANNER_EICAR_THREAT -" "keep-alive: the second infected"

# past max_bytes (6 MiB) under on_error block: blocked, and the event says why
line=$(get big https://www.example.test/big-8m.bin)
ev=$(http_event "$(field .flow_id "$line")" /big-8m.bin)
check_eq "$(status big)" 403 "8 MiB past max_bytes, on_error block: 403"
check_eq "$(scan_of "$ev")" "error - block" "8 MiB past max_bytes: http event scan error, on_error block"
check "8 MiB past max_bytes: the event says max_bytes ($(field .scan.detail "$ev"))" \
  grep -q 'past max_bytes' <<<"$(field .scan.detail "$ev")"

# past max_bytes (1 MiB) under on_error allow: delivered unscanned, byte-identical
line=$(get allow https://api.example.test/clean-5m.bin)
ev=$(http_event "$(field .flow_id "$line")" /clean-5m.bin)
check_eq "$(status allow)" 200 "api, 5 MiB past max_bytes, on_error allow: 200"
check_eq "$(body_sha allow)" "$clean_sha" "api, past max_bytes: byte-identical (sha256)"
check_eq "$(scan_of "$ev")" "error - allow" "api, past max_bytes: http event scan error, on_error allow"

# plain HTTP on port 80: the same scanner (its requests' hosts are decided one by one: the flow's
# rule, the one that scans, is the port's)
line=$(get plain http://www.example.test/eicar.com)
ev=$(http_event "$(field .flow_id "$line")" /eicar.com)
check_eq "$(status plain)" 403 "port 80, EICAR: 403"
check "port 80, EICAR: the test string never arrives" bash -c "! grep -qF 'EICAR-STANDARD-ANTIVIRUS' '$work/plain.body'"
check_eq "$(scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "port 80, EICAR: http event scan infected"

check "metrics: infected scans counted" test "$(metric 'tlsgate_scans_total{method="respmod",result="infected",delivered="no"}')" -ge 4
check "metrics: clean scans counted" test "$(metric 'tlsgate_scans_total{method="respmod",result="clean",delivered="yes"}')" -ge 2

# --- the ICAP server stops: on_error decides, the gateway keeps serving
scanner_stop_icap
line=$(get down-block https://www.example.test/small)
ev=$(http_event "$(field .flow_id "$line")" /small)
check_eq "$(status down-block)" 403 "c-icap stopped, on_error block: 403"
check_eq "$(scan_of "$ev")" "error - block" "c-icap stopped, on_error block: http event scan error"
check "c-icap stopped: the event says why ($(field .scan.detail "$ev"))" test -n "$(field '.scan.detail // ""' "$ev")"
line=$(get down-allow https://api.example.test/small)
ev=$(http_event "$(field .flow_id "$line")" /small)
check_eq "$(status down-allow)" 200 "c-icap stopped, on_error allow: 200"
check "c-icap stopped, on_error allow: the file arrived intact" cmp -s "$www/small" "$work/down-allow.body"
check_eq "$(scan_of "$ev")" "error - allow" "c-icap stopped, on_error allow: http event scan error"
line=$(get unscanned https://example.test/small)
check_eq "$(status unscanned)" 200 "c-icap stopped: a host without scan is served"
check "c-icap stopped: its event has no scan" test "$(field '.scan // "none"' "$(http_event "$(field .flow_id "$line")" /small)")" = none
check "tlsgate still running" kill -0 "$TLSGATE_PID"

# --- an ICAP server that accepts and never answers: the scan ends at icap.scan_timeout_ms
# (`ip netns exec` execs python, so $! is the listener's own PID)
ip netns exec "$NS_SERVER" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$SERVER_IP4"'", 1345)); s.listen(64); time.sleep(300)' &
hung_pid=$!
scanner_wait 10 "the hung listener" ip netns exec "$NS_SERVER" bash -c "ss -Hltn 'sport = :1345' | grep -q LISTEN" || exit 1
jq --arg service "icap://$SERVER_IP4:1345/avscan" '.rules[0].scan.service = $service' "$policy" >"$work/hung.json"
cp "$work/hung.json" "$policy"
check "reload: www now scans with the silent service" "$TLSGATE_BIN" policy reload --config "$work/config.json"
check "reload: stderr names the silent service and the rule that follows on_error" wait_until 15 "the probe's warning" \
  grep -q "ICAP service icap://$SERVER_IP4:1345/avscan: no OPTIONS (.*within 5000 ms); the scans of rules\[0\] (scan www) follow their on_error" \
  "$TLSGATE_STDERR"
line=$(get hung https://www.example.test/small)
ev=$(http_event "$(field .flow_id "$line")" /small)
check_eq "$(status hung)" 403 "a silent ICAP service, on_error block: 403"
check_eq "$(scan_of "$ev")" "error - block" "a silent ICAP service: http event scan error"
check "a silent ICAP service: ended by icap.scan_timeout_ms ($(field .scan.detail "$ev"))" \
  grep -q "within 5000 ms" <<<"$(field '.scan.detail // ""' "$ev")"
kill "$hung_pid" 2>/dev/null
wait "$hung_pid" 2>/dev/null
hung_pid=""

stop_tlsgate
validate_log "$log"
finish
