#!/usr/bin/env bash
# Firewall rules that hand the LAN's TCP connections to tlsgate.
#
#   rules.sh install [options]   install (replaces earlier tlsgate rules: idempotent)
#   rules.sh remove  [options]   remove every tlsgate rule, route and ip rule
#   rules.sh print   [options]   show what install would run, change nothing
#
# Options:
#   --lan-if IF          LAN interface whose forwarded traffic is caught (required for install/print)
#   --mode MODE          redirect (default) or tproxy
#   --ports LIST         TCP destination ports, e.g. 443,8443,80 (default)
#   --to-port N          tlsgate's listener port (default 15001 for redirect, 15002 for tproxy)
#   --backend B          nft (default) or iptables (iptables-nft / ip6tables)
#   --mark M             tproxy only: fwmark and routing table for the local route (default 0x1 / 100)
#   --quic-queue N       also send UDP 443 from the LAN to NFQUEUE N (the QUIC guard; iptables NFQUEUE
#                        target because native nft `queue` may be missing from the kernel)
#   --quic-fail-closed   drop UDP 443 while nothing listens on the queue (default: accept, --queue-bypass)
#
# Only packets arriving on the LAN interface (prerouting) are caught, so the
# gateway's own upstream connections (output path) never loop back into it.
# Run it in the gateway's network namespace (or on the router itself).
set -euo pipefail

cmd=${1:-}
shift || true
lan_if="" mode=redirect ports=443,8443,80 to_port="" backend=nft mark=0x1 table=100
quic_queue="" quic_fail_closed=0
while (($#)); do
  case "$1" in
    --lan-if) lan_if=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --to-port) to_port=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --mark) mark=$2; shift 2 ;;
    --quic-queue) quic_queue=$2; shift 2 ;;
    --quic-fail-closed) quic_fail_closed=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "rules.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "rules.sh: $*" >&2; exit 2; }
[[ $cmd =~ ^(install|remove|print)$ ]] || die "usage: rules.sh install|remove|print [options] (see --help)"
[[ $mode =~ ^(redirect|tproxy)$ ]] || die "--mode must be redirect or tproxy, not '$mode'"
[[ $backend =~ ^(nft|iptables)$ ]] || die "--backend must be nft or iptables, not '$backend'"
[[ $ports =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--ports must be a comma-separated list of port numbers, not '$ports'"
[[ -z $to_port ]] && { [[ $mode == redirect ]] && to_port=15001 || to_port=15002; }
[[ $to_port =~ ^[0-9]+$ ]] || die "--to-port must be a port number"
[[ -z $quic_queue || $quic_queue =~ ^[0-9]+$ ]] || die "--quic-queue must be a queue number"
if [[ $cmd != remove ]]; then
  [[ -n $lan_if ]] || die "--lan-if is required"
  [[ $lan_if =~ ^[A-Za-z0-9_.@-]+$ ]] || die "bad interface name '$lan_if'"
fi

print_only=0
[[ $cmd == print ]] && print_only=1
run() {
  if ((print_only)); then echo "$*"; else "$@"; fi
}
# Runs a command whose failure only means "was not there" (removal).
quiet() { "$@" >/dev/null 2>&1 || true; }

nft_ports="{ ${ports//,/, } }"
nft_script() {
  echo "table inet tlsgate {"
  if [[ $mode == redirect ]]; then
    cat <<EOF
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports redirect to :$to_port
  }
EOF
  else
    cat <<EOF
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "$lan_if" meta l4proto tcp socket transparent 1 meta mark set $mark accept
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports tproxy to :$to_port meta mark set $mark accept
  }
EOF
  fi
  echo "}"
}

ipt_install() {
  local ipt
  for ipt in iptables ip6tables; do
    if [[ $mode == redirect ]]; then
      run "$ipt" -t nat -N TLSGATE
      run "$ipt" -t nat -A TLSGATE -p tcp -m multiport --dports "$ports" -j REDIRECT --to-ports "$to_port"
      run "$ipt" -t nat -A PREROUTING -i "$lan_if" -j TLSGATE
    else
      run "$ipt" -t mangle -N TLSGATE
      run "$ipt" -t mangle -A TLSGATE -p tcp -m socket --transparent -j MARK --set-mark "$mark"
      run "$ipt" -t mangle -A TLSGATE -p tcp -m socket --transparent -j ACCEPT
      run "$ipt" -t mangle -A TLSGATE -p tcp -m multiport --dports "$ports" \
        -j TPROXY --on-port "$to_port" --tproxy-mark "$mark/$mark"
      run "$ipt" -t mangle -A PREROUTING -i "$lan_if" -j TLSGATE
    fi
  done
}

quic_install() {
  local ipt bypass=--queue-bypass
  ((quic_fail_closed)) && bypass=""
  for ipt in iptables ip6tables; do
    run "$ipt" -t mangle -N TLSGATE_QUIC
    run "$ipt" -t mangle -A TLSGATE_QUIC -p udp --dport 443 -j NFQUEUE --queue-num "$quic_queue" $bypass
    run "$ipt" -t mangle -A FORWARD -i "$lan_if" -j TLSGATE_QUIC
  done
}

tproxy_routes() {
  run ip -4 rule add fwmark "$mark" lookup "$table"
  run ip -4 route add local 0.0.0.0/0 dev lo table "$table"
  run ip -6 rule add fwmark "$mark" lookup "$table"
  run ip -6 route add local ::/0 dev lo table "$table"
}

remove_all() {
  quiet nft delete table inet tlsgate
  local ipt t chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for t in nat:PREROUTING:TLSGATE mangle:PREROUTING:TLSGATE mangle:FORWARD:TLSGATE_QUIC; do
      IFS=: read -r table_name hook chain <<<"$t"
      while "$ipt" -t "$table_name" -S "$hook" 2>/dev/null | grep -q -- "-j $chain\$"; do
        rule=$("$ipt" -t "$table_name" -S "$hook" | grep -- "-j $chain\$" | head -n 1 | sed 's/^-A /-D /')
        # shellcheck disable=SC2086
        "$ipt" -t "$table_name" $rule
      done
      quiet "$ipt" -t "$table_name" -F "$chain"
      quiet "$ipt" -t "$table_name" -X "$chain"
    done
  done
  local fam
  for fam in -4 -6; do
    while ip "$fam" rule show | grep -q "fwmark $mark lookup $table"; do
      ip "$fam" rule del fwmark "$mark" lookup "$table"
    done
    quiet ip "$fam" route flush table "$table"
  done
}

case "$cmd" in
  remove)
    remove_all
    ;;
  install|print)
    ((print_only)) || remove_all
    if [[ $backend == nft ]]; then
      if ((print_only)); then echo "nft -f - <<'NFT'"; nft_script; echo "NFT"; else nft_script | nft -f -; fi
    else
      ipt_install
    fi
    [[ $mode == tproxy ]] && tproxy_routes
    [[ -n $quic_queue ]] && quic_install
    ((print_only)) || echo "rules.sh: $mode of TCP ports $ports on $lan_if -> :$to_port ($backend)"
    ;;
esac
