#!/usr/bin/env bash
# The short soak (issue 13): scripts/soak.sh with small counts (500 idle intercepted TLS
# connections, 500 slowloris, 20 of each abuse kind, both header floods, a flood past
# max_flows_per_client when the daemon has it) held 10 s, about a minute in all. Checks its exit
# code and the figures it writes with --json, and that no flow needed the phase-deadline
# backstop. soak.sh builds and removes its own lab.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $EUID -eq 0 ]] || { echo "integration tests need root" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fig=$work/soak.json

check "soak.sh --help names its options" bash -c "bash '$SOURCE_DIR/scripts/soak.sh' --help | grep -q -- --slowloris"
rc=0
SOAK_LAB_ID="s$$" TLSGATE_BIN=$TLSGATE_BIN timeout 540 bash "$SOURCE_DIR/scripts/soak.sh" \
  --idle 500 --slowloris 500 --abuse 20 --per-source 250 --duration 10 --baseline 5 --quiet 5 \
  --json "$fig" || rc=$?
check_eq "$rc" 0 "soak.sh: every threshold held (exit code)"
[[ -s $fig ]] || { fail "soak.sh wrote its figures"; finish; exit 1; }
f() { jq -r "$1" "$fig"; }

check_eq "$(f '.steady.ok == .steady.requests and .steady.requests > 0')" true \
  "steady client: every request during the abuse served ($(f .steady.ok)/$(f .steady.requests), p99 $(f .steady.p99_ms) ms, baseline p99 $(f .steady.baseline_p99_ms) ms)"
check_eq "$(f '.steady.baseline_ok == .steady.baseline_requests')" true "steady client: every baseline request served"
check_eq "$(f '.thresholds[] | select(.check | startswith("idle")) | .ok')" true \
  "500 idle intercepted connections held ($(f '.thresholds[] | select(.check | startswith("idle")) | .detail'))"
check_eq "$(f '.sanitized or (.rss_kib.after - .rss_kib.before <= 20480)')" true \
  "RSS after within 20 MB of before ($(f .rss_kib.before) -> $(f .rss_kib.after) KiB, peak $(f .rss_kib.peak))"
check_eq "$(f '.fds.after')" "$(f '.fds.before')" "no FD left over (peak $(f .fds.peak))"
check_eq "$(f '(.connections.flow_lines + .connections.refused_in_limit_lines) as $n |
  $n >= .connections.made and $n <= .connections.made + .connections.gave_up')" true \
  "one flow line per accepted connection, refusals in limit lines ($(f .connections.flow_lines) + $(f .connections.refused_in_limit_lines) vs $(f .connections.made) made, $(f .connections.gave_up) given up)"
if [[ $(f .connections.log_lines_dropped) == null ]]; then
  echo "# no metrics endpoint in this build: dropped log lines not counted"
else
  check_eq "$(f '.connections.log_lines_dropped')" 0 "no flow-log line dropped"
fi
check_eq "$(f .gateway_alive)" true "the gateway still runs after the abuse"
# phase_timeout is the watchdog's backstop past a phase's own timeout: only a bug reaches it.
check_eq "$(f '.connections.flow_reasons.phase_timeout // 0')" 0 "no flow ended by a phase deadline (phase_timeout)"
nofile_soft=$(f .limits.nofile_running | cut -d: -f1)
check "the daemon raised its RLIMIT_NOFILE soft limit from 1024 (now $(f .limits.nofile_running))" \
  test "$nofile_soft" != 1024
if [[ $(f .limits.supported) == true ]]; then
  check "the flood past max_flows_per_client was refused ($(f .connections.refused_in_limit_lines))" \
    test "$(f .connections.refused_in_limit_lines)" -gt 0
  check_eq "$(f '.connections.limit_lines <= .connections.limit_span_s + 2')" true \
    "refusals summarised: $(f .connections.limit_lines) limit lines over $(f .connections.limit_span_s) s"
else
  fail "this tlsgate has no max_flows / max_flows_per_client (issue 13)"
fi
finish
