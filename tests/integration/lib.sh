# Shared helpers for integration tests (sourced). Each test builds its own lab
# with a unique LAB_ID and removes it on exit, also when a check fails.
#
# The lab toolkit (scripts/lib/lab.sh): lab_up, lab_cleanup, in_client|in_gw|in_server,
# rules_install, rules_remove, wait_until, gw_listening, test_config, start_tlsgate,
# stop_tlsgate, field, s_client. And here:
#   check DESC CMD...           pass if CMD succeeds
#   check_eq ACTUAL EXPECTED DESC
#   events EVENT [JQ_CONDITION] the EVENT lines of $log (those matching the condition)
#   event_count EVENT [JQ_CONDITION] / wait_events N EVENT [JQ_CONDITION]   how many; until N (5 s)
#   flow_lines / flow_count / last_flow   the `flow` lines of $log (other events are not counted)
#   wait_flows N                wait until $log holds N flow lines (5 s at most)
#   settle                      wait until no flow line arrived for 0.3 s
#   flow_count_settled          settle, then the flow count (taken before a client runs)
#   flow_after N                wait for more than N flow lines; print the last (a new one)
#   flow_of CMD...              run a client command; print the one flow line it produced
#   validate_log FILE           every line must match docs/flow-log.schema.json
#   scrape PATH / metric NAME   GET http://$metrics PATH from the gateway; one sample's value (0 if absent)
#   finish                      print the summary; exit non-zero if any check failed

SOURCE_DIR=${TLSGATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TLSGATE_BIN=${TLSGATE_BIN:-$SOURCE_DIR/build/tlsgate}
PYTHON=/usr/bin/python3
export LAB_ID=${LAB_ID:-t$$}
# shellcheck source=scripts/lib/lab.sh
source "$SOURCE_DIR/scripts/lib/lab.sh"

# Labs of earlier test runs whose shell is gone (killed with SIGKILL, where no
# trap runs) are removed: a test lab is named after its shell's PID (t<pid>).
remove_orphaned_test_labs() {
  local id
  for id in $( (ls -d /tmp/tlsgate-lab-t* 2>/dev/null | sed 's|^/tmp/tlsgate-lab-||'
                ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^tg-\(t[0-9]*\)-.*/\1/p') | sort -u); do
    [[ $id =~ ^t([0-9]+)$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    LAB_ID=$id bash "$SOURCE_DIR/scripts/lab.sh" down >/dev/null 2>&1 || true
  done
}
remove_orphaned_test_labs
failures=0
passes=0

events() {
  [[ -f $log ]] || return 0
  if (($# > 1)); then
    grep "\"event\":\"$1\"" "$log" | jq -c "select($2)" || true
  else
    grep "\"event\":\"$1\"" "$log" || true
  fi
}
event_count() { events "$@" | wc -l; }
events_at_least() { (($(event_count "${@:2}") >= $1)); }
wait_events() { wait_until 5 "$1 $2 line(s) in the log${3:+ where $3}" events_at_least "$@"; }

flow_lines() { events flow; }
flow_count() { event_count flow; }
last_flow() { flow_lines | tail -n 1; }
wait_flows() { wait_events "$1" flow; }

# Connections end asynchronously: wait until earlier ones are all logged.
flow_count_steady() {
  local n
  n=$(flow_count)
  sleep 0.3
  (($(flow_count) == n))
}
settle() { wait_until 15 "the flow log to go quiet" flow_count_steady || true; }
flow_count_settled() { settle; flow_count; }

flow_after() {
  wait_flows $(($1 + 1)) || { echo "{}"; return; }
  last_flow
}

flow_of() {
  local before
  before=$(flow_count_settled)
  "$@" >/dev/null 2>&1 || true
  flow_after "$before"
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
