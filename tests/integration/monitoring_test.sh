#!/usr/bin/env bash
# The shipped monitoring files against a running daemon: `promtool check rules`
# on deploy/prometheus/tlsgate.rules.yml and `promtool check config` on the
# scrape example; every query of deploy/grafana/tlsgate.json compiles (promtool,
# as recording rules with Grafana's variables filled in); every tlsgate_ metric
# the rules and the dashboard use is one the daemon exposes (a live scrape with
# learned bypass and capture on) or documents in docs/metrics.md; the live
# exposition passes `promtool check metrics`; the limit and CA metrics the
# alerts need have sane values.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { echo "monitoring_test: promtool missing; run scripts/setup.sh" >&2; exit 1; }
export LAB_LARGE_MB=${LAB_LARGE_MB:-1}
lab_up
work=$(mktemp -d)
trap 'rm -rf "$work"; lab_cleanup' EXIT
log="$work/flows.jsonl"
rules=$SOURCE_DIR/deploy/prometheus/tlsgate.rules.yml
dashboard=$SOURCE_DIR/deploy/grafana/tlsgate.json

check "promtool check rules tlsgate.rules.yml" promtool check rules "$rules"
check "promtool check config scrape.yml (with its rule file)" promtool check config "$SOURCE_DIR/deploy/prometheus/scrape.yml"

# The dashboard's queries, with $__rate_interval and $instance filled in, as recording rules.
"$PYTHON" - "$dashboard" >"$work/dashboard-rules.yml" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] == "tlsgate" and d["title"] == "tlsgate"
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
print("groups:\n  - name: dashboard\n    rules:")
for i, e in enumerate(exprs):
    e = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
    print(f"      - record: dashboard:query{i}\n        expr: {json.dumps(e)}")
EOF
queries=$(grep -c 'record:' "$work/dashboard-rules.yml")
check "promtool compiles the dashboard's $queries queries" promtool check rules "$work/dashboard-rules.yml"
((queries >= 20)) && pass "the dashboard has $queries queries" || fail "the dashboard has $queries queries (want >= 20)"

# A daemon with the metrics endpoint (and learned bypass and capture, for their metrics).
metrics="$GW_LAN_IP4:9101"
test_config state_dir="$work/state" default_action=intercept upstream_ca_file="$PUBLIC_CA_CERT" \
  metrics_listen="$metrics" learned_bypass:=true control_socket:=null pcap.enabled:=true \
  pcap.directory="$work/pcap" >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json"
in_client curl -sS -m 5 -o /dev/null --cacert "$work/state/ca.crt" https://www.example.test/small || true
settle
scrape /metrics >"$work/metrics.txt"
check "promtool check metrics: the live exposition lints clean" bash -c "promtool check metrics <'$work/metrics.txt'"
exposed=$(awk '/^# TYPE/ {print $3}' "$work/metrics.txt" | sort -u)
documented=$(grep -o '^| `tlsgate_[a-z0-9_]*`' "$SOURCE_DIR/docs/metrics.md" | tr -d '|` ' | sort -u)
used=$(grep -oh 'tlsgate_[a-z0-9_]*' "$rules" "$dashboard" | sort -u)
for name in $used; do
  if grep -qx "$name" <<<"$exposed"; then
    pass "$name: used by the rules or the dashboard, exposed by the daemon"
  elif grep -qx "$name" <<<"$documented"; then
    pass "$name: used, documented in docs/metrics.md (not exposed in this configuration)"
  else
    fail "$name: used by the rules or the dashboard but neither exposed nor documented"
  fi
done

# The values the new alerts read.
check_eq "$(metric tlsgate_flows_refused_total)" 0 "tlsgate_flows_refused_total: 0 refused"
not_after=$(date -d "$(openssl x509 -in "$work/state/ca.crt" -noout -enddate | cut -d= -f2)" +%s)
check_eq "$(awk '{printf "%d", $1}' <<<"$(metric tlsgate_ca_not_after_timestamp_seconds)")" "$not_after" \
  "tlsgate_ca_not_after_timestamp_seconds: the CA's notAfter"
stop_tlsgate
finish
