#!/usr/bin/env bash
# QUIC guard: UDP 443 from the LAN goes through NFQUEUE 0 to tlsgate. The test client sends
# real protected Initials (ClientHello over two packets) for an intercepted, a tunnelled and a
# blocked host, over IPv4 and IPv6; a UDP listener in the server namespace records what
# arrives: only the tunnelled host's packets. A garbage Initial gets the unparseable default.
# Hostile Initials (ALPN not UTF-8, a bad SNI, random bytes) leave the daemon running, each
# decided connection with its quic line.
# With tlsgate stopped, the rules' fail-open (--queue-bypass) passes packets and
# --quic-fail-closed drops them. Every log line is validated against the schema.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
arrived="$work/arrived.txt"
cat > "$work/policy.json" <<JSON
{"default": "intercept", "rules": [
  {"name": "quic-ok", "host": ["tunnel.example.test"], "action": "tunnel"},
  {"name": "quic-deny", "host": ["blocked.example.test"], "action": "block"}]}
JSON
test_config policy_file="$work/policy.json" quic_guard:='{"enabled": true, "queue": 0, "hold_ms": 1000}' \
  >"$work/config.json"

# The UDP "server": one line per datagram received, "<DCID hex> <size>" (long headers only).
cat > "$work/listener.py" <<'PY'
import select, socket, sys
out = open(sys.argv[1], "a", buffering=1)
socks = []
for family, addr in ((socket.AF_INET, sys.argv[2]), (socket.AF_INET6, sys.argv[3])):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, 443))
    socks.append(s)
while True:
    for s in select.select(socks, [], [], 60)[0]:
        d = s.recv(65535)
        dcid = d[6:6 + d[5]].hex() if len(d) > 6 and d[0] & 0x80 else "short"
        out.write(f"{dcid} {len(d)}\n")
PY
in_server "$PYTHON" "$work/listener.py" "$arrived" "$SERVER_IP4" "$SERVER_IP6" &
listener=$!
trap 'kill "$listener" 2>/dev/null; lab_cleanup' EXIT
touch "$arrived"

send() {  # send DEST SNI DCID [ARGS...]: two Initial datagrams from the client namespace
  local dest=$1 sni=$2 dcid=$3
  shift 3
  in_client "$PYTHON" "$SOURCE_DIR/tests/integration/quic_client.py" "$dest" 443 --sni "$sni" \
    --dcid "$dcid" --split 2 "$@" >/dev/null
}
arrivals() { grep -c "^$1 " "$arrived" || true; }
wait_quic_lines() { wait_events "$1" quic; }
quic_line() { events quic ".sni == \"$1\"" | tail -n 1; }
wait_guard() { wait_until 5 "the QUIC guard on its queue" grep -q "QUIC guard on NFQUEUE" "$TLSGATE_STDERR"; }

rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF" --quic-queue 0
check_eq "$(in_gw iptables-save | grep -c -- '-j NFQUEUE --queue-num 0 --queue-bypass')" 1 \
  "rules: IPv4 UDP 443 goes to NFQUEUE 0 with --queue-bypass"
check_eq "$(in_gw ip6tables-save | grep -c -- '-j NFQUEUE --queue-num 0 --queue-bypass')" 1 "rules: IPv6 too"
start_tlsgate "$work/config.json"
check "tlsgate bound the queue" wait_guard

# --- the policy decides: only the tunnelled host's Initials reach the server
send "$SERVER_IP4" intercepted.example.test 1111111111111111
send "$SERVER_IP4" tunnel.example.test 2222222222222222
send "$SERVER_IP4" blocked.example.test 3333333333333333
send "$SERVER_IP6" tunnel.example.test 4444444444444444 --reverse --quic-version 2
send "$SERVER_IP6" blocked.example.test 5555555555555555 --quic-version 2
check "five quic events logged" wait_quic_lines 5
sleep 0.3
check_eq "$(arrivals 2222222222222222)" 2 "IPv4 tunnelled host: both Initials arrive"
check_eq "$(arrivals 4444444444444444)" 2 "IPv6 QUIC v2 tunnelled host (reversed packets): both arrive"
for dcid in 1111111111111111 3333333333333333 5555555555555555; do
  check_eq "$(arrivals "$dcid")" 0 "intercepted/blocked connection $dcid: nothing arrives"
done

