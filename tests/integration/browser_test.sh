#!/usr/bin/env bash
# Nothing is learned by mistake (issue 12, parts 1 and 5), with real clients in the lab:
# headless Chromium, trusting only the gateway CA, loads a page three times: every load is
# intercepted and no bypass is learned from its spare connections (closed unused right after
# the handshake). A client that rejects the forged certificate (curl without the gateway CA,
# openssl s_client -verify_return_error) is learned at once (a `bypass` event) and tunnelled
# next time, seeing the real certificate. A client that completes the handshake and leaves
# without a byte (openssl s_client </dev/null) is learned only the third time, with no
# success in between. `tlsgate bypass list|forget` over the control socket shows an entry and
# forgets it: the next flow is intercepted again. Every log line is validated.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export LAB_LARGE_MB=${LAB_LARGE_MB:-1}  # no large download here
lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
state="$work/state"
chromium_pgid=""
# On exit, also when a check fails: a running Chromium's whole process group, its profiles, the lab.
trap '[[ -n $chromium_pgid ]] && kill -KILL -- "-$chromium_pgid" 2>/dev/null; rm -rf "$work"/chromium-profile-*; lab_cleanup' EXIT
test_config workers:=2 state_dir="$state" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  upstream_cert_error=tunnel peek_timeout_ms:=1500 learned_bypass:=true learned_bypass_all_clients:=false \
  learned_bypass_weak_threshold:=3 learned_bypass_weak_window_s:=600 control_socket="$work/control.sock" \
  >"$work/config.json"
rules_install --mode redirect --ports 443,8443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
gateway_ca="$state/ca.crt"

# The page the browser loads: a marker it can only show if the page really arrived.
marker="tlsgate-browser-page-$RANDOM$RANDOM"
printf '<!doctype html><html><head><title>lab</title></head><body><p id="m">%s</p></body></html>\n' "$marker" \
  >"$LAB_DIR/www/index.html"

# bypass_count JQ_CONDITION: bypass events matching it; wait_bypass JQ_CONDITION: until one does (5 s)
bypass_count() { event_count bypass "$1"; }
wait_bypass() { wait_events 1 bypass "$1"; }
evidence_at_least() {  # N EVENT: the event says why, with an evidence count of at least N
  [[ -n $2 ]] && (($(field '.why | length' "$2") > 0 && $(field '.evidence // 0' "$2") >= $1))
}
learned() { echo ".change == \"learned\" and .client == \"$1\" and .host == \"$2\""; }
lines_since() { tail -n +"$(($1 + 1))" "$log"; }
log_lines() { [[ -f $log ]] && wc -l <"$log" || echo 0; }
saving() { local out=$1; shift; "$@" >"$out" 2>&1; }  # saving FILE CMD...: CMD's output in FILE (for flow_of)

