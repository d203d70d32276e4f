#!/usr/bin/env bash
# The firewall rules (scripts/rules.sh) in the namespace lab: installed twice
# they are one set; the router's own services on 443 stay reachable from the
# LAN (nft and iptables, REDIRECT and TPROXY); a reload of Debian's stock
# /etc/nftables.conf (flush ruleset), done the way nftables.service does it,
# keeps tlsgate's table through the include file; --fail-closed drops the
# ports while tlsgate is down, and a plain remove passes them again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

lab_up
work=$(mktemp -d)
log="$work/flows.jsonl"
NFT_DIR="$work/nftables.d"
INCLUDE="$NFT_DIR/tlsgate.nft"
cleanup_work() { rm -rf "$work"; }
trap 'kill ${UI_PID:-} 2>/dev/null; lab_cleanup; cleanup_work' EXIT

rules() { in_gw bash "$SOURCE_DIR/scripts/rules.sh" "$@" >/dev/null; }
table_count() { in_gw nft list tables | grep -c '^table inet tlsgate$' || true; }
rule_count() { in_gw nft list table inet tlsgate 2>/dev/null | grep -c -- "$1" || true; }

# The router's own web UI: plain HTTP on the gateway's LAN addresses, port 443.
mkdir -p "$work/ui"
echo router-ui >"$work/ui/index.html"
in_gw /usr/bin/python3 -m http.server 443 --bind :: --directory "$work/ui" >/dev/null 2>&1 &
UI_PID=$!
wait_until 5 "the router's web UI on 443" gw_listening 443
router_ui() { in_client curl -sS -g --max-time 3 "http://$1:443/" 2>/dev/null || true; }
# A connection to the real server on 443: "ok", "timeout" (dropped) or "refused/other".
server_443() {
  local rc=0
  in_client curl -"${1:-4}" -sS -o /dev/null --connect-timeout 2 --max-time 4 --cacert "$PUBLIC_CA_CERT" \
    https://www.example.test/small 2>/dev/null || rc=$?
  case $rc in 0) echo ok ;; 28) echo timeout ;; *) echo "error $rc" ;; esac
}

# --- nft, REDIRECT: one set of rules however often installed
rules install --mode redirect --ports 443,8443,80 --lan-if "$GW_LAN_IF"
rules install --mode redirect --ports 443,8443,80 --lan-if "$GW_LAN_IF"
check_eq "$(table_count)" 1 "nft: installed twice, one tlsgate table"
check_eq "$(rule_count 'redirect to')" 1 "nft: installed twice, one redirect rule"
check_eq "$(router_ui "$GW_LAN_IP4")" router-ui "nft redirect: the router's own service on $GW_LAN_IP4:443 is not redirected"
check_eq "$(router_ui "[$GW_LAN_IP6]")" router-ui "nft redirect: the router's own service on [$GW_LAN_IP6]:443 is not redirected"
check_eq "$(server_443)" "error 7" "nft redirect without tlsgate: a forwarded connection is redirected (refused)"

# --- Debian's nftables.service: ExecReload=/usr/sbin/nft -f /etc/nftables.conf
# A copy of Debian 12's stock /etc/nftables.conf, plus the include line the docs ask for.
stock_conf() {
  cat <<'NFT'
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
NFT
}
stock_conf >"$work/nftables-stock.conf"
{ stock_conf; echo "include \"$NFT_DIR/*.nft\""; } >"$work/nftables.conf"
reload_nftables() { in_gw nft -f "$1"; }

reload_nftables "$work/nftables-stock.conf"
check_eq "$(table_count)" 0 "the problem: a stock nftables reload (flush ruleset) deletes the tlsgate table"
rules install --mode redirect --lan-if "$GW_LAN_IF" --nft-include "$INCLUDE"
reload_nftables "$work/nftables.conf"
reload_nftables "$work/nftables.conf"
check_eq "$(table_count)" 1 "nftables reload with the include: the tlsgate table is back"
check_eq "$(rule_count 'redirect to')" 1 "nftables reload twice with the include: one redirect rule"
has_stock_table() { in_gw nft list chain inet filter forward >/dev/null 2>&1; }
check "nftables reload with the include: the stock filter table is loaded too" has_stock_table
check_eq "$(router_ui "$GW_LAN_IP4")" router-ui "after the reload: the router's own service is still reachable"

