#!/usr/bin/env bash
# Firewall rules that hand the LAN's TCP connections to tlsgate.
#
#   rules.sh install [options]   install, replacing earlier tlsgate rules (idempotent: one set, however often)
#   rules.sh remove  [options]   remove tlsgate's rules, routes and ip rules (with --fail-closed: leave the drop)
#   rules.sh print   [options]   show what install would run, change nothing
#
# Options:
#   --lan-if IF          LAN interface whose forwarded traffic is caught (required for install/print,
#                        and for remove --fail-closed)
#   --mode MODE          redirect (default) or tproxy
#   --ports LIST         TCP destination ports, e.g. 443,8443,80 (default)
#   --to-port N          tlsgate's listener port (default 15001 for redirect, 15002 for tproxy)
#   --backend B          nft (default) or iptables (iptables-nft / ip6tables)
#   --mark M             tproxy only: fwmark and routing table for the local route (default 0x1 / 100)
#   --fail-closed        also drop LAN traffic to PORTS that would be forwarded (not intercepted), and keep
#                        that drop after `remove --fail-closed`: while tlsgate is down those ports are dropped
#                        instead of passed. Without it, stopping tlsgate passes them (fail-open).
#   --nft-include FILE   nft backend: also write the table to FILE (e.g. /etc/nftables.d/tlsgate.nft) so an
#                        /etc/nftables.conf that includes it restores the rules after `flush ruleset`
#                        (systemctl reload nftables); install and remove keep FILE equal to what is loaded
#   --quic-queue N       also send UDP 443 from the LAN to NFQUEUE N (the QUIC guard; iptables NFQUEUE
#                        target because native nft `queue` may be missing from the kernel)
#   --quic-fail-closed   drop UDP 443 while nothing listens on the queue (default: accept, --queue-bypass)
#   --upstream-mark M    nft backend: the gateway's own upstream packets carry this mark (its config's
#                        upstream_mark); with --upstream-rules they pass the operator's forward rules too
#   --upstream-rules F   nft backend: a file of nft rule statements (the ones the router's forward chain
#                        applies to the LAN, e.g. `ip daddr 10.20.0.0/16 reject`), applied on the output
#                        hook to packets marked --upstream-mark: tlsgate re-originates every flow it takes,
#                        so forward rules alone no longer see them (docs/deployment.md)
#
# The nft rules live in their own table, inet tlsgate, replaced in one `nft -f` transaction.
# Destinations local to the router (its own web UI, a local nginx) are never redirected.
# Only packets arriving on the LAN interface (prerouting) are caught, so the
# gateway's own upstream connections (output path) never loop back into it.
# Run it in the gateway's network namespace (or on the router itself).
set -euo pipefail

# The comment block above is the help.
usage() { awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; }

cmd=${1:-}
[[ $cmd == -h || $cmd == --help ]] && { usage; exit 0; }
shift || true
lan_if="" mode=redirect ports=443,8443,80 to_port="" backend=nft mark=0x1 table=100
quic_queue="" quic_fail_closed=0 fail_closed=0 nft_include="" upstream_mark="" upstream_rules=""
while (($#)); do
  case "$1" in
    --lan-if) lan_if=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --to-port) to_port=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --mark) mark=$2; shift 2 ;;
    --fail-closed) fail_closed=1; shift ;;
    --nft-include) nft_include=$2; shift 2 ;;
    --quic-queue) quic_queue=$2; shift 2 ;;
    --quic-fail-closed) quic_fail_closed=1; shift ;;
    --upstream-mark) upstream_mark=$2; shift 2 ;;
    --upstream-rules) upstream_rules=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
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
if [[ $cmd != remove ]] || ((fail_closed)); then
  [[ -n $lan_if ]] || die "--lan-if is required (set TLSGATE_LAN_IF in /etc/default/tlsgate for the service)"
