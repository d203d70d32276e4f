#!/usr/bin/env bash
# Content scanning of HTTP/2 responses (docs/scanning.md): intercepted flows that negotiated h2
# on both legs, their response bodies held per stream and sent to a real c-icap + ClamAV
# (scripts/lib/scanner.sh) before any of their DATA reaches the client.
#  - www.example.test (on_error block, max_bytes 6 MiB): EICAR and the custom-signature file
#    end in a reset stream (curl: HTTP/2 stream error), nothing of them delivered, logged
#    infected; a clean 5 MiB file arrives byte-identical; on one connection an infected and a
#    clean stream: the clean one completes; an 8 MiB file (past max_bytes) is reset; a client
#    whose stream window (64 KiB, nghttp's default) is smaller than the body gets on_error
#    at once instead of a stall.
#  - api.example.test (on_error allow, max_bytes 1 MiB, a request rule: the request gate in front):
#    on one connection the gate's 403, EICAR reset (infected is never delivered, whatever
#    on_error says) and a clean stream; the 5 MiB file is delivered unscanned.
#  - c-icap stopped: www resets, api delivers, each with the error on its event.
#  - example.test scans uploads (reqmod): h2 is not offered upstream, both legs speak HTTP/1.1.
#  - Headless Chromium loads a www page over one h2 connection: 20 scanned images, a clean
#    2 MiB text that arrives whole, and EICAR, whose request fails.
# Every log line is validated against the schema.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$SOURCE_DIR/scripts/lib/scanner.sh"

