#!/usr/bin/env bash
# Runs inside systemd_test.sh's container (systemd is PID 1; the container's
# root network namespace is the router). Builds the lab around it: namespaces
# client and server joined to the router by veth pairs lan0 and wan0, the
# lab's nginx in server. Then does what docs/deployment.md tells an operator
# to do, with $DEB_OLD, and checks what the operator relies on: READY, the
# user and capabilities, interception and the flow log, reload, restart, the
# watchdog, `systemctl restart nftables` with both rule backends, journald,
# upgrade to $DEB_NEW, purge.
#
#   systemd_inside.sh OUT_DIR      (OUT_DIR gets the security score and logs)
set -euo pipefail
out=$1
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scripts=$SOURCE_DIR/scripts
log=/var/log/tlsgate/flows.jsonl
lab=/var/tmp/systest/lab
NS_CLIENT=client NS_SERVER=server
trap 'journalctl -u tlsgate --no-pager >"$out/journal.txt" 2>&1 || true' EXIT

# --- The lab: the container is the router. ---
for ns in client server; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n client link add eth0 type veth peer name lan0 netns 1
ip -n server link add eth0 type veth peer name wan0 netns 1
bash "$scripts/lab_roles.sh" net gateway lan0 wan0
ip netns exec client bash "$scripts/lab_roles.sh" net client eth0 --routes default
ip netns exec server bash "$scripts/lab_roles.sh" net server eth0 --routes default
hosts=$'127.0.0.1 localhost\n::1 localhost\n'$(bash "$scripts/lab_roles.sh" hosts)$'\n'
for ns in client server; do mkdir -p "/etc/netns/$ns" && printf '%s' "$hosts" >"/etc/netns/$ns/hosts"; done
bash "$scripts/lab_roles.sh" server "$lab" 1 >/dev/null
ip netns exec server nginx -c "$lab/nginx/nginx.conf"
in_client() { ip netns exec client "$@"; }
public_ca=$lab/pki/public-ca.crt
# A client that trusts only the gateway CA (exported after the first start): a 200 means intercepted.
trust=/var/tmp/systest/gateway-ca.crt
get() { in_client curl -sS -m 5 --cacert "$trust" -o /dev/null -w '%{http_code}' "$@"; }
flows_for() { grep -c "\"sni\":\"$1\"" "$log" 2>/dev/null || true; }
wait_for() {  # wait_for SECONDS CMD...: poll CMD every 0.2 s
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}
prop() { systemctl show -P "$1" tlsgate; }
# has PATTERN CMD...: CMD's output matches (read whole: grep -q on a pipe would SIGPIPE the writer).
has() { local pattern=$1 text; shift; text=$("$@" 2>&1) || true; grep -qiE -- "$pattern" <<<"$text"; }
rules_loaded() { has redirect nft list table inet tlsgate; }

# --- Install, as docs/deployment.md sections 1-6 say. ---
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB_OLD" >"$out/apt-install.log" 2>&1 ||
  { cat "$out/apt-install.log"; fail "apt-get install ./tlsgate_*.deb"; finish; }
pass "apt-get install ./tlsgate_*.deb"
check_eq "$(systemctl is-active tlsgate || true)" inactive "the package starts nothing before TLSGATE_LAN_IF is set"
sysctl -q --system >/dev/null 2>&1 || true
sed -i 's/^TLSGATE_LAN_IF=.*/TLSGATE_LAN_IF=lan0/' /etc/default/tlsgate
echo 'include "/etc/nftables.d/*.nft"' >>/etc/nftables.conf
systemctl enable --now nftables >/dev/null 2>&1
# The lab's servers have certificates from the lab's public CA: tlsgate must trust it upstream.
install -m 644 "$public_ca" /etc/tlsgate/lab-public-ca.crt
# The onboarding page on the router's LAN address (docs/deployment.md section 7).
jq '.upstream_ca_file = "/etc/tlsgate/lab-public-ca.crt" | .portal_listen = "10.10.1.1:8080"' /etc/tlsgate/tlsgate.json >/var/tmp/systest/cfg &&
  cat /var/tmp/systest/cfg >/etc/tlsgate/tlsgate.json
out_check=$(runuser -u tlsgate -- tlsgate config check /etc/tlsgate/tlsgate.json 2>&1) &&
  pass "tlsgate config check as tlsgate" || fail "tlsgate config check as tlsgate: $out_check"