fi
[[ -z $lan_if || $lan_if =~ ^[A-Za-z0-9_.@-]+$ ]] || die "bad interface name '$lan_if'"
if [[ -n $upstream_mark || -n $upstream_rules ]]; then
  [[ $backend == nft ]] || die "--upstream-mark/--upstream-rules need the nft backend (docs/deployment.md has the iptables rule)"
  [[ $upstream_mark =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ && $((upstream_mark)) -ne 0 ]] ||
    die "--upstream-mark must be a non-zero mark (tlsgate's upstream_mark), not '$upstream_mark'"
  [[ -n $upstream_rules ]] || die "--upstream-mark needs --upstream-rules FILE"
  [[ $cmd == remove || -r $upstream_rules ]] || die "--upstream-rules: cannot read '$upstream_rules'"
fi
if [[ -n $nft_include && $backend == iptables ]]; then
  echo "rules.sh: warning: --nft-include holds nft rules only; an nftables reload removes iptables rules" >&2
fi

print_only=0
[[ $cmd == print ]] && print_only=1
run() {
  if ((print_only)); then echo "$*"; else "$@"; fi
}
# Runs a command whose failure only means "was not there" (removal).
quiet() { "$@" >/dev/null 2>&1 || true; }

nft_ports="{ ${ports//,/, } }"

# The whole inet tlsgate table in the wanted state (active: interception and,
# with --fail-closed, the drop; closed: the drop only; none: no table). Adding
# an empty table first makes the delete valid when none exists, so the script
# is one transaction that replaces whatever was there and never duplicates.
nft_script() {
  local state=$1
  echo "table inet tlsgate {}"
  echo "delete table inet tlsgate"
  [[ $state == none ]] && return
  echo "table inet tlsgate {"
  if [[ $state == active && $mode == redirect ]]; then
    cat <<EOF
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports fib daddr type local accept comment "the router's own services"
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports redirect to :$to_port
  }
EOF
  elif [[ $state == active ]]; then
    cat <<EOF
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "$lan_if" meta l4proto tcp socket transparent 1 meta mark set $mark accept
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports fib daddr type local accept comment "the router's own services"
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports tproxy to :$to_port meta mark set $mark accept
  }
EOF
  fi
  # The gateway's own upstream connects leave through output, where the
  # router's forward rules never look: the operator's rules apply here too.
  if [[ $state == active && -n $upstream_rules ]]; then
    echo "  chain upstream_out {"
    echo "    type filter hook output priority filter; policy accept;"
    echo "    meta mark $upstream_mark jump upstream_rules"
    echo "  }"
    echo "  chain upstream_rules {"
    sed 's/^/    /' "$upstream_rules"
    echo "  }"
  fi
  # Intercepted connections are delivered locally, never forwarded: whatever
  # reaches forward on these ports escaped tlsgate (it is down).
  if ((fail_closed)); then
    cat <<EOF
  chain fail_closed {
    type filter hook forward priority filter; policy accept;
    iifname "$lan_if" meta l4proto tcp tcp dport $nft_ports drop comment "fail closed: tlsgate is down"
  }
EOF
  fi
  echo "}"
}

# The state to load: "active" on install; on remove, the drop alone (--fail-closed) or nothing.
nft_state() {
  if [[ $cmd != remove ]]; then echo active
  elif ((fail_closed)); then echo closed
  else echo none
  fi
}

nft_apply() {
  local script
  script=$(nft_script "$1")
  if ((print_only)); then
    echo "nft -f - <<'NFT'"; echo "$script"; echo "NFT"
  else
    nft -f - <<<"$script"
  fi
}

# The include file always describes the state just loaded, written whole then renamed.
write_include() {
  local state=$1 tmp
  [[ -n $nft_include ]] || return 0
  [[ $backend == iptables ]] && state=none
  if ((print_only)); then echo "(and write the same table to $nft_include)"; return 0; fi
  mkdir -p "$(dirname "$nft_include")"
  tmp=$(mktemp "$nft_include.XXXXXX")
  {
    echo "# Written by tlsgate-rules $cmd: the tlsgate table as loaded now. Do not edit;"
    echo "# /etc/default/tlsgate sets the options. Included by /etc/nftables.conf so that"
    echo "# 'systemctl reload nftables' (flush ruleset) restores it."
    nft_script "$state"
  } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$nft_include"
}

