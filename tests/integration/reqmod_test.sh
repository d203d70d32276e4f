#!/usr/bin/env bash
# Content scanning of uploads (REQMOD, docs/scanning.md): a rule's `scan` with `reqmod` holds each
# HTTP/1 request body of its intercepted flows (and of plain HTTP on port 80) and sends it to a
# real c-icap + ClamAV (scripts/lib/scanner.sh) before a byte of the request reaches nginx, whose
# /upload keeps every body it receives (scripts/lab_roles.sh: DIR/nginx/uploads).
#  - www.example.test (reqmod and respmod, on_error block, max_bytes 6 MiB): a clean 5 MiB POST
#    (Content-Length) and a clean 3 MiB chunked POST arrive byte-identical (sha256); EICAR and the
#    custom-signature file are blocked: the client gets c-icap's page, nginx never sees the
#    request, the http line says block / content_blocked with `request_scan` infected, the flow
#    content_blocked; 8 MiB (past max_bytes) is blocked with tlsgate's page; a GET has no
#    request_scan; Expect: 100-continue completes; a clean upload, then an infected one on the
#    same keep-alive connection: the first arrives.
#  - api.example.test (reqmod only, on_error allow, max_bytes 1 MiB): 5 MiB is past max_bytes and
#    forwarded unscanned, byte-identical; a client offering h2 gets HTTP/1.1.
#  - port 80: an EICAR upload blocked, a clean one forwarded.
#  - behind a request gate (a blocking host rule loaded by SIGHUP): the same, the gate first; on
#    port 80 the first request of a connection too.
#  - c-icap stopped: www blocks, api forwards, each with the error on its line.
#  - flow_log_format eve: an infected upload's http line is an alert, and matches the EVE schema.
# Every client connection ends in exactly one flow line; every log line matches the schema.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/scripts/lib/scanner.sh"

export LAB_LARGE_MB=1
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
metrics=127.0.0.1:19111
trap 'scanner_down; [[ -n ${KEEP_LOG:-} ]] && cp "$log" "$KEEP_LOG"; rm -rf "$work"; lab_cleanup' EXIT

