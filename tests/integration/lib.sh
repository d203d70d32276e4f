# Shared helpers for integration tests (sourced). Each test builds its own lab
# with a unique LAB_ID and removes it on exit, also when a check fails.
#
#   lab_up                      bring up a fresh lab; its variables (scripts/lab.sh) are exported
#   in_client|in_gw|in_server CMD...   run a command in that namespace
#   rules_install ARGS...       scripts/rules.sh install ARGS in the gateway
#   rules_remove                remove every tlsgate rule in the gateway
#   test_config KEY=TEXT|KEY:=JSON...  print a tlsgate config: the tests' usual one, each KEY set
#   start_tlsgate CONFIG        start tlsgate in the gateway ($TLSGATE_PID), wait for its listeners
#   stop_tlsgate [SIGNAL]       signal it (default TERM) and wait for it to exit
#   check DESC CMD...           pass if CMD succeeds
#   check_eq ACTUAL EXPECTED DESC
#   flow_lines / flow_count     the `flow` lines of $log (other events are not counted)
#   wait_flows N                wait until $log holds N flow lines
#   settle                      wait until no flow line arrived for 0.3 s
#   flow_of CMD...              run a client command; print the one flow line it produced
#   validate_log FILE           every line must match docs/flow-log.schema.json
#   scrape PATH / metric NAME   GET http://$metrics PATH from the gateway; one sample's value (0 if absent)
#   finish                      print the summary; exit non-zero if any check failed