ipt_install() {
  local ipt
  for ipt in iptables ip6tables; do
    if [[ $mode == redirect ]]; then
      run "$ipt" -t nat -N TLSGATE
      run "$ipt" -t nat -A TLSGATE -p tcp -m addrtype --dst-type LOCAL -j RETURN
      run "$ipt" -t nat -A TLSGATE -p tcp -m multiport --dports "$ports" -j REDIRECT --to-ports "$to_port"
      run "$ipt" -t nat -A PREROUTING -i "$lan_if" -j TLSGATE
    else
      run "$ipt" -t mangle -N TLSGATE
      run "$ipt" -t mangle -A TLSGATE -p tcp -m socket --transparent -j MARK --set-mark "$mark"
      run "$ipt" -t mangle -A TLSGATE -p tcp -m socket --transparent -j ACCEPT
      run "$ipt" -t mangle -A TLSGATE -p tcp -m addrtype --dst-type LOCAL -j RETURN
      run "$ipt" -t mangle -A TLSGATE -p tcp -m multiport --dports "$ports" \
        -j TPROXY --on-port "$to_port" --tproxy-mark "$mark/$mark"
      run "$ipt" -t mangle -A PREROUTING -i "$lan_if" -j TLSGATE
    fi
  done
}

ipt_fail_closed() {
  local ipt
  for ipt in iptables ip6tables; do
    run "$ipt" -t filter -N TLSGATE_CLOSED
    run "$ipt" -t filter -A TLSGATE_CLOSED -p tcp -m multiport --dports "$ports" -j DROP
    run "$ipt" -t filter -A FORWARD -i "$lan_if" -j TLSGATE_CLOSED
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

# Everything but the nft table, which nft_apply replaces in one transaction.
remove_ipt_and_routes() {
  local ipt t chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for t in nat:PREROUTING:TLSGATE mangle:PREROUTING:TLSGATE mangle:FORWARD:TLSGATE_QUIC \
      filter:FORWARD:TLSGATE_CLOSED; do
      IFS=: read -r table_name hook chain <<<"$t"
      # The content decides, not the pipeline's status (with pipefail, grep closing early can fail it).
      for _ in $(seq 1 100); do
        rule=$("$ipt" -t "$table_name" -S "$hook" 2>/dev/null | grep -m1 -- "-j $chain\$" || true)
        [[ -n $rule ]] || break
        # shellcheck disable=SC2086
        "$ipt" -t "$table_name" ${rule/#-A /-D }
      done
      quiet "$ipt" -t "$table_name" -F "$chain"
      quiet "$ipt" -t "$table_name" -X "$chain"
    done
  done
  local fam
  for fam in -4 -6; do
    for _ in $(seq 1 100); do
      [[ $(ip "$fam" rule show) == *"fwmark $mark lookup $table"* ]] || break
      ip "$fam" rule del fwmark "$mark" lookup "$table"
    done
    quiet ip "$fam" route flush table "$table"
  done
}

state=$(nft_state)
((print_only)) || remove_ipt_and_routes
if [[ $backend == nft ]]; then
  nft_apply "$state"
else
  # The iptables backend owns no nft table: drop one left by an nft install.
  if ((print_only)); then echo "nft delete table inet tlsgate"; else quiet nft delete table inet tlsgate; fi
  [[ $state == active ]] && ipt_install
  [[ $state != none ]] && ((fail_closed)) && ipt_fail_closed
fi
write_include "$state"
if [[ $state == active ]]; then
  [[ $mode == tproxy ]] && tproxy_routes
  [[ -n $quic_queue ]] && quic_install
fi
if ((!print_only)); then
  case $state in
    active) echo "rules.sh: $mode of TCP ports $ports on $lan_if -> :$to_port ($backend$( ((fail_closed)) && echo ", fail-closed"))" ;;
    closed) echo "rules.sh: removed; TCP ports $ports from $lan_if are dropped until the next install (fail-closed)" ;;
    none) echo "rules.sh: removed" ;;
  esac
fi