# --- 1. headless Chromium, the gateway CA in its NSS db (and nothing else added), three loads
home="$work/home"
mkdir -p "$home/.pki/nssdb"
certutil -d "sql:$home/.pki/nssdb" -N --empty-password
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n tlsgate -i "$gateway_ca"
# chromium_load N: one headless run in the client namespace, its own session (process group),
# killed as a group after 60 s. The DOM goes to $work/dom-N.html.
chromium_load() {
  local n=$1 pid
  setsid ip netns exec "$NS_CLIENT" env HOME="$home" chromium --headless=new --no-sandbox --disable-gpu \
    --no-first-run --no-default-browser-check --disable-background-networking --disable-sync \
    --disable-component-update --user-data-dir="$work/chromium-profile-$n" --dump-dom https://www.example.test/ \
    >"$work/dom-$n.html" 2>"$work/chromium-$n.err" &
  pid=$!
  chromium_pgid=$pid  # setsid in a non-interactive shell does not fork: the PID leads the group
  wait_until --every 0.1 60 "chromium load $n to finish" process_gone "$pid" || true
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill -KILL -- "-$pid" 2>/dev/null || true  # children that outlived their parent
  chromium_pgid=""
}
settle
for n in 1 2 3; do
  before=$(log_lines)
  chromium_load "$n"
  settle
  check "chromium load $n: the page arrived (only the gateway CA is trusted: it was intercepted)" \
    grep -q "$marker" "$work/dom-$n.html"
  flows=$(lines_since "$before" | grep '"event":"flow"' || true)
  pages=$(lines_since "$before" | jq -c 'select(.event == "http" and .path == "/" and .status == 200)' | wc -l)
  check_eq "$pages" 1 "chromium load $n: one http event GET / 200 (observed in the clear)"
  check_eq "$(jq -r '.action' <<<"$flows" | sort -u | tr '\n' ' ')" "intercept " \
    "chromium load $n: every flow intercepted"
  check_eq "$(jq -r 'select(.tls.forged == null) | .flow_id' <<<"$flows" | wc -l)" 0 \
    "chromium load $n: every flow got a forged leaf (issuer: the gateway CA)"
  # What Chromium did, for the record: flows, and spares (handshake done, no byte sent).
  echo "# chromium load $n: $(wc -l <<<"$flows") flow(s): $(jq -r '"[" + .reason + " alpn=" +
    (.tls.client.negotiated.alpn // "-") + " from_client=" + (.bytes.from_client|tostring) + " ms=" +
    (.duration_ms|tostring) + " exchanges=" + ((.http.exchanges // 0)|tostring) + "]"' <<<"$flows" | tr '\n' ' ')"
done
chromium_ip=$(flow_lines | jq -r 'select(.sni == "www.example.test") | .client.ip' | sort -u | head -n 1)
echo "# chromium's client address: $chromium_ip"
check_eq "$(bypass_count true)" 0 "chromium: no bypass event after three loads"
check_eq "$(flow_lines | jq -r 'select(.reason == "learned_bypass" or .reason == "client_rejected_certificate") |
  .flow_id' | wc -l)" 0 "chromium: no flow learned_bypass or client_rejected_certificate"
line=$(flow_of in_client curl -sS --cacert "$gateway_ca" --interface "$chromium_ip" https://www.example.test/small)
check_eq "$(field '.action + " " + .reason' "$line")" "intercept policy" \
  "after the browser's visits: the next load from its address is intercepted"

# --- 2a. strong evidence, curl without the gateway CA: learned at once, then tunnelled
client_b=$CLIENT_IP4_B
line=$(flow_of in_client curl -4 -sS --cacert "$PUBLIC_CA_CERT" --interface "$client_b" https://www.example.test/small)
check_eq "$(field .reason "$line")" client_rejected_certificate "curl without the gateway CA: client_rejected_certificate"
check "curl without the gateway CA: a bypass event 'learned' for $client_b" \
  wait_bypass "$(learned "$client_b" www.example.test)"
ev=$(events bypass "$(learned "$client_b" www.example.test)" | head -n 1)
check "curl: the event says why and counts its evidence ($ev)" evidence_at_least 1 "$ev"
line=$(flow_of saving "$work/out" in_client curl -4 -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" \
  --interface "$client_b" https://www.example.test/small)
check_eq "$(cat "$work/out")" 200 "curl without the gateway CA, next time: the real certificate verifies"
check_eq "$(field '.action + " " + .reason' "$line")" "tunnel learned_bypass" "curl, next time: tunnelled by learned_bypass"
check_eq "$(bypass_count "$(learned "$client_b" www.example.test)")" 1 "curl: learned exactly once"

# --- 2b. strong evidence, openssl s_client verifying against the public CA only
# handshake_only SNI [s_client args...]: an s_client handshake from the client's primary IPv4 address
# to the server's, closed right after it (no byte sent)
handshake_only() { s_client "$SERVER_IP4:443" -servername "$@" </dev/null; }
line=$(flow_of handshake_only api.example.test -verify_return_error -CAfile "$PUBLIC_CA_CERT")
client_a=$(field .client.ip "$line")
check_eq "$(field .reason "$line")" client_rejected_certificate "s_client -verify_return_error: client_rejected_certificate"
check "s_client -verify_return_error: a bypass event 'learned' for $client_a" \
  wait_bypass "$(learned "$client_a" api.example.test)"
line=$(flow_of saving "$work/out" handshake_only api.example.test -verify_return_error -CAfile "$PUBLIC_CA_CERT")
check "s_client next time: the real certificate verifies ($(grep -m1 'Verify return code' "$work/out"))" \
  grep -q "Verify return code: 0 (ok)" "$work/out"
check "s_client next time: issued by the public CA" grep -q "i:.*Public Root CA" "$work/out"
check_eq "$(field '.action + " " + .reason' "$line")" "tunnel learned_bypass" \
  "s_client next time: tunnelled by learned_bypass"

# --- 2c. weak evidence: a completed handshake closed without a byte. Once: nothing; the
# third time within the window, with no success in between: learned.
weak=$(learned "$client_a" example.test)
for n in 1 2 3; do
  line=$(flow_of handshake_only example.test)
  check_eq "$(field .client.ip "$line")" "$client_a" "silent close $n: from $client_a"
  if ((n < 3)); then
    check_eq "$(field '.action + " " + .reason' "$line")" "intercept policy" \
      "silent close $n: intercepted (not a rejection, not a bypass)"
    settle
    check_eq "$(bypass_count "$weak")" 0 "silent close $n: nothing learned yet"
  fi
done
check "silent close 3 (threshold 3): a bypass event 'learned'" wait_bypass "$weak"
ev=$(events bypass "$weak" | head -n 1)
check "silent closes: the event counts the 3 closes ($ev)" evidence_at_least 3 "$ev"
line=$(flow_of handshake_only example.test)
check_eq "$(field '.action + " " + .reason' "$line")" "tunnel learned_bypass" \
  "after 3 silent closes: the next connection is tunnelled by learned_bypass"
check_eq "$(bypass_count "$(learned "$chromium_ip" www.example.test)")" 0 "the browser's address learned nothing"

# --- 3. tlsgate bypass list / forget through the control socket
bypass_cli() { "$TLSGATE_BIN" bypass "$@" --config "$work/config.json"; }
listed() { bypass_cli list 2>&1 | grep "www.example.test" | grep -qF "$client_b"; }
check "bypass list: shows www.example.test for $client_b" listed
check "bypass forget www.example.test --client $client_b: exit 0" \
  bypass_cli forget www.example.test --client "$client_b"
check "bypass forget: a bypass event 'forgotten'" \
  wait_bypass ".change == \"forgotten\" and .client == \"$client_b\" and .host == \"www.example.test\""
not_listed() { local out; out=$(bypass_cli list 2>&1) && ! grep "www.example.test" <<<"$out" | grep -qF "$client_b"; }
check "bypass list: the entry is gone" not_listed
check "bypass list: the other entries stay (api.example.test for $client_a)" \
  bash -c "'$TLSGATE_BIN' bypass list --config '$work/config.json' 2>&1 | grep api.example.test | grep -qF '$client_a'"
line=$(flow_of in_client curl -4 -sS --cacert "$gateway_ca" --interface "$client_b" https://www.example.test/small)
check_eq "$(field '.action + " " + .reason' "$line")" "intercept policy" "after forget: $client_b is intercepted again"

stop_tlsgate TERM
validate_log "$log"
finish
