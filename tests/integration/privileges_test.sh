#!/usr/bin/env bash
# The systemd unit's way of starting: as an unprivileged user (nobody) holding
# only an ambient CAP_NET_ADMIN (setpriv stands in for User= +
# AmbientCapabilities=). TPROXY listeners (IP_TRANSPARENT) are opened with it,
# and the QUIC guard's NFQUEUE by its relay process (tlsgate nfqueue-relay),
# which alone keeps CAP_NET_ADMIN for the verdicts; every thread of the daemon,
# which parses TLS, HTTP and QUIC, drops everything. TPROXY flows and QUIC
# verdicts keep working. Started as
# root, it needs "user" or --allow-root, and never follows a symlink planted at
# its flow-log path.
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

caps_of_threads() {  # $1: CapEff|CapPrm|CapAmb [$2: pid, default the daemon]; the distinct values over every thread
  cat /proc/"${2:-$TLSGATE_PID}"/task/*/status | awk -v k="$1:" '$1 == k {print $2}' | sort -u | tr '\n' ' '
}
relay_pid() {  # the daemon's nfqueue-relay child
  local p
  for p in $(cat /proc/"$TLSGATE_PID"/task/*/children 2>/dev/null); do
    grep -q nfqueue-relay "/proc/$p/cmdline" 2>/dev/null && { echo "$p"; return; }
  done
}
kept_reports_at_least() { (($(grep -c "capabilities kept" "$TLSGATE_STDERR") >= $1)); }
# The drop of privileges, after the listeners are up: N processes (the daemon, and the relay with the QUIC guard).
wait_started() { wait_until 5 "$1 process(es) to report the capabilities they kept" kept_reports_at_least "$1"; }
send_quic() {  # SNI DCID
  in_client "$PYTHON" "$SOURCE_DIR/tests/integration/quic_client.py" "$SERVER_IP4" 443 --sni "$1" --dcid "$2" \
    --split 2 >/dev/null
}
arrivals_at_least() { (($(grep -c "^$1" "$arrived" || true) >= $2)); }
wait_arrivals() { wait_until 3 "$2 Initial(s) with DCID $1 at the server" arrivals_at_least "$@"; }  # DCID N

rules_install --mode tproxy --ports 443,8443 --lan-if "$GW_LAN_IF" --quic-queue 0

# --- with the QUIC guard: the relay keeps CAP_NET_ADMIN (and only it); the daemon nothing
write_config true
TLSGATE_BIN="$work/as-unit.sh" start_tlsgate "$work/config.json"
wait_started 2
relay=$(relay_pid)
check "QUIC guard: the NFQUEUE relay runs as a child process" test -n "$relay"
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$TLSGATE_PID/status")" 6553465534 "runs as nobody"
check_eq "$(caps_of_threads CapEff)" "0000000000000000 " "QUIC guard: the daemon keeps no capability, on any thread"
check_eq "$(caps_of_threads CapPrm)" "0000000000000000 " "QUIC guard: the daemon has nothing permitted"
check_eq "$(caps_of_threads CapAmb)" "0000000000000000 " "ambient set cleared"
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$relay/status")" 6553465534 "the relay runs as nobody"
check_eq "$(caps_of_threads CapEff "$relay")" "0000000000001000 " "the relay: only cap_net_admin effective"
check_eq "$(caps_of_threads CapPrm "$relay")" "0000000000001000 " "the relay: only cap_net_admin permitted"
check_eq "$(caps_of_threads CapAmb "$relay")" "0000000000000000 " "the relay: ambient set cleared"
check "stderr says the relay kept cap_net_admin" grep -q "capabilities kept: cap_net_admin" "$TLSGATE_STDERR"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test/small)
check_eq "$code" 200 "TPROXY flow after the drop"
send_quic tunnel.example.test 1212121212121212
check "QUIC verdicts after the drop: the tunnelled host's Initials arrive" wait_arrivals 1212121212121212 2
send_quic intercepted.example.test 3434343434343434
sleep 0.5
check_eq "$(grep -c '^3434343434343434' "$arrived" || true)" 0 "QUIC verdicts after the drop: the intercepted host's are dropped"
stop_tlsgate TERM
check "clean stop" grep -q "stopped;" "$TLSGATE_STDERR"
check "the relay ended with the daemon" test ! -e "/proc/$relay"

# --- without the QUIC guard: nothing kept, TPROXY still works
write_config false
TLSGATE_BIN="$work/as-unit.sh" start_tlsgate "$work/config.json"
wait_started 1
check_eq "$(relay_pid)" "" "no QUIC guard: no relay"
check_eq "$(caps_of_threads CapEff)" "0000000000000000 " "no QUIC guard: no capability on any thread"
check_eq "$(caps_of_threads CapPrm)" "0000000000000000 " "no QUIC guard: nothing permitted"
code=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://www.example.test:8443/small)
check_eq "$code" 200 "TPROXY flow with no capabilities"
stop_tlsgate TERM
TLSGATE_BIN=$real_bin

# --- started as root with "user": "nobody" and the QUIC guard: both the daemon and its
# relay switch to nobody; only the relay keeps CAP_NET_ADMIN.
write_config true
jq '. + {"user": "nobody"}' "$work/config.json" >"$work/root.json"
start_tlsgate "$work/root.json"
wait_started 2
relay=$(relay_pid)
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$TLSGATE_PID/status")" 6553465534 "root start: runs as nobody"
check_eq "$(caps_of_threads CapEff)" "0000000000000000 " "root start: the daemon keeps nothing, on any thread"
check_eq "$(awk '$1 == "Uid:" {print $2 $3}' "/proc/$relay/status")" 6553465534 "root start: the relay runs as nobody"
check_eq "$(caps_of_threads CapEff "$relay")" "0000000000001000 " "root start: the relay keeps only cap_net_admin"
send_quic tunnel.example.test 5656565656565656
check "root start: QUIC verdicts after the switch" wait_arrivals 5656565656565656 2
stop_tlsgate TERM

# --- root without "user" and without --allow-root: refused before anything is opened
write_config false
out=$(timeout 20 ip netns exec "$NS_GW" "$TLSGATE_BIN" run --config "$work/config.json" 2>&1) && rc=0 || rc=$?
check_eq "$rc" 1 "root without user: exits 1"
check "root without user: says why and what to do" grep -q "refusing to run as root without .user.*--allow-root" <<<"$out"

# --- a symlink planted at the flow-log path (its directory is the user's) is not followed:
# the start fails and the target keeps its content and owner.
printf 'keep\n' >"$work/victim"
ln -s "$work/victim" "$work/planted.jsonl"
jq --arg log "$work/planted.jsonl" '. + {"user": "nobody", "flow_log": $log}' "$work/config.json" >"$work/planted.json"
out=$(timeout 20 ip netns exec "$NS_GW" "$TLSGATE_BIN" run --config "$work/planted.json" 2>&1) && rc=0 || rc=$?
check "symlinked flow log: the start fails" test "$rc" -ne 0
check "symlinked flow log: the error names the path" grep -q "planted.jsonl.*symbolic links" <<<"$out"
check_eq "$(cat "$work/victim")" keep "symlinked flow log: the target is not written"
check_eq "$(stat -c %U "$work/victim")" root "symlinked flow log: the target is not chowned"

validate_log "$log"
finish
