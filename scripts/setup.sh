#!/usr/bin/env bash
# Installs every Debian 12 package that building, the lab and the tests need.
# Idempotent: packages already present are skipped; apt-get update runs only
# when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libboost1.81-dev libssl-dev nlohmann-json3-dev libcli11-dev
  libnetfilter-queue-dev libmnl-dev libnghttp2-dev libsystemd-dev
  zlib1g-dev  # gzip-compressed host lists
  libre2-dev  # request rules' path regexes
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy  # the style (.clang-format) and the checks (.clang-tidy)
  libqrencode-dev  # the CA onboarding page's QR code
  # lab and integration tests
  iproute2 nftables iptables nginx openssl ca-certificates curl
  nghttp2-client socat jq procps psmisc
  python3 python3-cryptography python3-jsonschema
  tshark  # reads the decrypted pcap in capture_test.sh
  # packaging and operations tests: dpkg-shlibdeps, systemd-analyze, vagrant validate
  dpkg-dev systemd vagrant vagrant-libvirt
  # a real browser through the gateway (tests/integration/browser_test.sh): headless
  # Chromium and NSS's certutil for its trust store
  chromium libnss3-tools
  # the package under a real systemd (systemd_test.sh): systemd-nspawn; the container is
  # offline, so the package's Recommends must already be here
  systemd-container logrotate
  # promtool checks deploy/prometheus and the Grafana dashboard's queries (monitoring_test.sh)
  prometheus
  # content scanning over ICAP (icap_test.sh, docs/scanning.md): the c-icap server, its
  # virus_scan module, clamd, and sigtool (in clamav) for the test's own signatures
  c-icap libc-icap-mod-virus-scan clamav-daemon clamav
)

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark (wireshark-common) would ask whether non-root users may capture: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all ${#packages[@]} packages present"
fi
