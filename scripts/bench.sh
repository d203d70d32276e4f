#!/usr/bin/env bash
# Benchmarks tlsgate against other intercepting proxies in the namespace lab
# (issue 7). Needs root; installs missing Debian packages, builds tlsgate
# Release into build-bench/, brings up its own lab (LAB_ID, default bench) and
# removes it again on exit. Two benches on one machine need two LAB_IDs.
#
#   scripts/bench.sh [--peers tlsgate,sslsplit,mitmproxy,squid,none] [--metrics LIST] [--quick] [--no-doc]
#
#   --peers   which gateways to measure (default: all five; none = plain kernel forwarding)
#   --quick   about 3 s per metric and 200 idle connections (smoke test); never written to the doc
#   --no-doc  only print the results, leave docs/benchmarks.md alone
#   --metrics which measurements (default all: newconn,resume,h1,h2,latency,bulk,idle,upcache); a
#             subset never writes the doc. upcache (tlsgate only): new connections again with tlsgate's
#             default upstream session cache, after the others (which run without it). icount
#             (tlsgate only, not in the default list, needs valgrind): instructions per keep-alive
#             request (h1, h2) counted by callgrind, which a busy machine does not disturb
#   TLSGATE_BIN=path in the environment: measure that tlsgate binary instead of building this tree
#             (A/B runs of two builds); BENCH_IDLE_N overrides the idle connection count
#   BENCH_HOST_RULES=1 in the environment gives tlsgate's policy a host rule (a block for a name
#             the load never asks for), so every request of an intercepted flow is held and decided
#             by the request gate: the cost of request-time decisions (A/B against a build without it)
#   BENCH_KEEP_WORK=1 in the environment keeps the peers' logs and configs (/tmp/tlsgate-bench.*)
#   BENCH_PERF=record in the environment (needs Debian's linux-perf) samples the gateway during each
#             metric with `perf record -g` into build-bench/perf-PEER-METRIC.data (`perf report -i`);
#             BENCH_PERF=dwarf does the same with DWARF call graphs (callers inside libraries built
#             without frame pointers, such as OpenSSL; large files); BENCH_PERF=stat counts its
#             system calls and context switches into build-bench/perf-PEER-METRIC.txt. Each costs
#             the gateway CPU: profiling runs only
#
# Every gateway runs in the gateway namespace pinned to CPU 0; nginx and the
# load generators run pinned to CPU 1. Each gateway has its own CA (made here
# with openssl, EC P-256) that the client trusts. Output: one line per metric,
#   BENCH peer=P metric=M value=V unit=U gw_cpu_s=C
# on stdout and in build-bench/bench-results.txt, and (full runs) the tables in
# docs/benchmarks.md. The "## Profile" section of the doc is kept across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib/lab.sh

peers=tlsgate,sslsplit,mitmproxy,squid,none
quick=0
write_doc=1
metrics=newconn,resume,h1,h2,latency,bulk,idle,upcache
while (($#)); do
  case "$1" in
    --peers) peers=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --no-doc) write_doc=0; shift ;;
    --metrics) metrics=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $EUID -eq 0 ]] || { echo "bench.sh: run as root (it creates network namespaces)" >&2; exit 1; }
IFS=, read -r -a peer_list <<<"$peers"
for p in "${peer_list[@]}"; do
  [[ $p =~ ^(tlsgate|sslsplit|mitmproxy|squid|none)$ ]] || { echo "bench.sh: unknown peer '$p'" >&2; exit 2; }
done
((quick)) && write_doc=0
[[ $metrics == newconn,resume,h1,h2,latency,bulk,idle,upcache ]] || write_doc=0
want() { [[ ,$metrics, == *,$1,* ]]; }

PY=/usr/bin/python3
TOOLS="$PY $root/scripts/bench_tools.py"
# Every gateway holds two sockets per idle intercepted connection: 10,000 of them need more than
# 20,000 descriptors, more than some machines allow (this container's hard limit is 20,000), so the
# count is what the hard limit leaves room for, 10,000 at most.
hard_files=$(ulimit -Hn)
[[ $hard_files == unlimited ]] && hard_files=1000000
full_idle=$(((hard_files - 4000) / 2))
((full_idle > 10000)) && full_idle=10000
if ((quick)); then T=3 IDLE_N=200 LARGE_MB=64; else T=10 IDLE_N=$full_idle LARGE_MB=256; fi
IDLE_N=${BENCH_IDLE_N:-$IDLE_N}