# --- Start: READY, user, capabilities. ---
check "systemctl enable --now tlsgate (Type=notify: returns after READY=1)" systemctl enable --now tlsgate
check_eq "$(prop ActiveState)/$(prop SubState)" active/running "tlsgate.service is active (running)"
pid=$(prop MainPID)
uid=$(id -u tlsgate)
status=/proc/$pid/status
check_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$status")" "$uid $uid $uid $uid" "main process runs as user tlsgate ($uid)"
check_eq "$(awk '/^Gid:/ {print $2}' "$status")" "$(getent group tlsgate | cut -d: -f3)" "main process runs as group tlsgate"
# docs/deployment.md section 9: CAP_NET_ADMIN in the bounding set only; dropped from every
# thread once the listeners are open (no QUIC guard here).
caps_ok=1
for task in /proc/"$pid"/task/*; do
  caps=$(awk '/^Cap(Inh|Prm|Eff|Amb|Bnd):/ {printf "%s=%s ", $1, $2}' "$task/status")
  [[ $caps == "CapInh:=0000000000000000 CapPrm:=0000000000000000 CapEff:=0000000000000000 CapBnd:=0000000000001000 CapAmb:=0000000000000000 " ]] ||
    { caps_ok=0; echo "# thread $(basename "$task"): $caps"; }
done
((caps_ok)) && pass "every thread: no capability left, bounding set CAP_NET_ADMIN only" ||
  fail "every thread: no capability left, bounding set CAP_NET_ADMIN only"
check_eq "$(awk '/^NoNewPrivs:/ {print $2}' "$status")" 1 "NoNewPrivs is set"
systemd-analyze security tlsgate >"$out/security.txt" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for tlsgate.service: \([0-9.]*\).*/\1/p' "$out/security.txt")
[[ -n $score ]] && echo "$score" >"$out/security-score"
awk -v e="${score:-99}" 'BEGIN { exit !(e < 3.0) }' && pass "systemd-analyze security tlsgate: $score < 3.0" ||
  fail "systemd-analyze security tlsgate: ${score:-unknown} < 3.0"

