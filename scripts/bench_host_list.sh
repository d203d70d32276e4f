#!/usr/bin/env bash
# Host list scale: generates a list of N names (default 1,000,000) in each of
# three formats (hosts file, one name per line, adblock ||name^; plus the hosts
# file gzipped), loads each with `tlsgate policy check --stats` and prints the
# load time and the memory the policy adds. No root, no lab.
#
#   scripts/bench_host_list.sh [N]     TLSGATE_BIN=path to measure a given binary (default build/tlsgate)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
bin=${TLSGATE_BIN:-build/tlsgate}
[[ -x $bin ]] || { echo "no tlsgate binary at $bin (build it, or set TLSGATE_BIN)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "0.0.0.0 ad%d.tracker%d.example\n", i, i % 1009 }' >"$work/hosts.txt"
awk '{ print $2 }' "$work/hosts.txt" >"$work/plain.txt"
awk '{ print "||" $2 "^" }' "$work/hosts.txt" >"$work/adblock.txt"
gzip -c "$work/hosts.txt" >"$work/hosts.txt.gz"

echo "# $n names; $(nproc) cores; $(uname -r)"
for list in hosts.txt plain.txt adblock.txt hosts.txt.gz; do
  printf '{"default": "intercept", "rules": [{"name": "list", "host_list": "%s", "action": "block"}]}\n' "$list" \
    >"$work/policy.json"
  stats=$("$bin" policy check --stats --policy "$work/policy.json" --host "ad$((n / 2)).tracker$((n / 2 % 1009)).example")
  grep -q "rule: list" <<<"$stats" || { echo "$list: the listed name did not match" >&2; exit 1; }
  echo "$list ($(du -k "$work/$list" | cut -f1) KiB): $(head -n 1 <<<"$stats" | sed 's/^stats: //')"
done