SOURCE_DIR=${TLSGATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TLSGATE_BIN=${TLSGATE_BIN:-$SOURCE_DIR/build/tlsgate}
PYTHON=/usr/bin/python3
export LAB_ID=${LAB_ID:-t$$}
TLSGATE_PID=""
TLSGATE_STDERR=""
failures=0
passes=0

lab_cleanup() {
  local rc=$?
  [[ -n $TLSGATE_PID ]] && kill -KILL "$TLSGATE_PID" 2>/dev/null
  ip netns exec "tg-$LAB_ID-gw" bash "$SOURCE_DIR/scripts/rules.sh" remove 2>/dev/null
  bash "$SOURCE_DIR/scripts/lab.sh" down >/dev/null 2>&1
  return $rc
}

lab_up() {
  [[ $EUID -eq 0 ]] || { echo "integration tests need root" >&2; exit 1; }
  [[ -x $TLSGATE_BIN ]] || { echo "no tlsgate binary at $TLSGATE_BIN (set TLSGATE_BIN)" >&2; exit 1; }
  trap lab_cleanup EXIT
  bash "$SOURCE_DIR/scripts/lab.sh" up >/dev/null
  set -a
  # shellcheck disable=SC1090
  source "/tmp/tlsgate-lab-$LAB_ID/env"
  set +a
}

in_client() { ip netns exec "$NS_CLIENT" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_server() { ip netns exec "$NS_SERVER" "$@"; }

rules_install() { in_gw bash "$SOURCE_DIR/scripts/rules.sh" install "$@" >/dev/null; }
rules_remove() { in_gw bash "$SOURCE_DIR/scripts/rules.sh" remove; }

# Listening TCP ports of the gateway namespace's processes.
gw_listening() { in_gw ss -Hltn "sport = :$1" | grep -q LISTEN; }

# test_config [KEY=TEXT | KEY:=JSON]...: prints a tlsgate config.json. The tests' usual one (a
# redirect listener on 15001, one worker, the flow log $log, state in $work/state, 1 s shutdown
# grace) with each KEY set: KEY=TEXT to a string, KEY:=JSON to a JSON value (a number, true,
# an array...), as httpie spells them. A dotted KEY (pcap.directory) sets a nested key; a later
# KEY replaces an earlier one. An argument of neither form, or bad JSON, fails.
test_config() {
  jq -n --arg log "$log" --arg state "$work/state" '
    reduce $ARGS.positional[] as $arg
      ({listeners: [{mode: "redirect", port: 15001}], workers: 1, flow_log: $log, state_dir: $state,
        shutdown_grace_s: 1};
       ($arg | index("=") // 0) as $eq
       | ($eq > 0 and $arg[$eq - 1:$eq] == ":") as $json
       | $arg[:if $json then $eq - 1 else $eq end] as $key
       | if $key == "" then error("test_config: \($arg): not KEY=TEXT or KEY:=JSON")
         else setpath($key | split("."); if $json then $arg[$eq + 1:] | fromjson else $arg[$eq + 1:] end) end)
  ' --args "$@"
}

start_tlsgate() {
  local config=$1 port
  TLSGATE_STDERR=$(mktemp)
  # --allow-root: the lab runs it as root; configs with "user" switch anyway.
  ip netns exec "$NS_GW" "$TLSGATE_BIN" run --allow-root --config "$config" 2>"$TLSGATE_STDERR" &
  TLSGATE_PID=$!
  local ports
  ports=$(jq -r '.listeners[]?.port // empty' "$config")
  [[ -z $ports ]] && ports=15001
  for port in $ports; do
    for _ in $(seq 1 100); do
      gw_listening "$port" && break
      kill -0 "$TLSGATE_PID" 2>/dev/null || { echo "tlsgate exited at start:" >&2; cat "$TLSGATE_STDERR" >&2; exit 1; }
      sleep 0.05
    done
  done
}

stop_tlsgate() {
  local sig=${1:-TERM}
  [[ -n $TLSGATE_PID ]] || return 0
  kill "-$sig" "$TLSGATE_PID" 2>/dev/null || true
  wait "$TLSGATE_PID" 2>/dev/null || true
  TLSGATE_PID=""
}

# The flow-log helpers read the test's $log.
flow_lines() { [[ -f $log ]] && grep '"event":"flow"' "$log" || true; }
flow_count() { flow_lines | wc -l; }
last_flow() { flow_lines | tail -n 1; }

wait_flows() {
  for _ in $(seq 1 100); do
    (($(flow_count) >= $1)) && return 0
    sleep 0.05
  done
  return 1
}

# Connections end asynchronously: wait until earlier ones are all logged.
settle() {
  local n
  n=$(flow_count)
  for _ in $(seq 1 50); do
    sleep 0.3
    (($(flow_count) == n)) && return 0
    n=$(flow_count)
  done
}

flow_of() {
  local before
  settle
  before=$(flow_count)
  "$@" >/dev/null 2>&1 || true
  wait_flows $((before + 1)) || { echo "{}"; return; }
  last_flow
}

pass() { passes=$((passes + 1)); echo "ok   - $1"; }
fail() { failures=$((failures + 1)); echo "FAIL - $1"; }

check() {
  local desc=$1
  shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}

check_eq() {
  if [[ "$1" == "$2" ]]; then pass "$3"; else fail "$3 (got '$1', want '$2')"; fi
}

validate_log() {
  if "$PYTHON" "$SOURCE_DIR/tests/integration/validate_log.py" "$SOURCE_DIR/docs/flow-log.schema.json" "$@"; then
    pass "every log line matches docs/flow-log.schema.json"
  else
    fail "log lines match docs/flow-log.schema.json"
  fi
}

# The metrics endpoint at $metrics (the test's metrics_listen), read from the gateway namespace.
scrape() { in_gw curl -sS --max-time 5 "http://$metrics$1"; }
metric() {  # $1: sample name with labels as printed; prints its value (0 if absent)
  scrape /metrics | awk -v k="$1" '$1 == k {print $2; found=1} END {if (!found) print 0}'
}

finish() {
  echo "# $passes passed, $failures failed"
  if [[ -n $TLSGATE_STDERR && -s $TLSGATE_STDERR ]]; then
    echo "# tlsgate stderr:"
    sed 's/^/#   /' "$TLSGATE_STDERR"
  fi
  ((failures == 0))
}