export LAB_LARGE_MB=1
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
metrics=127.0.0.1:19111
chromium_pgid=""
trap '[[ -n $chromium_pgid ]] && kill -KILL -- "-$chromium_pgid" 2>/dev/null; scanner_down; rm -rf "$work"; lab_cleanup' EXIT

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
    {"name": "no secret", "host": ["api.example.test"], "path": ["/secret.txt"], "action": "block"},
    {"name": "scan www", "host": ["www.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "max_bytes": 6291456, "on_error": "block"}},
    {"name": "scan api", "host": ["api.example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "max_bytes": 1048576, "on_error": "allow"}},
    {"name": "scan uploads", "host": ["example.test"], "action": "intercept",
     "scan": {"service": "$SCANNER_SERVICE", "reqmod": true, "on_error": "allow"}}
  ]
}
JSON

test_config policy_file="$policy" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  metrics_listen="$metrics" >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json" || exit 1
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$trust"

# get NAME URL [CURL ARGS...]: over h2; the body in $work/NAME.body, curl's exit status, stderr
# and status line in $work/NAME.out; prints the flow line.
get() {
  local name=$1 url=$2
  shift 2
  local before
  before=$(flow_count_settled)
  rm -f "$work/$name.body"
  in_client curl -sS -m 60 --http2 --cacert "$trust" -o "$work/$name.body" -w 'status=%{http_code}\n' \
    "$@" "$url" >"$work/$name.out" 2>&1
  echo "exit=$?" >>"$work/$name.out"
  flow_after "$before"
}
curl_exit() { sed -n 's/^exit=//p' "$work/$1.out"; }
body_sha() { sha256sum <"$work/$1.body" | cut -d' ' -f1; }
delivered() { [[ -f $work/$1.body ]] && wc -c <"$work/$1.body" || echo 0; }
# The http event of PATH in flow ID.
http_event() { events http ".flow_id == $1 and .path == \"$2\"" | head -n 1 | grep . || echo "{}"; }
scan_of() { field '[.scan.result, .scan.threat // "-", .scan.on_error // "-"] | join(" ")' "$1"; }
alpn_of() { field '[.tls.client.negotiated.alpn, .tls.upstream.alpn] | join(" ")' "$1"; }
# check_reset NAME WHAT: curl saw the stream reset (exit 92, HTTP/2 stream error) and got none of the body.
check_reset() {
  check_eq "$(curl_exit "$1")" 92 "$2: curl reports an HTTP/2 stream error ($(grep -m1 curl: "$work/$1.out"))"
  check_eq "$(delivered "$1")" 0 "$2: nothing of the body delivered"
}

# --- infected downloads: a reset stream, logged infected
line=$(get eicar https://www.example.test/eicar.com)
ev=$(http_event "$(field .flow_id "$line")" /eicar.com)
check_eq "$(alpn_of "$line")" "h2 h2" "EICAR: h2 on both legs"
check_reset eicar "EICAR"
check "EICAR: the stream was reset with INTERNAL_ERROR" grep -q INTERNAL_ERROR "$work/eicar.out"
check_eq "$(scan_of "$ev")" "infected $SCANNER_EICAR_THREAT -" "EICAR: http event scan infected, with the threat"
check_eq "$(field .scan.service "$ev")" "$SCANNER_SERVICE" "EICAR: the event names the service"
check_eq "$(field .http_version "$ev")" 2 "EICAR: the event is the h2 exchange"

line=$(get signed https://www.example.test/signed.bin)
ev=$(http_event "$(field .flow_id "$line")" /signed.bin)
check_reset signed "custom signature"
check_eq "$(scan_of "$ev")" "infected $SCANNER_SIGNED_THREAT -" "custom signature: http event scan infected"

# --- a clean 5 MiB download arrives byte-identical
line=$(get clean https://www.example.test/clean-5m.bin)
ev=$(http_event "$(field .flow_id "$line")" /clean-5m.bin)
check_eq "$(alpn_of "$line")" "h2 h2" "clean 5 MiB: h2 on both legs"
check_eq "$(curl_exit clean) $(sed -n 's/^status=//p' "$work/clean.out")" "0 200" "clean 5 MiB: 200, curl content"
check_eq "$(body_sha clean)" "$clean_sha" "clean 5 MiB: byte-identical (sha256)"
check_eq "$(scan_of "$ev")" "clean - -" "clean 5 MiB: http event scan clean"

# --- one connection, two concurrent streams: the infected one reset, the clean one completes
before=$(flow_count_settled)
in_client curl -sS -m 60 --http2 --parallel --cacert "$trust" \
  -o "$work/par-clean.body" https://www.example.test/clean-5m.bin \
  -o "$work/par-eicar.body" https://www.example.test/eicar.com >"$work/par.out" 2>&1
line=$(flow_after "$before")
id=$(field .flow_id "$line")
check_eq "$(events http ".flow_id == $id" | wc -l)" 2 "two streams: both on one connection"
check_eq "$(body_sha par-clean)" "$clean_sha" "two streams: the clean one completes byte-identical"
check "two streams: nothing of the infected one delivered" \
  bash -c "! grep -qF 'EICAR-STANDARD-ANTIVIRUS' '$work/par-eicar.body' 2>/dev/null"
check_eq "$(scan_of "$(http_event "$id" /eicar.com)")" "infected $SCANNER_EICAR_THREAT -" "two streams: eicar infected"
check_eq "$(scan_of "$(http_event "$id" /clean-5m.bin)")" "clean - -" "two streams: the other clean"

# --- with the request gate: its answer, a reset and a clean stream on one connection
before=$(flow_count_settled)
in_client curl -sS -m 60 --http2 --parallel --cacert "$trust" -w '%{url_effective} %{http_code}\n' \
  -o "$work/gate-secret.body" https://api.example.test/secret.txt \
  -o "$work/gate-eicar.body" https://api.example.test/eicar.com \
  -o "$work/gate-small.body" https://api.example.test/small >"$work/gate.out" 2>&1
line=$(flow_after "$before")
id=$(field .flow_id "$line")
check_eq "$(alpn_of "$line")" "h2 h2" "gate: h2 on both legs"
check_eq "$(events http ".flow_id == $id" | wc -l)" 3 "gate: three streams on one connection"
check_eq "$(field '[.action, .rule] | join(" ")' "$(http_event "$id" /secret.txt)")" "block no secret" \
  "gate: the request rule's block answered by the gate"
check "gate: the client got its 403" grep -q 'secret.txt 403' "$work/gate.out"
check "gate: nothing of EICAR delivered" bash -c "! grep -qF 'EICAR-STANDARD-ANTIVIRUS' '$work/gate-eicar.body' 2>/dev/null"
check "gate: EICAR's stream reset ($(grep -m1 curl: "$work/gate.out"))" grep -q INTERNAL_ERROR "$work/gate.out"
check_eq "$(scan_of "$(http_event "$id" /eicar.com)")" "infected $SCANNER_EICAR_THREAT -" "gate: eicar infected"
check "gate: the clean stream arrived intact" cmp -s "$www/small" "$work/gate-small.body"
check_eq "$(scan_of "$(http_event "$id" /small)")" "clean - -" "gate: the clean stream scanned clean"

# --- past max_bytes (6 MiB) under on_error block: reset, and the event says why
line=$(get big https://www.example.test/big-8m.bin)
ev=$(http_event "$(field .flow_id "$line")" /big-8m.bin)
check_reset big "8 MiB past max_bytes, on_error block"
check_eq "$(scan_of "$ev")" "error - block" "8 MiB past max_bytes: http event scan error, on_error block"
check "8 MiB past max_bytes: the event says max_bytes ($(field .scan.detail "$ev"))" \
  grep -q 'past max_bytes' <<<"$(field .scan.detail "$ev")"

# past max_bytes (1 MiB) under on_error allow: delivered unscanned, byte-identical
line=$(get allow https://api.example.test/clean-5m.bin)
ev=$(http_event "$(field .flow_id "$line")" /clean-5m.bin)
check_eq "$(body_sha allow)" "$clean_sha" "api, 5 MiB past max_bytes, on_error allow: byte-identical (sha256)"
check_eq "$(scan_of "$ev")" "error - allow" "api, past max_bytes: http event scan error, on_error allow"

# --- a client whose stream window (nghttp's 64 KiB) is smaller than the body: on_error, no stall
before=$(flow_count_settled)
start=$(date +%s)
in_client timeout 30 nghttp -n https://www.example.test/clean-5m.bin >"$work/nghttp.out" 2>&1
took=$(($(date +%s) - start))
line=$(flow_after "$before")
ev=$(http_event "$(field .flow_id "$line")" /clean-5m.bin)
check "small client window: no stall (${took}s)" test "$took" -lt 15
check_eq "$(scan_of "$ev")" "error - block" "small client window: http event scan error, on_error block"
check "small client window: the event says why ($(field .scan.detail "$ev"))" \
  grep -q "stream window is full" <<<"$(field .scan.detail "$ev")"

# --- a rule that scans uploads keeps h2 off (uploads are scanned in HTTP/1 only)
line=$(get reqmod https://example.test/small)
check_eq "$(alpn_of "$line")" "http/1.1 http/1.1" "a rule with reqmod: HTTP/1.1 on both legs"

# --- headless Chromium: one page over h2, its images and a clean text scanned, EICAR failing
head -c $((3 << 19)) /dev/urandom | base64 -w 0 >"$www/clean-2m.txt"  # 2 MiB of text
cp "$SMALL_FILE" "$www/tiny.png"
{
  echo '<!doctype html><html><head><script>'
  echo 'function get(path) { const x = new XMLHttpRequest(); try { x.open("GET", path, false); x.send();'
  echo '  return x.status + " " + x.responseText.length; } catch (e) { return "failed"; } }'
  echo '</script></head><body>'
  for i in $(seq 1 20); do echo "<img src=\"/tiny.png?i=$i\">"; done
  echo '<p id="clean"><script>document.write(get("/clean-2m.txt"))</script></p>'
  echo '<p id="eicar"><script>document.write(get("/eicar.com"))</script></p>'
  echo '</body></html>'
} >"$www/scan.html"
home="$work/home"
mkdir -p "$home/.pki/nssdb"
certutil -d "sql:$home/.pki/nssdb" -N --empty-password
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n tlsgate -i "$work/state/ca.crt"
settle
before=$(wc -l <"$log")
setsid ip netns exec "$NS_CLIENT" env HOME="$home" chromium --headless=new --no-sandbox --disable-gpu \
  --no-first-run --no-default-browser-check --disable-background-networking --disable-sync \
  --disable-component-update --user-data-dir="$work/chromium-profile" --dump-dom \
  "https://www.example.test/scan.html" >"$work/dom.html" 2>"$work/chromium.err" &
chromium_pgid=$!  # setsid in a non-interactive shell does not fork: the PID leads the group
wait_until --every 0.1 60 "chromium to finish" process_gone "$chromium_pgid" || true
kill -KILL -- "-$chromium_pgid" 2>/dev/null || true
wait "$chromium_pgid" 2>/dev/null || true
kill -KILL -- "-$chromium_pgid" 2>/dev/null || true  # children that outlived their parent
chromium_pgid=""
settle
paragraph() { sed -n "s/.*<p id=\"$1\">[^<]*<script>.*<\/script>\([^<]*\)<.*/\1/p" "$work/dom.html"; }
if ! grep -q '<p id="eicar">' "$work/dom.html"; then sed 's/^/#   chromium: /' "$work/chromium.err" | tail -n 20; fi
check_eq "$(paragraph clean)" "200 $(wc -c <"$www/clean-2m.txt")" "browser: the clean 2 MiB text arrived whole"
check_eq "$(paragraph eicar)" failed "browser: the EICAR request failed"
new=$(tail -n +"$((before + 1))" "$log")
check_eq "$(jq -r 'select(.event == "http" and .http_version == "2") | .path + " " + (.scan.result // "-")' <<<"$new" |
  sort | uniq -c | awk '{print $1, $2, $3}' | grep -c '^1 /tiny.png?i=[0-9]* clean$')" 20 \
  "browser: each of the 20 images scanned clean over h2"
check_eq "$(scan_of "$(jq -c 'select(.event == "http" and .path == "/eicar.com")' <<<"$new" | head -n 1)")" \
  "infected $SCANNER_EICAR_THREAT -" "browser: EICAR logged infected"
check_eq "$(jq -r 'select(.event == "http" and (.path | startswith("/tiny.png"))) | .flow_id' <<<"$new" | sort -u | wc -l)" \
  1 "browser: the images came over one connection"

check "metrics: infected scans counted" test "$(metric 'tlsgate_scans_total{method="respmod",result="infected",delivered="no"}')" -ge 3
check "metrics: clean scans counted" test "$(metric 'tlsgate_scans_total{method="respmod",result="clean",delivered="yes"}')" -ge 2

# --- the ICAP server stops: on_error decides, the gateway keeps serving
scanner_stop_icap
line=$(get down-block https://www.example.test/small)
ev=$(http_event "$(field .flow_id "$line")" /small)
check_reset down-block "c-icap stopped, on_error block"
check_eq "$(scan_of "$ev")" "error - block" "c-icap stopped, on_error block: http event scan error"
check "c-icap stopped: the event says why ($(field .scan.detail "$ev"))" test -n "$(field '.scan.detail // ""' "$ev")"
line=$(get down-allow https://api.example.test/small)
ev=$(http_event "$(field .flow_id "$line")" /small)
check "c-icap stopped, on_error allow: the file arrived intact" cmp -s "$www/small" "$work/down-allow.body"
check_eq "$(scan_of "$ev")" "error - allow" "c-icap stopped, on_error allow: http event scan error"
check "tlsgate still running" kill -0 "$TLSGATE_PID"

stop_tlsgate
validate_log "$log"
finish
