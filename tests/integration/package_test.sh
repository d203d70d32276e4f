#!/usr/bin/env bash
# The Debian package: scripts/package.sh builds it from $TLSGATE_BIN's build
# directory; `apt-get install ./tlsgate_*.deb` installs it on this machine (no
# firewall change: without systemd as PID 1 the maintainer scripts touch no
# rules); then the installed files are checked: config check as the tlsgate
# user, systemd-analyze verify on the unit, the user, conffiles, modes. The
# package is purged at the end, also when a check fails (and the tlsgate user
# removed if this test created it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $EUID -eq 0 ]] || { echo "package_test needs root (it installs the package)" >&2; exit 1; }
[[ -x $TLSGATE_BIN ]] || { echo "no tlsgate binary at $TLSGATE_BIN (set TLSGATE_BIN)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' tlsgate 2>/dev/null | grep -q "install ok installed"; then
  echo "package_test: a tlsgate package is already installed here; not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
user_existed=0
getent passwd tlsgate >/dev/null && user_existed=1
apt_quiet() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=180 "$@" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; return 1; }
}
cleanup() {
  local rc=$?
  if dpkg-query -W -f='${Status}' tlsgate 2>/dev/null | grep -q installed; then
    apt_quiet purge tlsgate || dpkg --purge tlsgate >/dev/null 2>&1 || true
  fi
  if ((!user_existed)) && getent passwd tlsgate >/dev/null; then
    userdel tlsgate 2>/dev/null || true
    getent group tlsgate >/dev/null && groupdel tlsgate 2>/dev/null || true
  fi
  rm -rf "$work"
  return $rc
}
trap cleanup EXIT

build_dir=$(dirname "$TLSGATE_BIN")
deb=$(bash "$SOURCE_DIR/scripts/package.sh" --build-dir "$build_dir" --out "$work")
version=$(sed -n 's/^project(tlsgate VERSION \([0-9.]*\).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
check_eq "$(basename "$deb")" "tlsgate_${version}_$(dpkg --print-architecture).deb" "package.sh: tlsgate_<version>_<arch>.deb"
deps=$(dpkg-deb -f "$deb" Depends)
for dep in libssl3 libnghttp2-14 libnetfilter-queue1 libmnl0 nftables; do
  check "Depends names $dep" grep -q "$dep" <<<"$deps"
done

check "apt-get install ./tlsgate_*.deb" apt_quiet install "$deb"
installed() { dpkg-query -W -f='${Status}' tlsgate 2>/dev/null | grep -q "install ok installed"; }
check "dpkg: tlsgate is installed" installed
for f in /usr/sbin/tlsgate /usr/sbin/tlsgate-rules; do check "$f is executable" test -x "$f"; done
for f in /lib/systemd/system/tlsgate.service /etc/tlsgate/tlsgate.json /etc/tlsgate/policy.json /etc/default/tlsgate \
  /etc/logrotate.d/tlsgate /etc/sysctl.d/90-tlsgate.conf /etc/nftables.d/tlsgate.nft \
  /usr/share/doc/tlsgate/README.md /usr/share/doc/tlsgate/deployment.md /usr/share/doc/tlsgate/flow-log.schema.json; do
  check "installed: $f" test -f "$f"
done

# The user, its directories.
has_user() { getent passwd tlsgate >/dev/null; }
check "postinst: system user tlsgate" has_user
check_eq "$(getent passwd tlsgate | cut -d: -f7)" /usr/sbin/nologin "tlsgate user has no login shell"
(($(id -u tlsgate) < 1000)) && pass "tlsgate is a system user (uid $(id -u tlsgate))" || fail "tlsgate is a system user"
check_eq "$(stat -c '%a %U %G' /var/lib/tlsgate)" "700 tlsgate tlsgate" "/var/lib/tlsgate: 0700 tlsgate:tlsgate"
check_eq "$(stat -c '%a %U' /var/log/tlsgate)" "750 tlsgate" "/var/log/tlsgate: 0750 tlsgate"

# conffiles: the operator's edits survive upgrades.
conffiles=$(dpkg-query -W -f='${Conffiles}' tlsgate | awk '{print $1}' | sort | tr '\n' ' ')
check_eq "$conffiles" "/etc/default/tlsgate /etc/logrotate.d/tlsgate /etc/sysctl.d/90-tlsgate.conf /etc/tlsgate/policy.json /etc/tlsgate/tlsgate.json " \
  "conffiles"

# The installed config, as the unit would run it (the tlsgate user).
if /usr/sbin/tlsgate --help 2>&1 | grep -qE "^ +config( |$)"; then
  out=$(runuser -u tlsgate -- /usr/sbin/tlsgate config check /etc/tlsgate/tlsgate.json 2>&1) && rc=0 || rc=$?
  check_eq "$rc" 0 "tlsgate config check /etc/tlsgate/tlsgate.json as tlsgate (output: $(tr '\n' ' ' <<<"$out"))"
else
  echo "# note: this binary has no 'config check' yet (daemon-ops branch); checking that the config is JSON"
  json_ok() { jq -e . /etc/tlsgate/tlsgate.json >/dev/null; }
  check "/etc/tlsgate/tlsgate.json is valid JSON" json_ok
fi

# The unit. verify needs no running systemd; it reads the installed unit and checks its commands exist.
verify_out=$(systemd-analyze verify /lib/systemd/system/tlsgate.service 2>&1) && rc=0 || rc=$?
check_eq "$rc:$verify_out" "0:" "systemd-analyze verify /lib/systemd/system/tlsgate.service: clean"
# The sandbox's exposure score (offline: needs no running systemd); docs/deployment.md quotes it.
exposure=$(systemd-analyze security --offline=true /lib/systemd/system/tlsgate.service 2>/dev/null |
  sed -n 's/.*Overall exposure level for tlsgate.service: \([0-9.]*\).*/\1/p')
awk -v e="${exposure:-99}" 'BEGIN { exit !(e < 3.0) }' && pass "systemd-analyze security: exposure $exposure < 3.0" ||
  fail "systemd-analyze security: exposure ${exposure:-unknown} < 3.0"
unit() { grep -qx "$1" /lib/systemd/system/tlsgate.service; }
for line in "Type=notify" "User=tlsgate" "AmbientCapabilities=CAP_NET_ADMIN" "CapabilityBoundingSet=CAP_NET_ADMIN" \
  "ExecStart=/usr/sbin/tlsgate run --config /etc/tlsgate/tlsgate.json" "ProtectProc=invisible" "WatchdogSec=30s"; do
  check "unit: $line" unit "$line"
done
doc=$(sed -n 's/^Documentation=//p' /lib/systemd/system/tlsgate.service)
for d in $doc; do check "unit Documentation= is installed: $d" test -f "${d#file://}"; done

# The include file parses as nft (checked in a throwaway network namespace).
check "/etc/nftables.d/tlsgate.nft is valid nft syntax" unshare --net nft -c -f /etc/nftables.d/tlsgate.nft

# Purge: everything goes.
check "apt-get purge tlsgate" apt_quiet purge tlsgate
! installed && pass "purged: no tlsgate package" || fail "purged: no tlsgate package"
for f in /usr/sbin/tlsgate /etc/tlsgate /etc/default/tlsgate /var/lib/tlsgate /var/log/tlsgate /etc/nftables.d/tlsgate.nft \
  /lib/systemd/system/tlsgate.service; do
  [[ ! -e $f ]] && pass "purged: $f gone" || fail "purged: $f gone"
done
! has_user && pass "purged: no tlsgate user" || fail "purged: no tlsgate user"

finish