scanner_up "$work/scanner" "$SERVER_IP4" 1344 "$NS_SERVER" || exit 1
uploads="$LAB_DIR/nginx/uploads"
access_log="$LAB_DIR/nginx/access.log"
head -c $((5 << 20)) /dev/urandom >"$work/clean-5m.bin"
head -c $((3 << 20)) /dev/urandom >"$work/clean-3m.bin"
head -c $((8 << 20)) /dev/urandom >"$work/big-8m.bin"
head -c 20000 /dev/urandom >"$work/small.bin"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# How many bodies nginx kept with the sha256 of FILE.
arrived() { local want n=0 f; want=$(sha "$1"); for f in "$uploads"/*; do [[ -f $f && $(sha "$f") == "$want" ]] && n=$((n + 1)); done; echo "$n"; }
# Whether any body nginx kept holds the EICAR string.
eicar_arrived() { grep -rqF 'EICAR-STANDARD-ANTIVIRUS' "$uploads" 2>/dev/null; }

policy="$work/policy.json"
cat >"$policy" <<JSON
{
  "default": "intercept",
  "rules": [
    {"name": "scan www", "host": ["www.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "reqmod": true, "max_bytes": 6291456, "on_error": "block"}},
    {"name": "scan api uploads", "host": ["api.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "respmod": false, "reqmod": true, "max_bytes": 1048576,
              "on_error": "allow"}},
    {"name": "scan port 80", "port": [80], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "respmod": false, "reqmod": true, "on_error": "block"}}
  ]
}
JSON

test_config policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  http_ports:='[80]' metrics_listen="$metrics" >"$work/config.json"
rules_install --mode redirect --ports 443,80 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json" || exit 1
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# Client connections made (a file: upload runs in a subshell).
client_ran() { echo >>"$work/clients"; }
# upload NAME URL FILE [CURL ARGS...]: POSTs FILE; the answer in $work/NAME.body, the status in
# $work/NAME.out; prints the flow line.
upload() {
  local name=$1 url=$2 file=$3
  shift 3
  local before
  before=$(flow_count_settled)
  client_ran
  in_client curl -sS -m 60 --http1.1 --cacert "$trust" -o "$work/$name.body" -w 'status=%{http_code} time=%{time_total}\n' \
    -H 'Content-Type: application/octet-stream' --data-binary @"$file" "$@" "$url" >"$work/$name.out" 2>&1
  flow_after "$before"
}
status() { sed -n 's/^status=\([0-9]*\).*/\1/p' "$work/$1.out" | tr '\n' ' ' | sed 's/ $//'; }
# The http event of PATH (with its query) in flow ID.
http_event() { events http ".flow_id == $1 and .path == \"$2\"" | head -n 1 | grep . || echo "{}"; }
request_scan_of() { field '[.request_scan.result, .request_scan.threat // "-", .request_scan.on_error // "-"] | join(" ")' "$1"; }
never_reached() { ! grep -qF "$1" "$access_log"; }

# --- clean uploads through an intercepted flow arrive byte-identical
line=$(upload clean https://www.example.test/upload?case=clean "$work/clean-5m.bin" -H 'Expect:')
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=clean")
check_eq "$(status clean)" 200 "clean 5 MiB POST: 200"
check_eq "$(arrived "$work/clean-5m.bin")" 1 "clean 5 MiB POST: nginx got it byte-identical (sha256)"
check_eq "$(request_scan_of "$ev")" "clean - -" "clean 5 MiB POST: http line request_scan clean"
check_eq "$(field .request_scan.service "$ev")" "$SCANNER_SERVICE" "clean 5 MiB POST: the line names the service"
check_eq "$(field .scan.result "$ev")" clean "clean 5 MiB POST: the response is scanned too (scan)"
check_eq "$(field .action "$ev")" allow "clean 5 MiB POST: action allow"

line=$(upload chunked https://www.example.test/upload?case=chunked "$work/clean-3m.bin" -H 'Transfer-Encoding: chunked')
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=chunked")
check_eq "$(status chunked)" 200 "clean 3 MiB chunked POST: 200"
check_eq "$(arrived "$work/clean-3m.bin")" 1 "clean 3 MiB chunked POST: nginx got it byte-identical (sha256)"
check_eq "$(request_scan_of "$ev")" "clean - -" "clean 3 MiB chunked POST: request_scan clean"

# Expect: 100-continue: the request is held until its body came, so the client sends its body
# after its own wait (curl: 1 s); the server's 100 still reaches it.
line=$(upload expect https://www.example.test/upload?case=expect "$work/small.bin" -H 'Expect: 100-continue')
check_eq "$(status expect)" 200 "Expect: 100-continue: 200"
expect_s=$(sed -n 's/.*time=//p' "$work/expect.out")
check "Expect: 100-continue: done after curl's own wait, no hang (${expect_s} s)" awk -v t="$expect_s" 'BEGIN { exit !(t < 10) }'
check_eq "$(arrived "$work/small.bin")" 1 "Expect: 100-continue: nginx got the body"
check_eq "$(request_scan_of "$(http_event "$(field .flow_id "$line")" "/upload?case=expect")")" "clean - -" \
  "Expect: 100-continue: request_scan clean"

# --- infected uploads never reach nginx
line=$(upload eicar https://www.example.test/upload?case=eicar "$SCANNER_EICAR")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=eicar")
check_eq "$(status eicar)" 403 "EICAR POST: the client gets 403"
check "EICAR POST: c-icap's page" grep -qi 'virus found' "$work/eicar.body"
check "EICAR POST: nginx never saw the request" never_reached "case=eicar"
check "EICAR POST: no body nginx kept holds it" bash -c "! grep -rqF 'EICAR-STANDARD-ANTIVIRUS' '$uploads'"
check_eq "$(request_scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "EICAR POST: request_scan infected, with the threat"
check_eq "$(field '[.action, .reason, .rule, .status, .method, .authority] | join(" ")' "$ev")" \
  "block content_blocked scan www 403 POST www.example.test" "EICAR POST: http line block / content_blocked, 403"
check_eq "$(field .reason "$line")" content_blocked "EICAR POST: flow reason content_blocked"
check_eq "$(field .http.blocked "$line")" 1 "EICAR POST: the flow line counts it in http.blocked"

signed_before=$(arrived "$SCANNER_SIGNED")
line=$(upload signed https://www.example.test/upload?case=signed "$SCANNER_SIGNED" -H 'Transfer-Encoding: chunked')
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=signed")
check_eq "$(status signed)" 403 "custom signature, chunked: 403"
check "custom signature: nginx never saw the request" never_reached "case=signed"
check_eq "$(arrived "$SCANNER_SIGNED")" "$signed_before" "custom signature: no body nginx kept is the file"
check_eq "$(request_scan_of "$ev")" "infected $SCANNER_SIGNED_THREAT -" "custom signature: request_scan infected"

# keep-alive: a clean upload is forwarded, then an infected one on the same connection is blocked
before=$(flow_count_settled)
client_ran
in_client curl -sS -m 30 --http1.1 --cacert "$trust" -w 'status=%{http_code}\n' -H 'Expect:' \
  --data-binary @"$work/small.bin" -o /dev/null "https://www.example.test/upload?case=ka-clean" --next \
  --cacert "$trust" -w 'status=%{http_code}\n' --data-binary @"$SCANNER_EICAR" -o /dev/null \
  "https://www.example.test/upload?case=ka-eicar" \
  >"$work/keepalive.out" 2>&1
line=$(flow_after "$before")
id=$(field .flow_id "$line")
check_eq "$(status keepalive)" "200 403" "keep-alive: 200, then 403 on the same connection"
check_eq "$(arrived "$work/small.bin")" 2 "keep-alive: the clean upload arrived"
check "keep-alive: the infected one never reached nginx" never_reached "case=ka-eicar"
check_eq "$(request_scan_of "$(http_event "$id" "/upload?case=ka-clean")")" "clean - -" "keep-alive: first clean"
check_eq "$(request_scan_of "$(http_event "$id" "/upload?case=ka-eicar")")" "infected $SCANNER_EICAR_THREAT -" \
  "keep-alive: second infected"

# a request without a body has no request_scan
before=$(flow_count_settled)
client_ran
in_client curl -sS -m 30 --http1.1 --cacert "$trust" -o /dev/null https://www.example.test/small
ev=$(http_event "$(field .flow_id "$(flow_after "$before")")" /small)
check_eq "$(field '.request_scan // "none"' "$ev")" none "GET: no request_scan"
check_eq "$(field .scan.result "$ev")" clean "GET: its response scanned (scan)"

# --- past max_bytes: on_error block (www, 6 MiB) and allow (api, 1 MiB)
# (curl's own Expect: 100-continue: the 403 comes before any body byte. A client that sends the body
# without waiting may get a reset instead of the page: the gateway closes without draining it.)
line=$(upload big https://www.example.test/upload?case=big "$work/big-8m.bin")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=big")
check_eq "$(status big)" 403 "8 MiB past max_bytes, on_error block: 403"
check "8 MiB past max_bytes: tlsgate's block page" grep -qi 'tlsgate' "$work/big.body"
check "8 MiB past max_bytes: nginx never saw the request" never_reached "case=big"
check_eq "$(request_scan_of "$ev")" "error - block" "8 MiB past max_bytes: request_scan error, on_error block"
check "8 MiB past max_bytes: the line says max_bytes ($(field .request_scan.detail "$ev"))" \
  grep -q 'past max_bytes' <<<"$(field .request_scan.detail "$ev")"

line=$(upload allow https://api.example.test/upload?case=allow "$work/clean-5m.bin" -H 'Expect:')
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=allow")
check_eq "$(status allow)" 200 "api, 5 MiB past max_bytes, on_error allow: 200"
check_eq "$(arrived "$work/clean-5m.bin")" 2 "api, past max_bytes: forwarded byte-identical (sha256)"
check_eq "$(request_scan_of "$ev")" "error - allow" "api, past max_bytes: request_scan error, on_error allow"
check_eq "$(field '.scan // "none"' "$ev")" none "api (respmod false): no scan of the response"

# a client offering h2 to a host whose rule scans only uploads gets HTTP/1.1, and is scanned
line=$(upload h2 https://api.example.test/upload?case=h2 "$SCANNER_EICAR" --http2)
check_eq "$(field .tls.client.negotiated.alpn "$line")" http/1.1 "reqmod only, client offering h2: HTTP/1.1"
check_eq "$(status h2)" 403 "reqmod only, client offering h2, EICAR: 403"

# --- plain HTTP on port 80
line=$(upload plain http://www.example.test/upload?case=plain-eicar "$SCANNER_EICAR")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=plain-eicar")
check_eq "$(status plain)" 403 "port 80, EICAR POST: 403"
check "port 80, EICAR POST: nginx never saw it" never_reached "case=plain-eicar"
check_eq "$(request_scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "port 80, EICAR POST: request_scan infected"
check_eq "$(field .scheme "$ev")" http "port 80, EICAR POST: scheme http"
check_eq "$(field .reason "$line")" content_blocked "port 80, EICAR POST: flow reason content_blocked"
head -c 30000 /dev/urandom >"$work/plain.bin"
line=$(upload plain-clean http://www.example.test/upload?case=plain-clean "$work/plain.bin")
check_eq "$(status plain-clean)" 200 "port 80, clean POST: 200"
check_eq "$(arrived "$work/plain.bin")" 1 "port 80, clean POST: nginx got it byte-identical"
check_eq "$(request_scan_of "$(http_event "$(field .flow_id "$line")" "/upload?case=plain-clean")")" "clean - -" \
  "port 80, clean POST: request_scan clean"

# a client that leaves in the middle of its upload: under on_error block nothing of it goes on
before=$(flow_count_settled)
client_ran
in_client "$PYTHON" -c '
import socket, time
s = socket.create_connection(("www.example.test", 80), timeout=10)
s.sendall(b"POST /upload?case=cut HTTP/1.1\r\nHost: www.example.test\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)
time.sleep(0.5)
s.close()
'
line=$(flow_after "$before")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=cut")
check "cut short: nginx never saw it" never_reached "case=cut"
check_eq "$(field '[.action, .reason, (.status | tostring), .request_scan.result, .request_scan.on_error, .request_scan.detail] | join(" ")' "$ev")" \
  "block content_blocked null error block closed before the request ended" \
  "cut short: its line says withheld, no status, closed before the request ended"

check "metrics: infected uploads counted" \
  test "$(metric 'tlsgate_scans_total{method="reqmod",result="infected",delivered="no"}')" -ge 5
check "metrics: clean uploads counted" \
  test "$(metric 'tlsgate_scans_total{method="reqmod",result="clean",delivered="yes"}')" -ge 5
check "metrics: responses counted apart" \
  test "$(metric 'tlsgate_scans_total{method="respmod",result="clean",delivered="yes"}')" -ge 1

# --- with a request gate in front (a host rule that blocks makes every request answer to the
# policy): the scanner sees what the gate forwards; on port 80 the first request, too
jq '.rules += [{"name": "no evil", "host": ["evil.example.test"], "action": "block"}]' "$policy" >"$work/gated.json"
mv "$work/gated.json" "$policy"
kill -HUP "$TLSGATE_PID"
check "policy reloaded with a blocking host rule" wait_events 1 policy '.ok == true'
line=$(upload gated-eicar https://www.example.test/upload?case=gated-eicar "$SCANNER_EICAR")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=gated-eicar")
check_eq "$(status gated-eicar)" 403 "behind the gate, EICAR POST: 403"
check "behind the gate, EICAR POST: nginx never saw it" never_reached "case=gated-eicar"
check_eq "$(request_scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "behind the gate, EICAR POST: request_scan infected"
head -c $((2 << 20)) /dev/urandom >"$work/gated.bin"
line=$(upload gated-clean https://www.example.test/upload?case=gated-clean "$work/gated.bin" -H 'Transfer-Encoding: chunked')
check_eq "$(status gated-clean)" 200 "behind the gate, clean 2 MiB chunked POST: 200"
check_eq "$(arrived "$work/gated.bin")" 1 "behind the gate, clean 2 MiB chunked POST: byte-identical"
line=$(upload gated-plain http://www.example.test/upload?case=gated-plain "$SCANNER_EICAR")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=gated-plain")
check_eq "$(status gated-plain)" 403 "port 80 behind the gate, EICAR as the first request: 403"
check "port 80 behind the gate, EICAR: nginx never saw it" never_reached "case=gated-plain"
check_eq "$(request_scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "port 80 behind the gate, EICAR: request_scan infected"
check_eq "$(field .reason "$line")" content_blocked "port 80 behind the gate, EICAR: flow reason content_blocked"
head -c 200000 /dev/urandom >"$work/gated-plain.bin"
line=$(upload gated-plain-clean http://www.example.test/upload?case=gated-plain-clean "$work/gated-plain.bin")
check_eq "$(status gated-plain-clean)" 200 "port 80 behind the gate, clean 200 KB POST: 200"
check_eq "$(arrived "$work/gated-plain.bin")" 1 "port 80 behind the gate, clean 200 KB POST: byte-identical"

# --- the ICAP server stops: on_error decides, the gateway keeps serving
scanner_stop_icap
head -c 10000 /dev/urandom >"$work/down.bin"
line=$(upload down-block https://www.example.test/upload?case=down-block "$work/down.bin")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=down-block")
check_eq "$(status down-block)" 403 "c-icap stopped, on_error block: 403"
check "c-icap stopped, on_error block: nginx never saw it" never_reached "case=down-block"
check_eq "$(request_scan_of "$ev")" "error - block" "c-icap stopped, on_error block: request_scan error"
check "c-icap stopped: the line says why ($(field .request_scan.detail "$ev"))" \
  test -n "$(field '.request_scan.detail // ""' "$ev")"
line=$(upload down-allow https://api.example.test/upload?case=down-allow "$work/down.bin")
ev=$(http_event "$(field .flow_id "$line")" "/upload?case=down-allow")
check_eq "$(status down-allow)" 200 "c-icap stopped, on_error allow: 200"
check_eq "$(arrived "$work/down.bin")" 1 "c-icap stopped, on_error allow: forwarded byte-identical"
check_eq "$(request_scan_of "$ev")" "error - allow" "c-icap stopped, on_error allow: request_scan error"
line=$(upload unscanned https://example.test/upload?case=unscanned "$work/down.bin")
check_eq "$(status unscanned)" 200 "c-icap stopped: a host without scan is served"
check "tlsgate still running" kill -0 "$TLSGATE_PID"

settle
check_eq "$(flow_count)" "$(wc -l <"$work/clients")" "every client connection ended in exactly one flow line"
stop_tlsgate
validate_log "$log"

# --- EVE: an infected upload is an alert
scanner_start_icap
eve="$work/eve.jsonl"
test_config flow_log="$eve" flow_log_format=eve policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" \
  learned_bypass:=false http_ports:='[80]' >"$work/config-eve.json"
start_tlsgate "$work/config-eve.json" || exit 1
in_client curl -sS -m 30 --http1.1 --cacert "$trust" -o /dev/null -H 'Content-Type: application/octet-stream' \
  --data-binary @"$SCANNER_EICAR" "https://www.example.test/upload?case=eve" >/dev/null 2>&1
eve_alert() { jq -c 'select(.event_type == "http" and .http.url == "/upload?case=eve")' "$eve" 2>/dev/null | grep -q alert; }
wait_until 10 "the upload's EVE http line" eve_alert || true
stop_tlsgate
alert=$(jq -c 'select(.event_type == "http" and .http.url == "/upload?case=eve") | .alert' "$eve")
check_eq "$(jq -r '[.action, .signature, .category] | join(" | ")' <<<"$alert")" \
  "blocked | tlsgate content scan: $SCANNER_EICAR_THREAT | Malware" "EVE: the infected upload is an alert"
if "$PYTHON" "$SOURCE_DIR/tests/integration/validate_log.py" "$SOURCE_DIR/docs/eve.schema.json" "$eve"; then
  pass "every EVE line matches docs/eve.schema.json"
else
  fail "EVE lines match docs/eve.schema.json"
fi
finish