# --- Traffic is intercepted and logged. ---
wait_for 5 test -s /var/lib/tlsgate/ca.crt
tlsgate ca export >"$trust"
portal_pem=$(in_client curl -sS -m 5 http://10.10.1.1:8080/tlsgate-ca.pem || true)
check_eq "$portal_pem" "$(cat "$trust")" "the onboarding page serves the CA of tlsgate ca export to the LAN"
check_eq "$(get https://www.example.test/small)" 200 "client: https://www.example.test/small through the gateway"
intercepted() { grep -q '"sni":"www.example.test".*"action":"intercept"\|"action":"intercept".*"sni":"www.example.test"' "$log"; }
check "flow log: www.example.test intercepted" wait_for 5 intercepted
issuer=$(in_client bash -c "openssl s_client -connect www.example.test:443 -servername www.example.test </dev/null 2>/dev/null |
  openssl x509 -noout -issuer" || true)
check_eq "$issuer" "$(openssl x509 -in "$trust" -noout -subject | sed 's/^subject/issuer/')" \
  "the client sees a certificate issued by the gateway CA"

# --- Reload applies a policy change; a broken policy is refused with a warning in the journal. ---
cp /etc/tlsgate/policy.json /var/tmp/systest/policy.orig
jq '.rules = [{"name": "systest-block", "host": ["www.example.test"], "action": "block"}] + .rules' \
  /var/tmp/systest/policy.orig >/etc/tlsgate/policy.json
check "systemctl reload tlsgate" systemctl reload tlsgate
blocked() { [[ $(get https://www.example.test/small 2>/dev/null) != 200 ]] && grep -q '"action":"block"' "$log"; }
check "after reload: www.example.test is blocked and logged" wait_for 5 blocked
since=$(date '+%Y-%m-%d %H:%M:%S')
echo '{"default": ' >/etc/tlsgate/policy.json
systemctl reload tlsgate
warned() { has "policy not reloaded" journalctl -u tlsgate -p warning --since "$since" --no-pager -q; }
check "journalctl -u tlsgate -p warning: the refused policy reload" wait_for 5 warned
check "a broken policy keeps the previous one (still blocked)" blocked
cp /var/tmp/systest/policy.orig /etc/tlsgate/policy.json
systemctl reload tlsgate
unblocked() { [[ $(get https://www.example.test/small 2>/dev/null) == 200 ]]; }
check "policy restored by reload" wait_for 5 unblocked

# --- Restart loses no flow line of finished flows. ---
settle
before=$(flow_count)
ok=0
for _ in 1 2 3 4 5; do [[ $(get https://www.example.test/small) == 200 ]] && ok=$((ok + 1)); done
check_eq "$ok" 5 "five more requests answered"
check "systemctl restart tlsgate" systemctl restart tlsgate
check_eq "$(flow_count)" $((before + 5)) "after restart: the five finished flows are all in the log"

# --- Learned bypass (state the upgrade must keep): a client without the gateway CA. ---
in_client curl -sS -m 5 --cacert "$public_ca" -o /dev/null https://api.example.test/small 2>/dev/null || true
learned() { grep -q api.example.test /var/lib/tlsgate/learned-bypass.json 2>/dev/null; }
check "learned bypass for api.example.test saved in /var/lib/tlsgate/learned-bypass.json" wait_for 10 learned

# --- Watchdog: a stopped daemon is killed and restarted within WatchdogSec, rules back. ---
watchdog_s=$(($(prop WatchdogUSec | sed 's/s$//')))
restarts=$(prop NRestarts)
old_pid=$(prop MainPID)
kill -STOP "$old_pid"
stopped_at=$SECONDS
# docs/deployment.md section 8: meanwhile the redirect stays and nothing answers: connections hang.
hung=$(get https://www.example.test/small -m 3 2>/dev/null || true)
check_eq "$hung" 000 "while the daemon is stopped: the client's connection hangs (no answer, not forwarded)"
restarted() { [[ $(prop NRestarts) -gt $restarts && $(prop SubState) == running ]]; }
if wait_for $((watchdog_s + 15)) restarted; then
  took=$((SECONDS - stopped_at))
  pass "watchdog: systemd killed and restarted the stopped daemon (after ${took}s; WatchdogSec=${watchdog_s}s)"
  # WatchdogSec, then the kill, ExecStopPost, RestartSec, ExecStartPre and the start to READY.
  restart_s=$(($(prop RestartUSec | sed 's/s$//')))
  ((took <= watchdog_s + restart_s + 5)) && pass "back within WatchdogSec + RestartSec + 5 s" ||
    fail "back within WatchdogSec + RestartSec + 5 s (took ${took}s)"
else
  fail "watchdog: systemd killed and restarted the stopped daemon"
fi
check "journal: the watchdog timeout" has "watchdog timeout" journalctl -u tlsgate --no-pager -q
check "after the watchdog restart: the rules are back" rules_loaded
check_eq "$(get https://www.example.test/small)" 200 "after the watchdog restart: traffic flows again"

# --- systemctl restart nftables (a router's firewall reload). ---
# nft backend with the include file: the table comes back with the router's ruleset.
n=$(flows_for www.example.test)
check "systemctl restart nftables" systemctl restart nftables
check "nft backend: tlsgate's table is back after the nftables restart" rules_loaded
get https://www.example.test/small >/dev/null
check "nft backend: still intercepted after the nftables restart" wait_for 5 test "$(flows_for www.example.test)" -gt "$n"
# iptables backend: `flush ruleset` removes its rules; docs/deployment.md section 4 says to restart
# tlsgate. A backend is switched with the daemon stopped (the stop removes the rules with the old options).
systemctl stop tlsgate
! rules_loaded && pass "stopped (fail-open): no redirect loaded" || fail "stopped (fail-open): no redirect loaded"
check "stopped (fail-open): the include file holds no redirect" bash -c "! grep -q redirect /etc/nftables.d/tlsgate.nft"
sed -i 's|^TLSGATE_RULES_OPTS=.*|TLSGATE_RULES_OPTS="--backend iptables"|' /etc/default/tlsgate
systemctl start tlsgate
iptables_loaded() { has 'REDIRECT.*15001' iptables -t nat -S; }
check "iptables backend: redirect loaded" iptables_loaded
n=$(flows_for www.example.test)
get https://www.example.test/small >/dev/null
check "iptables backend: intercepted" wait_for 5 test "$(flows_for www.example.test)" -gt "$n"
systemctl restart nftables
! iptables_loaded && pass "iptables backend: the nftables restart removed the redirect (as documented)" ||
  fail "iptables backend: the nftables restart removed the redirect (as documented)"
settle
n=$(flows_for www.example.test)
direct=$(in_client curl -sS -m 5 --cacert "$public_ca" -o /dev/null -w '%{http_code}' https://www.example.test/small || true)
sleep 0.5
check_eq "$direct:$(flows_for www.example.test)" "200:$n" "iptables backend after the nftables restart: the LAN is not inspected"
systemctl restart tlsgate
check "iptables backend: systemctl restart tlsgate restores the redirect" iptables_loaded
systemctl stop tlsgate
sed -i 's|^TLSGATE_RULES_OPTS=.*|TLSGATE_RULES_OPTS="--nft-include /etc/nftables.d/tlsgate.nft"|' /etc/default/tlsgate
systemctl start tlsgate
! iptables_loaded && rules_loaded && pass "back to the nft backend: iptables rules gone, nft table loaded" ||
  fail "back to the nft backend: iptables rules gone, nft table loaded"

# --- Upgrade keeps the CA, the config and the learned bypass. ---
sums() { sha256sum /var/lib/tlsgate/ca.crt /var/lib/tlsgate/ca.key /etc/tlsgate/tlsgate.json /etc/default/tlsgate; }
sums_before=$(sums)
pid_before=$(prop MainPID)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB_NEW" >"$out/apt-upgrade.log" 2>&1 &&
  pass "upgrade: apt-get install the higher version" || { cat "$out/apt-upgrade.log"; fail "upgrade: apt-get install the higher version"; }
check_eq "$(dpkg-query -W -f='${Version}' tlsgate)" "$(dpkg-deb -f "$DEB_NEW" Version)" "upgrade: new version installed"
check_eq "$(sums)" "$sums_before" "upgrade: CA (cert and key), config and /etc/default/tlsgate unchanged"
check_eq "$(prop ActiveState)" active "upgrade: the service runs"
[[ $(prop MainPID) != "$pid_before" ]] && pass "upgrade: the running daemon was restarted with the new binary" ||
  fail "upgrade: the running daemon was restarted with the new binary"
check "upgrade: the learned bypass is still known to the daemon" has api.example.test tlsgate bypass list
check_eq "$(get https://www.example.test/small)" 200 "upgrade: traffic intercepted again"

# --- Purge removes the user, the unit and the rules; keeps the journal and the operator's edits elsewhere. ---
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tlsgate >"$out/apt-purge.log" 2>&1 &&
  pass "apt-get purge tlsgate" || { cat "$out/apt-purge.log"; fail "apt-get purge tlsgate"; }
! getent passwd tlsgate >/dev/null && pass "purge: the tlsgate user is gone" || fail "purge: the tlsgate user is gone"
! getent group tlsgate >/dev/null && pass "purge: the tlsgate group is gone" || fail "purge: the tlsgate group is gone"
check_eq "$(systemctl show -P LoadState tlsgate)" not-found "purge: the unit is gone"
! nft list table inet tlsgate >/dev/null 2>&1 && pass "purge: no nft table inet tlsgate" || fail "purge: no nft table inet tlsgate"
# /etc/tlsgate keeps only the file the operator added (the lab's upstream CA); dpkg removes its own.
check_eq "$(ls /etc/tlsgate 2>&1)" lab-public-ca.crt "purge: /etc/tlsgate keeps only files the package did not install"
for f in /var/lib/tlsgate /var/log/tlsgate /etc/nftables.d/tlsgate.nft /etc/default/tlsgate; do
  [[ ! -e $f ]] && pass "purge: $f gone" || fail "purge: $f gone"
done
check "purge keeps: the journal of tlsgate.service" has "policy not reloaded" journalctl -u tlsgate --no-pager -q
check "purge keeps: the include line in /etc/nftables.conf" grep -q '^include "/etc/nftables.d/\*.nft"' /etc/nftables.conf
check "after purge: systemctl restart nftables still loads" systemctl restart nftables
check_eq "$(in_client curl -sS -m 5 --cacert "$public_ca" -o /dev/null -w '%{http_code}' https://www.example.test/small || true)" 200 \
  "after purge: the LAN reaches the server directly"

finish