# --- packages (the load generators, and the gateways measured) and build
tools=(wrk:wrk h2load:nghttp2-client python3:python3 nginx:nginx jq:jq)
[[ ,$peers, == *,sslsplit,* ]] && tools+=(sslsplit:sslsplit)
[[ ,$peers, == *,mitmproxy,* ]] && tools+=(mitmdump:mitmproxy)
[[ ,$peers, == *,squid,* ]] && tools+=(squid:squid-openssl /usr/lib/squid/security_file_certgen:squid-openssl)
need=()
for pair in "${tools[@]}"; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  echo "bench.sh: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
if [[ -n ${TLSGATE_BIN:-} ]]; then
  mkdir -p build-bench
else
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTLSGATE_BENCH=OFF >/dev/null
  cmake --build build-bench -j "$(nproc)" --target tlsgate
  TLSGATE_BIN=$root/build-bench/tlsgate
fi
results=$root/build-bench/bench-results.txt
: >"$results"

# The 2 cores are shared with whatever else runs on the machine (other builds): the bench's processes
# (lab, gateways, clients, nginx, all children of this shell) get a higher priority than those.
renice -n -10 -p $$ >/dev/null

# --- lab, teardown
export LAB_ID=${LAB_ID:-bench} LAB_LARGE_MB=$LARGE_MB
ulimit -n "$(ulimit -Hn)"  # see IDLE_N above
GW_PID=""
CLIENT_PID=""
stop_peer() {
  stop_process "$CLIENT_PID"
  CLIENT_PID=""
  stop_process "$GW_PID" TERM 5
  GW_PID="" TLSGATE_PID=""
  rules_remove >/dev/null 2>&1 || true
  in_gw nft delete table inet bench_tunnel >/dev/null 2>&1 || true
}
cleanup() {
  stop_peer
  lab_cleanup
  if [[ -n ${BENCH_KEEP_WORK:-} ]]; then echo "bench.sh: kept $work" >&2; else rm -rf "$work"; fi
}
lab_up
work=$(mktemp -d /tmp/tlsgate-bench.XXXXXX)
chmod 755 "$work"
trap cleanup EXIT
trap 'exit 130' INT TERM
LAB_CLIENT_CPUS=1

# nginx: pinned to CPU 1, and an access log that says whether each TLS session was resumed. Its
# keepalive_requests (100,000) would end h2load's connections early (h2load does not reconnect).
nginx_conf=$LAB_DIR/nginx/nginx.conf
sed -i "s|^  keepalive_requests .*|  keepalive_requests 100000000;\n  keepalive_timeout 600s;|" "$nginx_conf"
# 10,000 idle intercepted connections are 10,000 upstream connections at nginx.
sed -i "s|^events { worker_connections .*|worker_rlimit_nofile 65000;\nevents { worker_connections 30000; }|" "$nginx_conf"
sed -i "s|^  access_log .*|  log_format bench '\$ssl_session_reused \$ssl_protocol \$server_port \$request_uri \$status';\n  access_log $LAB_DIR/nginx/access.log bench buffer=64k flush=1s;|" \
  "$nginx_conf"
nginx_master=$(cat "$LAB_DIR/nginx/nginx.pid")
taskset -pc 1 "$nginx_master" >/dev/null
in_server nginx -c "$nginx_conf" -s reload
sleep 1
for pid in $(pgrep -P "$nginx_master"); do taskset -pc 1 "$pid" >/dev/null; done
nginx_log=$LAB_DIR/nginx/access.log

# --- one CA per gateway (EC P-256, like the lab's PKI)
make_ca() {  # dir name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$2 bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$1/ca.key" -out "$1/ca.crt" 2>/dev/null
  cat "$PUBLIC_CA_CERT" "$1/ca.crt" >"$1/trust.pem"
}

# 443 goes to the intercepting listener; 8443 to the tunnelling one (same port when the gateway
# decides by its own policy).
install_rules() {  # intercept_port tunnel_port
  rules_install --lan-if "$GW_LAN_IF" --ports 443 --to-port "$1"
  in_gw nft -f - <<EOF
table inet bench_tunnel {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$GW_LAN_IF" meta l4proto tcp tcp dport 8443 redirect to :$2
  }
}
EOF
}