# Interception works on the reloaded rules: a flow goes through tlsgate.
test_config default_action=tunnel >"$work/config.json"
start_tlsgate "$work/config.json"
check_eq "$(server_443)" ok "after the reload: a LAN client reaches the server through tlsgate"
check "after the reload: tlsgate logged the flow" wait_flows 1
check_eq "$(jq -r .server.ip <<<"$(last_flow)")" "$SERVER_IP4" "after the reload: original destination in the flow line"
stop_tlsgate

rules remove --nft-include "$INCLUDE"
reload_nftables "$work/nftables.conf"
check_eq "$(table_count)" 0 "removed, then an nftables reload: no tlsgate table comes back"
check_eq "$(server_443)" ok "removed (fail-open): the LAN reaches the server directly"

# --- --fail-closed: while tlsgate is down the ports are dropped, not passed
rules install --lan-if "$GW_LAN_IF" --fail-closed --nft-include "$INCLUDE"
start_tlsgate "$work/config.json"
check_eq "$(server_443)" ok "fail-closed, tlsgate running: the client is served through tlsgate"
stop_tlsgate
rules remove --lan-if "$GW_LAN_IF" --fail-closed --nft-include "$INCLUDE"  # what the unit's ExecStopPost runs
check_eq "$(rule_count 'redirect to')" 0 "fail-closed, stopped: the redirect is gone"
check_eq "$(server_443)" timeout "fail-closed, stopped: the client's connection to 443 is dropped (IPv4)"
check_eq "$(server_443 6)" timeout "fail-closed, stopped: the client's connection to 443 is dropped (IPv6)"
check_eq "$(router_ui "$GW_LAN_IP4")" router-ui "fail-closed, stopped: the router's own service is still reachable"
reload_nftables "$work/nftables.conf"
check_eq "$(server_443)" timeout "fail-closed, stopped, nftables reloaded (or booted): still dropped"
rules remove --nft-include "$INCLUDE"
check_eq "$(server_443)" ok "remove without --fail-closed: the connection passes again"
check_eq "$(table_count)" 0 "remove without --fail-closed: no tlsgate table"

# --- TPROXY keeps the exemption
rules install --mode tproxy --lan-if "$GW_LAN_IF"
rules install --mode tproxy --lan-if "$GW_LAN_IF"
check_eq "$(rule_count 'tproxy to')" 1 "nft tproxy: installed twice, one tproxy rule"
check_eq "$(in_gw ip -4 rule show | grep -c 'fwmark 0x1 lookup 100')" 1 "nft tproxy: installed twice, one ip rule"
check_eq "$(router_ui "$GW_LAN_IP4")" router-ui "nft tproxy: the router's own service is not intercepted"
rules remove

# --- iptables backend: the same guarantees
ipt_jumps() { in_gw iptables -t "$1" -S "$2" | grep -c -- "-j $3\$" || true; }
rules install --backend iptables --lan-if "$GW_LAN_IF"
rules install --backend iptables --lan-if "$GW_LAN_IF"
check_eq "$(ipt_jumps nat PREROUTING TLSGATE)" 1 "iptables: installed twice, one jump to TLSGATE"
check_eq "$(in_gw iptables -t nat -S TLSGATE | grep -c REDIRECT)" 1 "iptables: installed twice, one REDIRECT rule"
check_eq "$(router_ui "$GW_LAN_IP4")" router-ui "iptables redirect: the router's own service on $GW_LAN_IP4:443 is not redirected"
check_eq "$(router_ui "[$GW_LAN_IP6]")" router-ui "iptables redirect: the router's own service on [$GW_LAN_IP6]:443 is not redirected"
rules install --backend iptables --lan-if "$GW_LAN_IF" --fail-closed
rules remove --backend iptables --lan-if "$GW_LAN_IF" --fail-closed
check_eq "$(server_443)" timeout "iptables fail-closed, stopped: the connection is dropped"
rules remove
check_eq "$(ipt_jumps filter FORWARD TLSGATE_CLOSED)" 0 "iptables: remove takes the drop away"
check_eq "$(server_443)" ok "iptables: after remove the connection passes"

finish