line=$(quic_line intercepted.example.test)
check_eq "$(jq -r .verdict <<<"$line")" drop "intercepted host: dropped (falls back to TCP)"
check_eq "$(jq -r .policy.action <<<"$line")" intercept "intercepted host: policy action"
check_eq "$(jq -r .policy.rule <<<"$line")" default "intercepted host: the default rule"
check_eq "$(jq -r .packets_held <<<"$line")" 2 "intercepted host: first packet held until the hello was whole"
line=$(events quic '.sni == "tunnel.example.test" and .version == "1"')
check_eq "$(jq -r .verdict <<<"$line")" accept "tunnelled host: accepted"
check_eq "$(jq -r .policy.rule <<<"$line")" quic-ok "tunnelled host: its rule"
check_eq "$(jq -c .alpn <<<"$line")" '["h3"]' "tunnelled host: ALPN"
check_eq "$(jq -r .server.ip <<<"$line")" "$SERVER_IP4" "tunnelled host: server address"
line=$(events quic '.sni == "tunnel.example.test" and .version == "2"')
check_eq "$(jq -r .server.ip <<<"$line")" "$SERVER_IP6" "IPv6 v2 tunnelled host logged"
line=$(quic_line blocked.example.test)
check_eq "$(jq -r '.verdict + " " + .policy.action + " " + .policy.rule' <<<"$line")" "drop block quic-deny" \
  "blocked host: dropped by its rule"

# --- an Initial that does not decrypt: the unparseable default (drop)
in_client "$PYTHON" - "$SERVER_IP4" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\xc3\x00\x00\x00\x01\x08" + bytes.fromhex("6666666666666666") + b"\x00\x00\x44\x9c" + os.urandom(1180),
         (sys.argv[1], 443))
PY
check "garbage Initial logged" wait_quic_lines 6
sleep 0.2
check_eq "$(arrivals 6666666666666666)" 0 "garbage Initial: dropped"
check_eq "$(events quic | tail -n 1 | jq -r '.reason + " " + (.policy|tostring)')" \
  "decrypt_failed null" "garbage Initial: reason decrypt_failed, no policy"

# --- hostile bytes: no packet can stop the daemon, and each still yields a quic line
# ALPN that is not UTF-8 once made the event's serialization throw in the queue thread.
send "$SERVER_IP4" hostile.example.test 9999999999999991 --alpn-hex fffefdfc --alpn-hex c328 --alpn h3
check "non-UTF-8 ALPN: a quic line" wait_quic_lines 7
line=$(events quic | tail -n 1)
check_eq "$(jq -r '.sni + " " + .verdict + " " + (.alpn | length | tostring)' <<<"$line")" \
  "hostile.example.test drop 3" "non-UTF-8 ALPN: decided by the policy, every protocol logged"
check "non-UTF-8 ALPN: replaced by U+FFFD in the log" grep -q $'\xef\xbf\xbd' "$log"
# A server_name that is not a host name, control bytes in the ALPN: the unparseable default.
send "$SERVER_IP4" ignored 9999999999999992 --sni-hex 6578c328002e74 --alpn-hex 000a22
check "bad SNI bytes: a quic line" wait_quic_lines 8
check_eq "$(events quic | tail -n 1 | jq -r '.reason + " " + .verdict')" "bad_sni drop" \
  "bad SNI bytes: unparseable, dropped"
# Random bytes behind a valid-looking long header, and odd lengths.
in_client "$PYTHON" - "$SERVER_IP4" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for size in (1, 5, 6, 7, 27, 1200, 1500):
    s.sendto(b"\xc0\x00\x00\x00\x01" + os.urandom(size), (sys.argv[1], 443))
s.sendto(b"\xff" * 1200, (sys.argv[1], 443))
PY
sleep 0.5
check "after hostile packets: the daemon still runs" kill -0 "$TLSGATE_PID"
send "$SERVER_IP4" tunnel.example.test aaaaaaaaaaaaaaa1
sleep 0.3
check_eq "$(arrivals aaaaaaaaaaaaaaa1)" 2 "after hostile packets: still deciding (tunnelled host passes)"
check "no internal error reported" bash -c "! grep -q 'internal error' '$TLSGATE_STDERR'"

# --- tlsgate stopped: fail-open passes everything, fail-closed drops everything
stop_tlsgate TERM
check "stderr reports the guard's counters" grep -q "QUIC guard: [0-9]* packets accepted, [0-9]* dropped" "$TLSGATE_STDERR"
send "$SERVER_IP4" intercepted.example.test 7777777777777777
sleep 0.3
check_eq "$(arrivals 7777777777777777)" 2 "tlsgate stopped, fail-open: packets pass"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF" --quic-queue 0 --quic-fail-closed
check_eq "$(in_gw iptables-save | grep -c -- '--queue-bypass')" 0 "fail-closed rules: no --queue-bypass"
send "$SERVER_IP4" tunnel.example.test 8888888888888888
sleep 0.3
check_eq "$(arrivals 8888888888888888)" 0 "tlsgate stopped, fail-closed: packets dropped"
rules_remove
check_eq "$(in_gw iptables-save | grep -c TLSGATE_QUIC)" 0 "rules.sh remove: no QUIC rule left"

validate_log "$log"
finish