# Every gateway's start_peer_NAME DIR starts it pinned to CPU 0 ($GW_PID) and installs the rules.
start_peer_tlsgate() {  # dir [upstream_cache]
  local d=$1 work=$1 cache=(upstream_session_cache_entries:=0) rc=0  # test_config's files go into $work
  [[ ${2:-} == upstream_cache ]] && cache=()
  local host_rule=""
  [[ ${BENCH_HOST_RULES:-0} == 1 ]] && host_rule='{"name": "bench host rule", "host": "blocked.bench.test", "action": "block"}, '
  cat >"$d/policy.json" <<JSON
{"default": "intercept", "rules": [${host_rule}{"name": "bench tunnel", "port": 8443, "action": "tunnel"}]}
JSON
  # No upstream session cache (unless asked): every new connection is a full handshake on both legs.
  test_config policy_file="$d/policy.json" ca_cert="$d/ca.crt" ca_key="$d/ca.key" upstream_ca_file="$PUBLIC_CA_CERT" \
    "${cache[@]}" learned_bypass:=false max_flows_per_client:=100000 >"$d/config.json"
  TLSGATE_CPUS=0 start_tlsgate "$d/config.json" "$d/stderr.log" >"$d/stdout.log" || rc=1
  GW_PID=$TLSGATE_PID
  ((rc == 0)) || return 1
  install_rules 15001 15001
}

start_peer_sslsplit() {
  local d=$1
  # The same kind of leaf key as tlsgate (EC P-256), so the handshakes compare like for like.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/leaf.key" 2>/dev/null
  taskset -c 0 ip netns exec "$NS_GW" sslsplit -k "$d/ca.key" -c "$d/ca.crt" -K "$d/leaf.key" -P \
    ssl 0.0.0.0 15011 tcp 0.0.0.0 15012 >"$d/stdout.log" 2>"$d/stderr.log" &
  GW_PID=$!
  wait_listening "$GW_PID" 20 15011 15012 || return 1
  install_rules 15011 15012
}

start_peer_mitmproxy() {
  local d=$1
  mkdir -p "$d/conf"
  cat "$d/ca.key" "$d/ca.crt" >"$d/conf/mitmproxy-ca.pem"
  # stream_large_bodies: relay big bodies instead of buffering them whole (its documented setting).
  taskset -c 0 ip netns exec "$NS_GW" mitmdump -q --mode transparent --listen-host 0.0.0.0 --listen-port 15021 \
    --set confdir="$d/conf" --set ssl_verify_upstream_trusted_ca="$PUBLIC_CA_CERT" \
    --set ignore_hosts=':8443$' --set stream_large_bodies=1m >"$d/stdout.log" 2>"$d/stderr.log" &
  GW_PID=$!
  wait_listening "$GW_PID" 20 15021 || return 1
  install_rules 15021 15021
}

start_peer_squid() {
  local d=$1
  mkdir -p "$d/squid"
  /usr/lib/squid/security_file_certgen -c -s "$d/squid/ssl_db" -M 16MB >/dev/null
  # Squid checks that the intercepted name resolves to the original destination (else "Host header
  # forgery" and no splice). The lab's hosts file lists IPv6 after IPv4, and squid keeps the later
  # line; the bench is IPv4, so squid gets an IPv4-only copy. There is no DNS server in the lab.
  grep -v ':' /etc/netns/"$NS_GW"/hosts >"$d/squid/hosts"
  cat >"$d/squid/squid.conf" <<EOF
http_port 127.0.0.1:3128
https_port 0.0.0.0:15031 intercept ssl-bump tls-cert=$d/ca.crt tls-key=$d/ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
https_port 0.0.0.0:15032 intercept ssl-bump name=tunport tls-cert=$d/ca.crt tls-key=$d/ca.key generate-host-certificates=on
sslcrtd_program /usr/lib/squid/security_file_certgen -s $d/squid/ssl_db -M 16MB
sslcrtd_children 4 startup=1 idle=1
tls_outgoing_options cafile=$PUBLIC_CA_CERT
acl step1 at_step SslBump1
acl tunport myportname tunport
ssl_bump peek step1
ssl_bump splice tunport
ssl_bump bump all
http_access allow all
cache deny all
cache_mem 8 MB
access_log none
cache_log $d/squid/cache.log
pid_filename $d/squid/squid.pid
coredump_dir $d/squid
netdb_filename none
hosts_file $d/squid/hosts
dns_nameservers 127.0.0.1
max_filedescriptors 16384
shutdown_lifetime 1 seconds
EOF
  chown -R proxy:proxy "$d/squid"
  chown proxy:proxy "$d/ca.key"
  taskset -c 0 ip netns exec "$NS_GW" squid -N -f "$d/squid/squid.conf" >"$d/stdout.log" 2>"$d/stderr.log" &
  GW_PID=$!
  wait_listening "$GW_PID" 20 15031 15032 || return 1
  install_rules 15031 15032
}

