#!/usr/bin/env bash
# The daemon as an appliance runs it: `config check` on good and bad configs;
# started as root with "user": "nobody" (uid, groups, no capabilities on any
# thread, files handed over) while flows are still intercepted; the systemd
# notify protocol (READY, WATCHDOG, RELOADING on SIGHUP, STOPPING on SIGTERM)
# against a stand-in notify socket; the metrics endpoint and `tlsgate status`
# during and after flows; leveled diagnostics on stderr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export LAB_LARGE_MB=${LAB_LARGE_MB:-2}

work=$(mktemp -d)
chmod 755 "$work"  # the daemon runs as nobody: it must reach its state dir and log
listener_pid=""
cleanup_work() {
  [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup_work EXIT
log="$work/flows.jsonl"
state="$work/state"
metrics=127.0.0.1:19101

# --- config check, before the lab: no daemon, no network
cat >"$work/policy.json" <<'JSON'
{"default": "intercept", "rules": [{"name": "tunnel-api", "host": ["api.example.test"], "action": "tunnel"}]}
JSON
good() {
  test_config workers:=2 state_dir="$state" policy_file="$work/policy.json" \
    upstream_ca_file="${PUBLIC_CA_CERT:-/etc/ssl/certs/ca-certificates.crt}" peek_timeout_ms:=1500 user=nobody \
    metrics_listen="$metrics"
}
check_config() {  # $1: description, $2: want exit, $3: text stderr must hold, stdin: the config
  local f="$work/check.json" out rc=0
  cat >"$f"
  out=$("$TLSGATE_BIN" config check "$f" 2>&1) || rc=$?
  if [[ $rc == "$2" ]] && grep -qF -- "$3" <<<"$out"; then pass "config check: $1"; else fail "config check: $1 (exit $rc: $out)"; fi
}
good | check_config "good config passes" 0 "OK"
good | check_config "no CA yet: says one is created at start" 0 "created at first start"
check "config check created no CA" test ! -e "$state/ca.crt"
good | jq '. + {"workerz": 2}' | check_config "unknown key: exit 1, key path" 1 "/workerz: unknown key"
good | jq '.listeners[0].mode = "nat"' | check_config "bad value: nested key path" 1 "/listeners/0/mode"
echo '{"listeners": [' | check_config "not JSON" 1 "check.json"
good | jq ".policy_file = \"$work/missing-policy.json\"" | check_config "policy file missing" 1 "/policy_file"
echo '{"default": "maybe"}' >"$work/bad-policy.json"
good | jq ".policy_file = \"$work/bad-policy.json\"" | check_config "invalid policy" 1 "/policy_file"
good | jq ". + {\"ca_cert\": \"$work/none.crt\", \"ca_key\": \"$work/none.key\"}" | check_config "operator CA missing" 1 "/ca_cert"
good | jq ".flow_log = \"$work/no/such/dir/flows.jsonl\"" | check_config "flow log directory missing" 1 "/flow_log"
good | jq '.user = "no-such-user-tlsgate"' | check_config "unknown user" 1 "/user: no such user"
good | jq '.metrics_listen = "localhost"' | check_config "metrics_listen malformed" 1 "/metrics_listen"
good | jq '.log_level = "loud"' | check_config "log_level unknown" 1 "/log_level"
good >"$work/t.json"
check "run -t checks and exits 0" bash -c '"$0" run -t --config "$1" | grep -q ": OK"' "$TLSGATE_BIN" "$work/t.json"
jq '.workers = -1' "$work/t.json" >"$work/t-bad.json"
check "run -t on a bad config exits 1" bash -c '! "$0" run -t --config "$1" 2>/dev/null' "$TLSGATE_BIN" "$work/t-bad.json"
check "--version names the version and OpenSSL" bash -c '"$0" --version | grep -Eq "^tlsgate [0-9]+\.[0-9]+\.[0-9]+ \(OpenSSL 3"' "$TLSGATE_BIN"

lab_up
trap 'cleanup_work; lab_cleanup' EXIT
good >"$work/config.json"
# A CA made by root beforehand (as `tlsgate ca init` would): it must stay usable after the drop.
"$TLSGATE_BIN" ca init --state-dir "$state" >/dev/null
good | check_config "existing CA loads" 0 "key matches"

# --- start as root with "user": "nobody", under a stand-in systemd notify socket
notes="$work/notify.log"
"$PYTHON" "$SOURCE_DIR/tests/integration/notify_listener.py" "$work/notify.sock" "$notes" 120 &
listener_pid=$!
wait_until 3 "the notify listener's socket" test -S "$work/notify.sock"
rules_install --mode redirect --ports 443,8443 --lan-if "$GW_LAN_IF"
NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 start_tlsgate "$work/config.json"
notes_at_least() { (($(grep -cE "$1" "$notes" 2>/dev/null || true) >= ${2:-1})); }
wait_note() { wait_until 5 "${2:-1} notification(s) matching $1" notes_at_least "$@"; }  # $1: regex, $2: count
check "READY=1 once listening" wait_note '^READY=1'
check "WATCHDOG=1 within the watchdog interval" wait_note '^WATCHDOG=1' 2

status_field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$TLSGATE_PID/status"; }
check_eq "$(status_field Uid)" 65534 "runs as nobody (real uid)"
check_eq "$(awk '$1 == "Uid:" {print $3}' "/proc/$TLSGATE_PID/status")" 65534 "runs as nobody (effective uid)"
check_eq "$(status_field CapEff)" 0000000000000000 "no effective capabilities"
check_eq "$(status_field CapPrm)" 0000000000000000 "no permitted capabilities"
check_eq "$(status_field CapAmb)" 0000000000000000 "no ambient capabilities"
check_eq "$(status_field NoNewPrivs)" 1 "no_new_privs set"
caps_all=$(cat /proc/"$TLSGATE_PID"/task/*/status | awk '$1 == "CapEff:" || $1 == "CapPrm:" {print $2}' | sort -u)
check_eq "$caps_all" 0000000000000000 "no capabilities on any thread"
check "stderr: notice level says what was kept" grep -q '^<5>tlsgate: running as uid=65534.*capabilities kept: none' "$TLSGATE_STDERR"
check "stderr: info lines carry <6>" grep -q '^<6>tlsgate: listening on' "$TLSGATE_STDERR"
check_eq "$(stat -c %U "$state" "$state/ca.key" | sort -u)" nobody "state dir and CA handed to the user"
check_eq "$(stat -c %U "$log")" nobody "flow log handed to the user"

# --- flows are still intercepted (and tunnelled by the policy)
trust="$work/trust.pem"
cat "$PUBLIC_CA_CERT" "$state/ca.crt" >"$trust"
out=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$state/ca.crt" https://www.example.test/small)
check_eq "$out" 200 "intercepted as nobody: 200 with the gateway CA"
out=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$PUBLIC_CA_CERT" https://api.example.test/small)
check_eq "$out" 200 "tunnelled by policy: 200 with the public CA"
check "two flow lines" wait_flows 2
settle

# --- metrics during a flow: a slow download keeps one flow active
in_client timeout 4 curl -sS -o /dev/null --limit-rate 100k --cacert "$state/ca.crt" https://www.example.test/large &
slow=$!
flow_active() { (($(metric tlsgate_active_flows) >= 1)); }
check "active flows >= 1 during a download" wait_until --every 0.1 5 "tlsgate_active_flows >= 1" flow_active
check_eq "$(scrape /metrics | grep -c '^tlsgate_worker_active_flows{worker=')" 2 "active flows per worker exported"
wait "$slow" 2>/dev/null || true  # timeout ends it
settle

# --- metrics after the flows
check_eq "$(scrape /health)" ok "GET /health: ok"
type=$(in_gw curl -sS -o /dev/null -w '%{content_type}' "http://$metrics/metrics")
check_eq "$type" "text/plain; version=0.0.4; charset=utf-8" "Prometheus content type"
metric_sum() {  # $1: sample name prefix; the sum of every matching sample
  scrape /metrics | awk -v k="$1" 'index($1, k) == 1 {s += $2} END {print s + 0}'
}
check "intercepted flows counted" test "$(metric_sum 'tlsgate_flows_total{action="intercept",')" -ge 2
check "tunnelled flow counted" test "$(metric 'tlsgate_flows_total{action="tunnel",reason="policy"}')" -ge 1
check "bytes to clients counted" test "$(metric 'tlsgate_flow_bytes_total{direction="to_client",action="intercept"}')" -gt 1024
check "forged certificate signed once" test "$(metric tlsgate_forged_cert_cache_misses_total)" -ge 1
check "log lines written counted" test "$(metric tlsgate_log_lines_written_total)" -ge 3
check_eq "$(metric tlsgate_log_lines_dropped_total)" 0 "no log lines dropped"
check_eq "$(metric tlsgate_healthy)" 1 "healthy gauge"
check_eq "$(scrape /metrics | grep -c '^# TYPE tlsgate_capture_' || true)" 0 "no capture counters without pcap"
check "404 elsewhere" test "$(in_gw curl -sS -o /dev/null -w '%{http_code}' "http://$metrics/nope")" = 404

status_out=$(in_gw "$TLSGATE_BIN" status --config "$work/config.json" 2>&1) || true
check "status: health" grep -q "health: ok" <<<"$status_out"
check "status: flows by action and reason" grep -q "intercept policy:" <<<"$status_out"
check "status: bytes" grep -q "bytes relayed:" <<<"$status_out"
check "status: version" grep -q "tlsgate 0\." <<<"$status_out"
jq 'del(.metrics_listen)' "$work/config.json" >"$work/no-metrics.json"
rc=0
err=$("$TLSGATE_BIN" status --config "$work/no-metrics.json" 2>&1) || rc=$?
check_eq "$rc" 1 "status without metrics_listen: exit 1"
check "status without metrics_listen: says so" grep -q "metrics are off" <<<"$err"

# --- SIGHUP: RELOADING=1 then READY=1 again, the policy reload counted (the user can still read it)
kill -HUP "$TLSGATE_PID"
check "RELOADING=1 on SIGHUP" wait_note '^RELOADING=1 MONOTONIC_USEC=[0-9]+'
check "READY=1 after the reload" wait_note '^READY=1' 2
reload_counted() { [[ $(metric 'tlsgate_policy_reloads_total{result="ok"}') == 1 ]]; }
check "policy reload counted" wait_until --every 0.1 5 "tlsgate_policy_reloads_total{result=\"ok\"} 1" reload_counted
out=$(in_client curl -sS -o /dev/null -w '%{http_code}' --cacert "$state/ca.crt" https://www.example.test/small)
check_eq "$out" 200 "still intercepting after the reload (log reopened as nobody)"

# --- SIGTERM: STOPPING=1, then a clean exit
stop_tlsgate TERM
check "STOPPING=1 on SIGTERM" wait_note '^STOPPING=1'
check "stderr: stopped at notice level" grep -q '^<5>tlsgate: stopped;' "$TLSGATE_STDERR"
validate_log "$log"
finish
