#!/usr/bin/env bash
# The latency content scanning adds to a download (docs/scanning.md): a 1 MiB file fetched
# through tlsgate over intercepted HTTP/1.1, N times from a host whose rule scans (c-icap +
# ClamAV from scripts/lib/scanner.sh, in the lab's server namespace) and N times from one whose
# rule does not (A/B, alternating, one connection per fetch). Prints the median and p90 of
# curl's time_total for each, and the difference. Needs root and a built tlsgate; brings up its
# own lab (LAB_ID, default benchscan) and removes it on exit.
#
#   scripts/bench_scan.sh [N]     N fetches each (default 50, at most 1000)
#   TLSGATE_BIN=path              the tlsgate binary (default build/tlsgate)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export LAB_ID=${LAB_ID:-benchscan} LAB_LARGE_MB=1
TLSGATE_BIN=${TLSGATE_BIN:-$root/build/tlsgate}
n=${1:-50}
((n >= 1 && n <= 1000)) || { echo "N must be 1..1000" >&2; exit 2; }
source "$root/scripts/lib/lab.sh"
source "$root/scripts/lib/scanner.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
trap 'scanner_down; rm -rf "$work"; lab_cleanup' EXIT
scanner_up "$work/scanner" "$SERVER_IP4" 1344 "$NS_SERVER" || exit 1
cat >"$work/policy.json" <<JSON
{"default": "intercept", "rules": [
  {"name": "scanned", "host": ["www.example.test"], "action": "intercept",
   "scan": {"service": "$SCANNER_SERVICE", "on_error": "block"}}]}
JSON
test_config policy_file="$work/policy.json" upstream_ca_file="$PUBLIC_CA_CERT" learned_bypass:=false \
  >"$work/config.json"
rules_install --mode redirect --ports 443 --lan-if "$GW_LAN_IF"
start_tlsgate "$work/config.json" || exit 1
cat "$PUBLIC_CA_CERT" "$work/state/ca.crt" >"$work/trust.pem"

fetch() {  # HOST: one fetch of /large, its time_total in ms (nothing when it failed)
  in_client curl -sS -m 30 --http1.1 --cacert "$work/trust.pem" -o /dev/null -w '%{http_code} %{time_total}\n' \
    "https://$1/large" 2>/dev/null | awk '$1 == 200 {printf "%.3f\n", $2 * 1000}'
}
for ((i = 0; i < n; i++)); do
  fetch www.example.test >>"$work/scanned"
  fetch api.example.test >>"$work/unscanned"
done
stats() {  # FILE: count, median, p90 (ms)
  sort -n "$1" | awk '{v[NR] = $1} END {if (NR == 0) {print "0 - -"; exit} m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.9 + 0.999)]; printf "%d %.1f %.1f\n", NR, m, p}'
}
read -r sn sm sp < <(stats "$work/scanned")
read -r un um up < <(stats "$work/unscanned")
echo "1 MiB download over intercepted HTTP/1.1, $n each (ms):"
printf '  %-10s fetched %4s  median %8s  p90 %8s\n' scanned "$sn" "$sm" "$sp" unscanned "$un" "$um" "$up"
awk -v a="$sm" -v b="$um" -v pa="$sp" -v pb="$up" 'BEGIN {
  if (a != "-" && b != "-" && b > 0)
    printf "  scanning adds %.1f ms at the median: %.2fx the unscanned median (p90 %.2fx)\n", a - b, a / b, pa / pb }'
echo "  load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
scans=$(jq -s '[.[] | select(.event == "http" and .scan.result == "clean")] | length' "$log" 2>/dev/null)
echo "  clean scans logged: ${scans:-0} (of $n)"
stop_tlsgate
