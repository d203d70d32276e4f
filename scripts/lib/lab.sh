# shellcheck shell=bash
# The toolkit of everything that runs tlsgate in the namespace lab (the integration tests,
# scripts/bench.sh, scripts/soak.sh, scripts/demo.sh; the Vagrant provisioning uses its waits);
# sourced. scripts/lab.sh builds the lab.
#
#   lab_up                          a fresh lab for $LAB_ID (LAB_LARGE_MB as scripts/lab.sh), its
#                                   variables exported; an EXIT trap runs lab_cleanup (a caller
#                                   that sets its own calls lab_cleanup from it)
#   lab_cleanup                     kill tlsgate, remove the firewall rules and the lab; keeps $?
#   in_client|in_gw|in_server CMD...   CMD in that namespace; in_client pins it to the CPUs in
#                                   LAB_CLIENT_CPUS when set (taskset -c)
#   rules_install ARGS... / rules_remove   scripts/rules.sh install ARGS / remove, in the gateway
#   wait_until [--every S] SECONDS WHAT CMD...   run CMD (every S seconds, default 0.05) until it
#                                   succeeds; after SECONDS say on stderr that WHAT did not happen, fail
#   gw_listening PORT               a TCP listener on PORT in the gateway namespace
#   wait_listening PID SECONDS PORT...   until each PORT listens in the gateway; fails when PID exits
#   test_config KEY=TEXT|KEY:=JSON...    print a tlsgate config: the lab's usual one, each KEY set
#   start_tlsgate CONFIG [STDERR_FILE]   start $TLSGATE_BIN in the gateway ($TLSGATE_PID, stderr in
#                                   $TLSGATE_STDERR), wait for its listeners; TLSGATE_CPUS pins it
#                                   (taskset -c), TLSGATE_NOFILE=SOFT:HARD sets its RLIMIT_NOFILE
#   stop_tlsgate [SIGNAL]           signal it (default TERM), wait for it to exit (KILL after 30 s)
#   stop_process PID [SIGNAL] [SECONDS]  the same for any process this shell started
#   field JQ JSON                   jq -r JQ on the JSON text
#   s_client HOST:PORT [ARGS...]    openssl s_client -connect HOST:PORT ARGS from the client; it
#                                   sends its stdin (closed stdin: it leaves after the handshake)

LAB_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TLSGATE_PID=""
TLSGATE_STDERR=""

lab_up() {
  [[ $EUID -eq 0 ]] || { echo "the namespace lab needs root" >&2; exit 1; }
  trap lab_cleanup EXIT
  # A test stopped by a signal (ctest's timeout, Ctrl-C) still removes its lab:
  # `exit` in these traps runs the EXIT trap.
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  bash "$LAB_SCRIPTS/lab.sh" up >/dev/null
  set -a
  # shellcheck disable=SC1090
  source "/tmp/tlsgate-lab-$LAB_ID/env"
  set +a
}

lab_cleanup() {
  local rc=$?
  [[ -n $TLSGATE_PID ]] && kill -KILL "$TLSGATE_PID" 2>/dev/null
  ip netns exec "tg-$LAB_ID-gw" bash "$LAB_SCRIPTS/rules.sh" remove >/dev/null 2>&1
  bash "$LAB_SCRIPTS/lab.sh" down >/dev/null 2>&1
  return $rc
}

