#!/usr/bin/env bash
# `tlsgate status --flows` over the control socket: with two workers, four flows held in
# four phases (an idle intercepted connection in `relay`, one byte of a TLS record in
# `decision`, a ClientHello never followed by the client's Finished in `client_handshake`,
# a hello to a port whose SYNs the server drops in `connect`) are all listed, oldest first,
# with their addresses, host, age and idle time; --older-than filters; each phase ends at
# its timeout with its own reason; a malformed request is refused; with the daemon stopped
# the command says so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
holder_pid=""
cleanup_work() {
  touch "$work/stop"
  [[ -n $holder_pid ]] && { kill "$holder_pid" 2>/dev/null; wait "$holder_pid" 2>/dev/null; }
  in_server nft delete table inet tg_flows_test 2>/dev/null
  rm -rf "$work"
}
trap 'cleanup_work; lab_cleanup' EXIT
log="$work/flows.jsonl"
sock="$work/control.sock"
test_config workers:=2 control_socket="$sock" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  peek_timeout_ms:=6000 connect_timeout_ms:=6000 learned_bypass:=false >"$work/config.json"
# The server drops SYNs to 8443: an upstream connect there waits for connect_timeout_ms.
in_server nft -f - <<'NFT'
table inet tg_flows_test {
  chain input { type filter hook input priority 0; tcp dport 8443 tcp flags syn drop; }
}
NFT
rules_install --mode redirect --ports 443,8443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
flows() { "$TLSGATE_BIN" status --flows --socket "$sock" "$@"; }

# The four connections, opened one after the other (so their order by age is known) and
# held until $work/stop or 60 s.
cat >"$work/hold.py" <<'PY'
import os, socket, ssl, sys, time
server, ca, stop = sys.argv[1], sys.argv[2], sys.argv[3]
host = "www.example.test"

def hello():
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(inc, out, server_hostname=host)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()

held = []
ctx = ssl.create_default_context(cafile=ca)
idle = ctx.wrap_socket(socket.create_connection((server, 443), timeout=10), server_hostname=host)
held.append(idle)
time.sleep(0.3)
slow = socket.create_connection((server, 443), timeout=10)
slow.sendall(b"\x16")
held.append(slow)
time.sleep(0.3)
stuck = socket.create_connection((server, 443), timeout=10)
stuck.sendall(hello())  # and never reads the gateway's answer
held.append(stuck)
time.sleep(0.3)
unreachable = socket.create_connection((server, 8443), timeout=10)
unreachable.sendall(hello())
held.append(unreachable)
print("open", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(stop) and time.monotonic() < deadline:
    time.sleep(0.1)
PY
in_client "$PYTHON" "$work/hold.py" "$SERVER_IP4" "$work/state/ca.crt" "$work/stop" >"$work/hold.out" 2>&1 &
holder_pid=$!
for _ in $(seq 1 100); do grep -q open "$work/hold.out" 2>/dev/null && break; sleep 0.1; done
check "the four connections are open" grep -q open "$work/hold.out"
# Every flow older than 1 s and in the phase it stays in until its 6 s timeout (a loaded
# machine may take a moment to finish the upstream handshake of the third).
for _ in $(seq 1 40); do
  raw=$(flows --raw --older-than 1) || true
  [[ $(jq -r '[.flows[].phase] | join(",")' <<<"$raw" 2>/dev/null) == relay,decision,client_handshake,connect ]] && break
  sleep 0.1
done
echo "# $raw"
check_eq "$(jq -r '.ok and .workers == 2 and .answered == 2' <<<"$raw")" true "both workers answered"
check_eq "$(jq -r '.running' <<<"$raw")" 4 "four flows running"
check_eq "$(jq -r '.older' <<<"$raw")" 4 "four flows older than 1 s"
check_eq "$(jq -r '[.flows[].phase] | join(",")' <<<"$raw")" "relay,decision,client_handshake,connect" \
  "each flow in its phase, oldest first"
check_eq "$(jq -r '[.flows[].server.port] | join(",")' <<<"$raw")" "443,443,443,8443" "original destinations"
check_eq "$(jq -r "[.flows[].client.ip == \"$CLIENT_IP4\"] | all" <<<"$raw")" true "client addresses"
check_eq "$(jq -r '[.flows[].host] | map(. // "-") | join(",")' <<<"$raw")" \
  "www.example.test,-,www.example.test,www.example.test" "the host policy saw (none before the ClientHello)"
check_eq "$(jq -r '(.flows | map(.age_s) | . == (sort | reverse)) and all(.flows[]; .age_s >= 1 and .idle_s <= .age_s)' <<<"$raw")" \
  true "ages from oldest to youngest, idle time within the age"
check_eq "$(jq -r '[.flows[].flow_id] | unique | length' <<<"$raw")" 4 "distinct flow ids"

table=$(flows --older-than 1) || true
echo "$table" | sed 's/^/# /'
check "the table has a header and one line per flow" \
  bash -c '[[ $(grep -cE "^[0-9]+ +[0-9.]+ +[0-9.]+ +(relay|decision|client_handshake|connect) " <<<"$1") == 4 ]] &&
           grep -q "^flow_id" <<<"$1"' _ "$table"
check "the table shows addresses as ip:port" grep -q "$SERVER_IP4:8443" <<<"$table"
check_eq "$(flows --raw --older-than 3600 | jq -c '[.running, .older, (.flows | length)]')" "[4,0,0]" \
  "--older-than 3600: none listed, four running"
check_eq "$(flows --raw --limit 1 | jq -r '[.older, (.flows | length), .flows[0].phase] | join(",")')" "4,1,relay" \
  "--limit 1: the oldest only"

# A malformed request: refused with a reason, the daemon goes on.
bad=$(printf '%s\n' '{"command":"flows","older_than_s":-1}' | in_gw "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.makefile().readline().strip())' "$sock")
check_eq "$(jq -r '.ok == false and (.error | test("older_than_s"))' <<<"$bad")" true "a negative older_than_s is refused ($bad)"

# Each phase ends at its own timeout (6 s): client_handshake and connect end the flow, the
# slowloris flow is tunnelled by address; only relays remain.
for _ in $(seq 1 150); do
  [[ $(flows --raw | jq -r '[.flows[].phase] | map(select(. != "relay")) | length') == 0 ]] && break
  sleep 0.1
done
check_eq "$(flows --raw | jq -r '[.flows[].phase] | unique | join(",")')" relay "after the timeouts, only relays are left"
wait_flows 2 || true
check_eq "$(flow_lines | jq -r 'select(.server.port == 8443) | .reason')" upstream_timeout "connect phase: upstream_timeout"
check_eq "$(flow_lines | jq -r 'select(.end.error == "client handshake timed out") | .reason')" client_handshake_failed \
  "client_handshake phase: client_handshake_failed"

touch "$work/stop"
wait "$holder_pid" 2>/dev/null || true
holder_pid=""
wait_flows 4 || true
check_eq "$(flows --raw | jq -c '[.running, (.flows | length)]')" "[0,0]" "every flow ended: none listed"
validate_log "$log"

stop_tlsgate
rc=0
out=$(flows 2>&1) || rc=$?
check_eq "$rc" 1 "daemon stopped: exit 1"
check "daemon stopped: says so" grep -q "is the tlsgate daemon running" <<<"$out"
finish
