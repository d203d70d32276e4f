#!/usr/bin/env bash
# Soak test (issue 13): tlsgate under abuse in the namespace lab, with thresholds.
#
#   scripts/soak.sh [options]
#
# Brings up its own lab (LAB_ID soak<pid>, removed on exit, also on failure), installs the
# REDIRECT rules for port 443 in the gateway, starts tlsgate (intercept everything) and measures
# a steady HTTPS client alone (baseline), then, from the client namespace and while the steady
# client goes on: N idle intercepted TLS connections held open, M slowloris connections (one
# byte of a TLS record, then nothing), garbage on 443, truncated ClientHellos, resets after a
# partial hello and after a handshake, a request with 10,000 tiny headers and one with a 1 MiB
# header block, and one address that opens more connections than max_flows_per_client. The load is held --duration seconds once everything is open, then
# every client closes and the gateway gets --quiet seconds to go quiet.
#
# Options:
#   --idle N          idle intercepted TLS connections (default 10000)
#   --slowloris N     slowloris connections (default 5000)
#   --abuse N         connections of each abuse kind: garbage, truncated, two resets (default 200)
#   --flood N         connections from the flood address (default: max_flows_per_client + 200)
#   --duration S      seconds the load is held once every connection is open (default 30)
#   --baseline S      seconds of steady client alone before the abuse (default 10)
#   --interval S      the steady client's pause between requests (default 0.05)
#   --quiet S         seconds the gateway gets to go quiet before the "after" figures (default 5)
#   --per-source N    connections per client source address (default 1000; the client namespace
#                     gets as many extra addresses as needed, 10.10.1.100 and up)
#   --workers N       tlsgate worker threads (default 2)
#   --gw-nofile S:H   soft:hard RLIMIT_NOFILE tlsgate is started with (default 1024:this shell's hard
#                     limit, like a service without LimitNOFILE: the daemon should raise it itself)
#   --fd-tolerance N  open FDs "after" may exceed "before" by N (default 0)
#   --json FILE       also write the figures and threshold results to FILE
#   --keep            keep the work directory (flow log, config, client outputs)
#   -h, --help        this text
# Environment: TLSGATE_BIN (default build/tlsgate), SOAK_LAB_ID.
#
# Thresholds (exit 1 when one fails): the steady client got 200 for every request; the idle
# connections were all held; RSS after within 20 MB of before; open FDs after == before (+ the
# tolerance); flow lines == connections made - connections refused (refusals come from the
# `limit` lines); at most about one `limit` line per second; the gateway still runs at the end.
# Exit 2: usage or setup error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib/lab.sh

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
idle=10000 slowloris=5000 abuse=200 flood="" duration=30 baseline=10 interval=0.05 quiet=5
per_source=1000 workers=2 gw_nofile=1024:$(ulimit -Hn) fd_tol=0 json="" keep=0
while (($#)); do
  case "$1" in
    --idle) idle=$2; shift 2 ;;
    --slowloris) slowloris=$2; shift 2 ;;
    --abuse) abuse=$2; shift 2 ;;
    --flood) flood=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --quiet) quiet=$2; shift 2 ;;
    --per-source) per_source=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --gw-nofile) gw_nofile=$2; shift 2 ;;
    --fd-tolerance) fd_tol=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in idle slowloris abuse duration baseline quiet per_source workers fd_tol; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak.sh: --${v//_/-} must be a whole number" >&2; exit 2; }
done
[[ -z $flood || $flood =~ ^[0-9]+$ ]] || { echo "soak.sh: --flood must be a whole number" >&2; exit 2; }
[[ $gw_nofile =~ ^[0-9]+:[0-9]+$ ]] || { echo "soak.sh: --gw-nofile must be SOFT:HARD" >&2; exit 2; }
((per_source > 0)) || { echo "soak.sh: --per-source must be positive" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "soak.sh: run as root (it creates network namespaces)" >&2; exit 2; }
TLSGATE_BIN=${TLSGATE_BIN:-$root/build/tlsgate}
[[ -x $TLSGATE_BIN ]] || { echo "soak.sh: no tlsgate binary at $TLSGATE_BIN (set TLSGATE_BIN)" >&2; exit 2; }
for tool in ip nft jq curl python3; do
  command -v "$tool" >/dev/null || { echo "soak.sh: $tool missing; run scripts/setup.sh" >&2; exit 2; }
done
idle_src_n=$(((idle + per_source - 1) / per_source))
slow_src_n=$(((slowloris + per_source - 1) / per_source))
((idle_src_n <= 45 && slow_src_n <= 45)) || { echo "soak.sh: too many source addresses; raise --per-source" >&2; exit 2; }

PY=/usr/bin/python3
CLIENTS="$root/scripts/soak_clients.py"
export LAB_ID=${SOAK_LAB_ID:-soak$$}
LAB_ID=${LAB_ID:0:12}
GW_PID="" MON_PID="" client_pids=()
say() { echo "soak.sh: $*" >&2; }

cleanup() {
  local rc=$?
  trap - ERR
  touch "$work/stop" 2>/dev/null || true
  local p
  for p in "${client_pids[@]}" $MON_PID; do kill "$p" 2>/dev/null || true; done
  for p in "${client_pids[@]}" $MON_PID; do wait "$p" 2>/dev/null || true; done
  stop_tlsgate TERM
  lab_cleanup
  if ((keep)); then say "kept $work"; else rm -rf "$work"; fi
  return $rc
}

# --- lab
LAB_LARGE_MB=1 lab_up
work=$(mktemp -d /tmp/tlsgate-soak.XXXXXX)
chmod 755 "$work"
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "soak.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# nginx must hold every upstream connection for the whole run: more connections and descriptors,
# no timeout on a connection that sent no request, no access log (disk I/O is not under test).
nginx_conf=$LAB_DIR/nginx/nginx.conf
sed -i -e "s|^events { worker_connections .*|worker_rlimit_nofile 200000;\nevents { worker_connections 100000; }|" \
  -e "s|^  access_log .*|  access_log off; client_header_timeout 3600s; keepalive_timeout 3600s;|" "$nginx_conf"
in_server nginx -c "$nginx_conf" -s reload 2>/dev/null
# Per-namespace settings only: more ephemeral ports for the client and the gateway's upstream legs.
for ns in "$NS_CLIENT" "$NS_GW"; do
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.core.somaxconn=65535 \
    net.ipv4.tcp_max_syn_backlog=65535
done
# Client source addresses (inside the client namespace): at most --per-source connections each.
idle_src="" slow_src=""
for ((i = 0; i < idle_src_n; i++)); do
  in_client ip addr add "10.10.1.$((100 + i))/24" dev eth0; idle_src+=${idle_src:+,}10.10.1.$((100 + i))
done
for ((i = 0; i < slow_src_n; i++)); do
  in_client ip addr add "10.10.1.$((150 + i))/24" dev eth0; slow_src+=${slow_src:+,}10.10.1.$((150 + i))
done
ABUSE_SRC=10.10.1.200 FLOOD_SRC=10.10.1.201 STEADY_SRC=$CLIENT_IP4
in_client ip addr add "$ABUSE_SRC/24" dev eth0
in_client ip addr add "$FLOOD_SRC/24" dev eth0
sleep 1  # let nginx's new worker take over

# --- tlsgate
max_per_client=$((per_source + 100))
max_flows=$((idle + slowloris + max_per_client + 2000))
test_config workers:="$workers" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  idle_timeout_s:=$((duration + 900)) learned_bypass:=false shutdown_grace_s:=2 max_flows:="$max_flows" \
  max_flows_per_client:="$max_per_client" metrics_listen=127.0.0.1:9101 >"$work/config.json"
mkdir -p "$work/state"
rules_install --lan-if "$GW_LAN_IF" --ports 443
TLSGATE_NOFILE=$gw_nofile start_tlsgate "$work/config.json" "$work/tlsgate.stderr" >"$work/tlsgate.stdout" || exit 2
GW_PID=$TLSGATE_PID
[[ -z $flood ]] && flood=$((max_per_client + 200))
sleep 0.5
gw_nofile_now=$(awk '/Max open files/ {print $4 ":" $5}' "/proc/$GW_PID/limits")
say "tlsgate pid $GW_PID, limits: max_flows $max_flows, max_flows_per_client $max_per_client, RLIMIT_NOFILE started $gw_nofile, now $gw_nofile_now"
ca=$work/state/ca.crt
# Each idle intercepted flow holds 2 descriptors, each tunnelled slowloris flow 6 (2 sockets, 2 splice pipes).
fd_need=$((2 * idle + 6 * slowloris + 100))
gw_hard=${gw_nofile_now#*:}
[[ $gw_hard =~ ^[0-9]+$ ]] && ((fd_need > gw_hard)) &&
  say "warning: the load needs about $fd_need descriptors in the gateway, its hard limit is $gw_hard"

# --- measurement helpers
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$GW_PID/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$GW_PID/fd" 2>/dev/null | wc -l; }
flow_count() { grep -c '"event":"flow"' "$work/flows.jsonl" 2>/dev/null || true; }
gw_conns() { in_gw ss -Htn state established 2>/dev/null | wc -l; }
sum_made() { local f; for f in "$@"; do if [[ -s $f ]]; then cat "$f"; fi; done | jq -s '[.[].made // 0] | add // 0'; }
refused() { grep '"event":"limit"' "$work/flows.jsonl" 2>/dev/null | jq -s '[.[].refused // 0] | add // 0'; }
accounted_for() { (($(flow_count) + $(refused) >= $1)); }
flow_log_quiet() { local n; n=$(flow_count); sleep 1; (($(flow_count) == n)); }
# Waits (at most $2 s each) until the flow lines account for $1 connections, then until none arrives for 1 s.
wait_flows() {
  wait_until --every 0.5 "$2" "flow and limit lines for $1 connections" accounted_for "$1" || true
  wait_until --every 0 "$2" "the flow log to go quiet" flow_log_quiet || true
}

# --- baseline: the steady client alone
say "baseline: steady client alone for ${baseline}s"
in_client "$PY" "$CLIENTS" steady www.example.test "$ca" "$STEADY_SRC" "$interval" "$baseline" \
  "$work/baseline.txt" "$work/stop.baseline" >"$work/baseline.json"
wait_flows "$(sum_made "$work/baseline.json")" 30
sleep 1
rss_before=$(rss_kib) fds_before=$(fds)
say "before: RSS $rss_before KiB, $fds_before FDs"

# --- the abuse, with the steady client going on
: >"$work/samples.txt"
(
  end=$((SECONDS + duration + 1800))
  while ((SECONDS < end)) && [[ ! -f $work/stop.monitor ]]; do
    echo "$(awk '/^VmRSS:/ {print $2}' "/proc/$GW_PID/status" 2>/dev/null || echo 0) $(ls "/proc/$GW_PID/fd" 2>/dev/null | wc -l)" >>"$work/samples.txt"
    sleep 0.5
  done
) &
MON_PID=$!
abuse_start=$(date +%s.%N)
hold_max=$((duration + 900))  # a bound on every client, whatever happens
in_client "$PY" "$CLIENTS" steady www.example.test "$ca" "$STEADY_SRC" "$interval" "$hold_max" \
  "$work/steady.txt" "$work/stop" >"$work/steady.json" 2>"$work/steady.err" &
client_pids+=($!)
say "abuse: $idle idle (from $idle_src_n addresses), $slowloris slowloris ($slow_src_n addresses), $abuse of each abuse kind, flood $flood"
in_client bash -c "ulimit -n \$(ulimit -Hn); exec $PY $CLIENTS idle www.example.test $ca $idle_src $idle $hold_max $work/idle.ready $work/stop" \
  >"$work/idle.json" 2>"$work/idle.err" &
client_pids+=($!)
in_client bash -c "ulimit -n \$(ulimit -Hn); exec $PY $CLIENTS slowloris www.example.test $slow_src $slowloris $hold_max $work/slow.ready $work/stop" \
  >"$work/slow.json" 2>"$work/slow.err" &
client_pids+=($!)
in_client "$PY" "$CLIENTS" abuse www.example.test "$ca" "$ABUSE_SRC" "$abuse" >"$work/abuse.json" 2>"$work/abuse.err" &
client_pids+=($!)
abuse_pid=$!
if ((flood > 0)); then
  in_client bash -c "ulimit -n \$(ulimit -Hn); exec $PY $CLIENTS flood www.example.test $FLOOD_SRC $flood 10" \
    >"$work/flood.json" 2>"$work/flood.err" &
  client_pids+=($!)
fi
# Everything open (bounded: the idle handshakes are the slow part on a shared machine).
all_open() { [[ -f $work/idle.ready && -f $work/slow.ready ]] && process_gone "$abuse_pid"; }
wait_until --every 1 600 "every client's connections open" all_open || true
open_s=$(awk -v s="$abuse_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
say "all open after ${open_s}s: idle $(jq -c . "$work/idle.ready" 2>/dev/null), slowloris $(jq -c . "$work/slow.ready" 2>/dev/null); gateway holds $(gw_conns) TCP connections; holding ${duration}s"
held_conns=$(gw_conns)
sleep "$duration"
touch "$work/stop"
for p in "${client_pids[@]}"; do
  wait_until --every 0.5 60 "client $p to stop" process_gone "$p" || true
  stop_process "$p"
done
client_pids=()
abuse_end=$(date +%s.%N)

# --- after: every connection accounted for, then quiet
made=$(sum_made "$work"/{baseline,steady,idle,slow,abuse,flood}.json)
say "abuse over; waiting for $made connections to be accounted for"
wait_flows "$made" 180
no_gw_conns() { (($(gw_conns) == 0)); }
wait_until --every 1 60 "the gateway's TCP connections to close" no_gw_conns || true
sleep "$quiet"
rss_after=$(rss_kib) fds_after=$(fds)
touch "$work/stop.monitor"
wait "$MON_PID" 2>/dev/null || true
MON_PID=""
gw_alive=0
kill -0 "$GW_PID" 2>/dev/null && gw_alive=1
metrics_text=$(in_gw curl -s -m 5 http://127.0.0.1:9101/metrics 2>/dev/null || true)
metric_sum() { awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%d", s }' <<<"$metrics_text"; }
cp "$work/tlsgate.stderr" "$work/tlsgate.stderr.copy" 2>/dev/null || true

trap - ERR
rc=0
# Under AddressSanitizer freed memory sits in the sanitizer's quarantine and
# malloc_trim does not apply: the RSS threshold is reported, not enforced.
sanitized=false
ldd "$TLSGATE_BIN" 2>/dev/null | grep -q libasan && sanitized=true
"$PY" "$CLIENTS" report "$work" "$(jq -n \
  --argjson idle "$idle" --argjson slowloris "$slowloris" --argjson abuse "$abuse" --argjson flood "$flood" \
  --argjson duration "$duration" --argjson baseline "$baseline" --arg interval "$interval" \
  --argjson max_flows "$max_flows" --argjson max_per_client "$max_per_client" \
  --arg nofile_start "$gw_nofile" --arg nofile_now "$gw_nofile_now" \
  --argjson rss_before "$rss_before" --argjson rss_after "$rss_after" --argjson sanitized "$sanitized" \
  --argjson fds_before "$fds_before" --argjson fds_after "$fds_after" --argjson fd_tol "$fd_tol" \
  --argjson held_conns "$held_conns" --arg open_s "$open_s" \
  --arg abuse_start "$abuse_start" --arg abuse_end "$abuse_end" --argjson gw_alive "$gw_alive" \
  --argjson log_dropped "$(metric_sum tlsgate_log_lines_dropped_total)" \
  --argjson flows_metric "$(metric_sum tlsgate_flows_total)" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '$ARGS.named')" "$json" || rc=$?
exit $rc