in_client() { ip netns exec "$NS_CLIENT" ${LAB_CLIENT_CPUS:+taskset -c "$LAB_CLIENT_CPUS"} "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_server() { ip netns exec "$NS_SERVER" "$@"; }

rules_install() { in_gw bash "$LAB_SCRIPTS/rules.sh" install "$@" >/dev/null; }
rules_remove() { in_gw bash "$LAB_SCRIPTS/rules.sh" remove; }

wait_until() {
  local every=0.05
  [[ $1 == --every ]] && { every=$2; shift 2; }
  local seconds=$1 what=$2
  shift 2
  local end=$((${EPOCHREALTIME/[.,]/} + seconds * 1000000))
  until "$@"; do
    if ((${EPOCHREALTIME/[.,]/} >= end)); then
      echo "timed out after ${seconds} s waiting for: $what" >&2
      return 1
    fi
    sleep "$every"
  done
}

gw_listening() { in_gw ss -Hltn "sport = :$1" | grep -q LISTEN; }
# Listening, or PID is gone (then waiting longer is pointless).
listening_or_gone() { gw_listening "$2" || ! kill -0 "$1" 2>/dev/null; }

wait_listening() {
  local pid=$1 seconds=$2 port
  shift 2
  for port in "$@"; do
    wait_until --every 0.1 "$seconds" "a listener on port $port" listening_or_gone "$pid" "$port" || return 1
    kill -0 "$pid" 2>/dev/null || { echo "the gateway exited at start" >&2; return 1; }
  done
}

# test_config [KEY=TEXT | KEY:=JSON]...: prints a tlsgate config.json, the lab's usual one (a redirect
# listener on 15001, one worker, the flow log $log (default $work/flows.jsonl), state in $work/state,
# the control socket $work/control.sock (not the shared /run/tlsgate one: labs run side by side),
# 1 s shutdown grace) with each KEY set: KEY=TEXT to a string, KEY:=JSON to a JSON value (a number,
# true, an array...), as httpie spells them. A dotted KEY (pcap.directory) sets a nested key; a
# later KEY replaces an earlier one. An argument of neither form, or bad JSON, fails.
test_config() {
  jq -n --arg log "${log:-$work/flows.jsonl}" --arg state "$work/state" --arg control "$work/control.sock" '
    reduce $ARGS.positional[] as $arg
      ({listeners: [{mode: "redirect", port: 15001}], workers: 1, flow_log: $log, state_dir: $state,
        control_socket: $control, shutdown_grace_s: 1};
       ($arg | index("=") // 0) as $eq
       | ($eq > 0 and $arg[$eq - 1:$eq] == ":") as $json
       | $arg[:if $json then $eq - 1 else $eq end] as $key
       | if $key == "" then error("test_config: \($arg): not KEY=TEXT or KEY:=JSON")
         else setpath($key | split("."); if $json then $arg[$eq + 1:] | fromjson else $arg[$eq + 1:] end) end)
  ' --args "$@"
}

start_tlsgate() {
  local config=$1 ports
  [[ -x ${TLSGATE_BIN:-} ]] || { echo "no tlsgate binary at '${TLSGATE_BIN:-}' (set TLSGATE_BIN)" >&2; return 1; }
  TLSGATE_STDERR=${2:-$(mktemp)}
  (
    if [[ -n ${TLSGATE_NOFILE:-} ]] && ! { ulimit -Hn "${TLSGATE_NOFILE#*:}" && ulimit -Sn "${TLSGATE_NOFILE%:*}"; }; then
      echo "cannot set ulimit -n $TLSGATE_NOFILE" >&2
      exit 2
    fi
    exec ${TLSGATE_CPUS:+taskset -c "$TLSGATE_CPUS"} ip netns exec "$NS_GW" "$TLSGATE_BIN" run --allow-root --config "$config"
  ) 2>"$TLSGATE_STDERR" &
  TLSGATE_PID=$!
  ports=$(jq -r '.listeners[]?.port // empty' "$config")
  # shellcheck disable=SC2086
  if ! wait_listening "$TLSGATE_PID" 20 ${ports:-15001}; then
    echo "tlsgate did not start; its stderr:" >&2
    cat "$TLSGATE_STDERR" >&2
    return 1
  fi
}

stop_process() {
  local pid=$1 sig=${2:-TERM} seconds=${3:-10}
  [[ -n $pid ]] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_until --every 0.1 "$seconds" "process $pid to exit after SIG$sig" process_gone "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
process_gone() { ! kill -0 "$1" 2>/dev/null; }

stop_tlsgate() {
  stop_process "$TLSGATE_PID" "${1:-TERM}" 30
  TLSGATE_PID=""
}

field() { jq -r "$1" <<<"$2"; }

s_client() { in_client openssl s_client -connect "$@"; }