# --- measurement
gw_cpu() { if [[ -n $GW_PID ]]; then $TOOLS cpu "$GW_PID"; else echo 0; fi; }
gw_sys() { if [[ -n $GW_PID ]]; then $TOOLS sys "$GW_PID"; else echo 0; fi; }
# Both CPUs' busy share over a metric (snap0 at its start, snap1 at its end): which side was the limit;
# and the kernel's part of the gateway's CPU (system time: its system calls and the TCP work they do).
snap0="" snap1="" sys0="" sys1=""
begin_metric() { c0=$(gw_cpu) sys0=$(gw_sys) snap0=$($TOOLS cpus) snap1="" sys1=""; }
end_metric() { c1=$(gw_cpu) sys1=$(gw_sys) snap1=$($TOOLS cpus); }
emit() {  # peer metric value unit gw_cpu_s [extra...]
  local line="BENCH peer=$1 metric=$2 value=$3 unit=$4 gw_cpu_s=$5"
  shift 5
  (($#)) && line+=" $*"
  [[ -n $snap0 && -n $snap1 ]] && line+=" $($TOOLS util "$snap0" "$snap1")"
  [[ -n $GW_PID && -n $sys0 && -n $sys1 ]] && line+=" gw_sys_s=$(calc "$sys1 - $sys0")"
  echo "$line" | tee -a "$results"
}
calc() { $PY -c "print(f'{$1:.6g}')"; }
cpu_na() { if [[ -n $GW_PID ]]; then echo "$1"; else echo na; fi; }
per_unit() {  # cpu count scale -> cpu*scale/count or na
  if [[ -z $GW_PID ]] || [[ $2 == 0 ]]; then echo na; else calc "$1 * $3 / $2"; fi
}
nginx_reused() { grep -c "^r " "$nginx_log" || true; }
nginx_lines() { wc -l <"$nginx_log"; }

m_newconn() {  # peer trust [metric_suffix]
  local c0 c1 out conns errors resumed n0 n1 r0 r1 cpu
  sleep 1.2  # let nginx flush its log buffer
  n0=$(nginx_lines) r0=$(nginx_reused)
  begin_metric
  out=$(in_client timeout $((T + 30)) $TOOLS newconn www.example.test 443 "$2" "$T" 4 || echo "conns=0 errors=-1")
  end_metric
  sleep 1.2
  n1=$(nginx_lines) r1=$(nginx_reused)
  conns=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' <<<"$out")
  errors=$(sed -n 's/.*errors=\(-\?[0-9]*\).*/\1/p' <<<"$out")
  resumed=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' <<<"$out")
  cpu=$(calc "$c1 - $c0")
  emit "$1" "new_conn_rate${3:-}" "$(calc "$conns / $T")" conn/s "$(cpu_na "$cpu")" \
    "errors=$errors client_resumed=${resumed:-0} server_requests=$((n1 - n0)) server_resumed=$((r1 - r0))"
  emit "$1" "cpu_per_new_conn${3:-}" "$(per_unit "$cpu" "$conns" 1000)" gw_cpu_ms/conn "$(cpu_na "$cpu")"
}

m_resume() {  # peer trust: new connections whose client offers its previous session's ticket
  local c0 c1 out conns resumed cpu
  begin_metric
  out=$(in_client timeout $((T + 30)) $TOOLS newconn www.example.test 443 "$2" "$T" 4 resume || echo "conns=0 errors=-1")
  end_metric
  conns=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' <<<"$out")
  resumed=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' <<<"$out")
  cpu=$(calc "$c1 - $c0")
  emit "$1" new_conn_rate_resumed "$(calc "$conns / $T")" conn/s "$(cpu_na "$cpu")" "client_resumed=${resumed:-0}"
  emit "$1" cpu_per_resumed_conn "$(per_unit "$cpu" "$conns" 1000)" gw_cpu_ms/conn "$(cpu_na "$cpu")"
}

m_h1() {  # peer
  local c0 c1 out reqs cpu
  begin_metric
  out=$(in_client timeout $((T + 20)) wrk -t1 -c16 -d"${T}s" https://www.example.test/small 2>&1 || true)
  end_metric
  reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  reqs=${reqs:-0}
  local non2xx
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
  cpu=$(calc "$c1 - $c0")
  emit "$1" keepalive_h1_rate "$(calc "$reqs / $T")" req/s "$(cpu_na "$cpu")" "client=wrk_c16 non2xx=${non2xx:-0}"
  emit "$1" cpu_per_10k_req_h1 "$(per_unit "$cpu" "$reqs" 10000)" gw_cpu_s/10k_req "$(cpu_na "$cpu")"
  ((reqs > 0)) || echo "bench.sh: $1 h1: $(tail -n 3 <<<"$out" | tr '\n' ' ')" >&2
}

m_h2() {  # peer
  local c0 c1 out reqs cpu
  begin_metric
  out=$(in_client timeout $((T + 20)) h2load -c8 -m10 -t1 -D "$T" https://www.example.test/small 2>&1 || true)
  end_metric
  reqs=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
  reqs=${reqs:-0}
  cpu=$(calc "$c1 - $c0")
  # Without h2 in ALPN h2load falls back to pipelined HTTP/1.1: that is no h2 figure.
  if grep -q "No protocol negotiated" <<<"$out"; then
    emit "$1" keepalive_h2_rate na req/s "$(cpu_na "$cpu")" "client=h2load_c8_m10 error=no_h2_negotiated" \
      "h1_fallback_req_s=$(calc "$reqs / $T")"
    emit "$1" cpu_per_10k_req_h2 na gw_cpu_s/10k_req "$(cpu_na "$cpu")" "error=no_h2_negotiated"
    return
  fi
  emit "$1" keepalive_h2_rate "$(calc "$reqs / $T")" req/s "$(cpu_na "$cpu")" "client=h2load_c8_m10"
  emit "$1" cpu_per_10k_req_h2 "$(per_unit "$cpu" "$reqs" 10000)" gw_cpu_s/10k_req "$(cpu_na "$cpu")"
}

m_latency() {  # peer
  local out p50 p99 c0 c1
  begin_metric
  out=$(in_client timeout $((T + 20)) wrk -t1 -c1 -d"${T}s" --latency https://www.example.test/small 2>&1 || true)
  end_metric
  to_ms() { $PY -c "
import sys; v = sys.argv[1]
for suf, f in (('us', 0.001), ('ms', 1), ('s', 1000)):
    if v.endswith(suf): print(f'{float(v[:-len(suf)]) * f:.4g}'); break
else: print('na')" "${1:-x}"; }
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  emit "$1" latency_p50 "$p50" ms "$(cpu_na "$(calc "$c1 - $c0")")" "client=wrk_c1"
  emit "$1" latency_p99 "$p99" ms "$(cpu_na "$(calc "$c1 - $c0")")" "client=wrk_c1"
}

m_bulk() {  # peer trust port metric
  local c0 c1 bytes=0 secs=0 start now left out cpu err=""
  begin_metric
  start=$(date +%s.%N)
  for _ in $(seq 1 100); do
    now=$(date +%s.%N)
    left=$($PY -c "print(max(0.0, $T - ($now - $start)))")
    [[ $left == 0.0 ]] && break
    out=$(in_client curl -sS --http1.1 -m "$left" --cacert "$2" -o /dev/null -w '%{size_download} %{time_total}' \
      "https://www.example.test:$3/large" 2>"$work/curl.err" || true)
    [[ $out =~ ^([0-9]+)\ ([0-9.]+) ]] || break
    ((BASH_REMATCH[1] > 0)) || { err=$(head -n 1 "$work/curl.err" | tr ' =' '_:' | head -c 150); break; }
    bytes=$((bytes + BASH_REMATCH[1]))
    secs=$(calc "$secs + ${BASH_REMATCH[2]}")
  done
  end_metric
  cpu=$(calc "$c1 - $c0")
  if ((bytes > 0)); then
    emit "$1" "$4" "$(calc "$bytes / 1e6 / $secs")" MB/s "$(cpu_na "$cpu")" "bytes=$bytes"
  else
    emit "$1" "$4" na MB/s "$(cpu_na "$cpu")" "error=${err:-no_bytes}"
  fi
  emit "$1" "cpu_per_gib_${4#bulk_}" "$(per_unit "$cpu" "$bytes" 1073741824)" gw_cpu_s/GiB "$(cpu_na "$cpu")"
}

m_idle() {  # peer trust
  local ready=$work/idle.ready r0 r1 ok
  rm -f "$ready"
  [[ -n $GW_PID ]] || { emit "$1" idle_mem_per_conn na KiB/conn na "reason=no_gateway_process"; return; }
  r0=$($TOOLS rss "$GW_PID")
  in_client $TOOLS idle www.example.test 443 "$2" "$IDLE_N" "$ready" 600 &
  CLIENT_PID=$!
  wait_until --every 0.1 330 "the idle client's connections" test -f "$ready" || true
  sleep 1
  r1=$($TOOLS rss "$GW_PID")
  ok=$(sed -n 's/ok=\([0-9]*\).*/\1/p' "$ready" 2>/dev/null || true)
  ok=${ok:-0}
  kill "$CLIENT_PID" 2>/dev/null || true
  wait "$CLIENT_PID" 2>/dev/null || true
  CLIENT_PID=""
  if ((ok > 0)); then
    emit "$1" idle_mem_per_conn "$(calc "($r1 - $r0) / $ok")" KiB/conn na \
      "conns=$ok rss_before_kib=$r0 rss_after_kib=$r1 $(cat "$ready" | tr -d '\n')"
    emit "$1" idle_rss_total "$(calc "$r1 / 1024")" MiB na "conns=$ok"
  else
    emit "$1" idle_mem_per_conn na KiB/conn na "error=no_idle_connection_opened"
  fi
}

# Instructions per keep-alive request: tlsgate runs under callgrind; each protocol runs a fixed
# number of requests twice (ICOUNT_N, then 3 x ICOUNT_N, on the same connection count) and the
# difference of the two counts over 2 x ICOUNT_N is the cost of a request alone (start-up,
# handshakes and teardown cancel out). Slow (about a minute); wall-clock noise does not reach it.
ICOUNT_N=${BENCH_ICOUNT_N:-2000}
callgrind_phase() {  # out_file h2load_args...: instructions of the gateway during one h2load run
  local out=$1 dumps total ok
  shift
  callgrind_control -z "$GW_PID" >/dev/null 2>&1
  in_client timeout 600 h2load "$@" https://www.example.test/small >"$out-h2load.txt" 2>&1 || true
  dumps=$(ls "$out".* 2>/dev/null | wc -l)
  callgrind_control -d "$GW_PID" >/dev/null 2>&1
  wait_until 60 "a callgrind dump" test -s "$out.$((dumps + 1))"
  total=$(sed -n 's/^requests: \([0-9]*\) total.*/\1/p' "$out-h2load.txt")
  ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$out-h2load.txt")
  if [[ -z $total || $ok != "$total" ]]; then
    echo "bench.sh: icount: $((total - ok)) of $total requests failed ($*)" >&2
    echo 0
    return
  fi
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out.$((dumps + 1))"
}
m_icount() {  # peer dir
  local d=$2 real=$TLSGATE_BIN out=$2/icount.callgrind proto n1 n3 args
  command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends valgrind
  # taskset, ip netns exec, this wrapper and valgrind all exec: $GW_PID is the process under callgrind.
  printf '#!/bin/sh\nexec valgrind -q --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file=%s "%s" "$@"\n' "$out" "$real" \
    >"$d/tlsgate-callgrind"
  chmod 755 "$d/tlsgate-callgrind"
  snap0="" snap1="" sys0="" sys1=""
  if ! TLSGATE_BIN=$d/tlsgate-callgrind start_peer_tlsgate "$d"; then
    emit "$1" instructions_per_req na instr/req na "error=start_failed"
    stop_peer
    return
  fi
  for proto in h1 h2; do
    if [[ $proto == h1 ]]; then args=(--h1 -c16 -m1 -t1); else args=(-c8 -m10 -t1); fi
    n1=$(callgrind_phase "$out" -n "$ICOUNT_N" "${args[@]}")
    n3=$(callgrind_phase "$out" -n $((3 * ICOUNT_N)) "${args[@]}")
    if [[ ${n1:-0} -gt 0 && ${n3:-0} -gt 0 ]]; then
      emit "$1" "instructions_per_req_$proto" "$(calc "($n3 - $n1) / (2 * $ICOUNT_N)")" instr/req na \
        "n=$ICOUNT_N instr_n=$n1 instr_3n=$n3"
    else
      emit "$1" "instructions_per_req_$proto" na instr/req na "error=requests_failed"
    fi
  done
  stop_peer
}

# Runs a metric, under `perf record` or `perf stat` of the gateway when BENCH_PERF says so.
profiled() {  # peer metric command...
  local peer=$1 metric=$2 perf_pid
  shift 2
  local out=$root/build-bench/perf-$peer-$metric
  case ${BENCH_PERF:-}:${GW_PID:+gw} in
    record:gw) perf record -q -g -F 999 -p "$GW_PID" -o "$out.data" >/dev/null 2>&1 & ;;
    dwarf:gw) perf record -q --call-graph dwarf,16384 -F 499 -p "$GW_PID" -o "$out.data" >/dev/null 2>&1 & ;;
    stat:gw) perf stat -e raw_syscalls:sys_enter,context-switches -t "$(ls /proc/"$GW_PID"/task | paste -sd,)" -o "$out.txt" >/dev/null 2>&1 & ;;
    *) "$@"; return ;;
  esac
  perf_pid=$!
  "$@"
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
}

run_peer() {
  local peer=$1 d=$work/$1
  mkdir -p "$d"
  if [[ $peer == none ]]; then
    cp "$PUBLIC_CA_CERT" "$d/trust.pem"
  else
    make_ca "$d" "$peer"
    if ! "start_peer_$peer" "$d"; then
      echo "bench.sh: $peer did not start:" >&2
      tail -n 20 "$d/stderr.log" "$d/stdout.log" >&2 2>/dev/null || true
      emit "$peer" start_failed na na na "error=$(tail -n 1 "$d/stderr.log" 2>/dev/null | tr ' =' '_:' | head -c 200)"
      stop_peer
      return 0
    fi
  fi
  local trust=$d/trust.pem code
  code=$(in_client curl -sS -o /dev/null -w '%{http_code}' -m 10 --cacert "$trust" https://www.example.test/small 2>&1 || true)
  if [[ $code != 200 ]]; then
    echo "bench.sh: $peer: a test request through it failed: $code" >&2
    emit "$peer" smoke_failed na na na "error=$(tr ' =' '_:' <<<"$code" | head -c 200)"
  fi
  want newconn && profiled "$peer" newconn m_newconn "$peer" "$trust"
  want resume && profiled "$peer" resume m_resume "$peer" "$trust"
  want h1 && profiled "$peer" h1 m_h1 "$peer"
  want h2 && profiled "$peer" h2 m_h2 "$peer"
  want latency && m_latency "$peer"
  want bulk && profiled "$peer" bulk m_bulk "$peer" "$trust" 443 bulk_intercept
  want bulk && m_bulk "$peer" "$trust" 8443 bulk_tunnel
  snap0="" snap1="" sys0="" sys1=""
  want idle && m_idle "$peer" "$trust"
  if [[ -n $GW_PID ]] && ! kill -0 "$GW_PID" 2>/dev/null; then
    echo "bench.sh: $peer exited during the run" >&2
  fi
  if [[ $peer == tlsgate ]] && want icount; then
    stop_peer
    m_icount "$peer" "$d"
  fi
  if [[ $peer == tlsgate ]] && want upcache; then
    stop_peer
    if start_peer_tlsgate "$d" upstream_cache; then
      profiled "$peer" upcache m_newconn "$peer" "$trust" _upstream_cache
    else
      emit "$peer" new_conn_rate_upstream_cache na conn/s na "error=start_failed"
    fi
  fi
  stop_peer
  [[ $peer == tlsgate ]] && cp "$d/stderr.log" "$root/build-bench/tlsgate-bench-stderr.log"
  return 0
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "# loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" >>"$results"
for peer in "${peer_list[@]}"; do
  echo "== $peer"
  run_peer "$peer"
done
echo "# loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" >>"$results"

if ((write_doc)); then
  $TOOLS report "$results" "$root/docs/benchmarks.md" "$started" "$T" "$IDLE_N" "$LARGE_MB"
  echo "bench.sh: wrote docs/benchmarks.md"
fi
echo "bench.sh: results in $results"
