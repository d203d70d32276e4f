#!/usr/bin/env bash
# The systemd unit's way of starting: as an unprivileged user (nobody) holding
# only an ambient CAP_NET_ADMIN (setpriv stands in for User= +
# AmbientCapabilities=). TPROXY listeners (IP_TRANSPARENT) and the QUIC guard's
# NFQUEUE are opened with it; then every thread drops everything but
# CAP_NET_ADMIN, which the QUIC guard's verdicts still need. TPROXY flows and
# QUIC verdicts keep working. Without the QUIC guard nothing is kept.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
chmod 755 "$work"
log="$work/flows.jsonl"
arrived="$work/arrived.txt"
install -d -o nobody -g nogroup -m 700 "$work/state"
install -o nobody -g nogroup -m 640 /dev/null "$log"
cat >"$work/policy.json" <<'JSON'
{"default": "intercept", "rules": [{"name": "quic-ok", "host": ["tunnel.example.test", "www.example.test"], "action": "tunnel"}]}
JSON
write_config() {  # $1: quic guard enabled (true/false)
  test_config listeners:='[{"mode": "tproxy", "port": 15002}]' workers:=2 policy_file="$work/policy.json" \
    quic_guard.enabled:="$1" quic_guard.queue:=0 >"$work/config.json"
}
# As systemd would start it: User=nobody, AmbientCapabilities=CAP_NET_ADMIN.
cat >"$work/as-unit.sh" <<EOF2
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
  "$TLSGATE_BIN" "\$@"
EOF2
chmod 755 "$work/as-unit.sh"
real_bin=$TLSGATE_BIN

cat >"$work/listener.py" <<'PY'
import socket, sys
out = open(sys.argv[1], "a", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 443))
while True:
    d = s.recv(65535)
    out.write((d[6:6 + d[5]].hex() if len(d) > 6 and d[0] & 0x80 else "short") + "\n")
PY
touch "$arrived"
in_server "$PYTHON" "$work/listener.py" "$arrived" "$SERVER_IP4" &
listener=$!
trap 'kill "$listener" 2>/dev/null; rm -rf "$work"; lab_cleanup' EXIT

caps_of_threads() {  # $1: CapEff|CapPrm|CapAmb; the distinct values over every thread
  cat /proc/"$TLSGATE_PID"/task/*/status | awk -v k="$1:" '$1 == k {print $2}' | sort -u | tr '\n' ' '
}
send_quic() {  # SNI DCID
  in_client "$PYTHON" "$SOURCE_DIR/tests/integration/quic_client.py" "$SERVER_IP4" 443 --sni "$1" --dcid "$2" \
    --split 2 >/dev/null
}
arrivals_at_least() { (($(grep -c "^$1" "$arrived" || true) >= $2)); }
wait_arrivals() { wait_until 3 "$2 Initial(s) with DCID $1 at the server" arrivals_at_least "$@"; }  # DCID N
# The drop of privileges, after the listeners are up.
wait_dropped() { wait_until 5 "tlsgate to report the capabilities it kept" grep -q "capabilities kept" "$TLSGATE_STDERR"; }

rules_install --mode tproxy --ports 443,8443 --lan-if "$GW_LAN_IF" --quic-queue 0

# --- with the QUIC guard: CAP_NET_ADMIN kept (and only it), on every thread
write_config true
TLSGATE_BIN="$work/as-unit.sh" start_tlsgate "$work/config.json"
wait_dropped
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$TLSGATE_PID/status")" 6553465534 "runs as nobody"
check_eq "$(caps_of_threads CapEff)" "0000000000001000 " "QUIC guard: only cap_net_admin effective, every thread"
check_eq "$(caps_of_threads CapPrm)" "0000000000001000 " "QUIC guard: only cap_net_admin permitted"
check_eq "$(caps_of_threads CapAmb)" "0000000000000000 " "ambient set cleared"
check "stderr says cap_net_admin was kept" grep -q "capabilities kept: cap_net_admin" "$TLSGATE_STDERR"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test/small)
check_eq "$code" 200 "TPROXY flow after the drop"
send_quic tunnel.example.test 1212121212121212
check "QUIC verdicts after the drop: the tunnelled host's Initials arrive" wait_arrivals 1212121212121212 2
send_quic intercepted.example.test 3434343434343434
sleep 0.5
check_eq "$(grep -c '^3434343434343434' "$arrived" || true)" 0 "QUIC verdicts after the drop: the intercepted host's are dropped"
stop_tlsgate TERM
check "clean stop" grep -q "stopped;" "$TLSGATE_STDERR"

# --- without the QUIC guard: nothing kept, TPROXY still works
write_config false
TLSGATE_BIN="$work/as-unit.sh" start_tlsgate "$work/config.json"
wait_dropped
check_eq "$(caps_of_threads CapEff)" "0000000000000000 " "no QUIC guard: no capability on any thread"
check_eq "$(caps_of_threads CapPrm)" "0000000000000000 " "no QUIC guard: nothing permitted"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test:8443/small)
check_eq "$code" 200 "TPROXY flow with no capabilities"
stop_tlsgate TERM
TLSGATE_BIN=$real_bin

# --- started as root with "user": "nobody" and the QUIC guard: the user switch keeps
# CAP_NET_ADMIN for the threads started after it (workers, guard); the flow log's
# writer, started before, loses everything in the switch.
write_config true
jq '. + {"user": "nobody"}' "$work/config.json" >"$work/root.json"
start_tlsgate "$work/root.json"
wait_dropped
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$TLSGATE_PID/status")" 6553465534 "root start: runs as nobody"
check_eq "$(caps_of_threads CapEff)" "0000000000000000 0000000000001000 " "root start: cap_net_admin or nothing per thread"
send_quic tunnel.example.test 5656565656565656
check "root start: QUIC verdicts after the switch" wait_arrivals 5656565656565656 2
stop_tlsgate TERM
validate_log "$log"
finish
