#!/usr/bin/env bash
# Provisions one VM of the Vagrant lab (Vagrantfile) with the namespace lab's
# per-machine scripts (scripts/lab_roles.sh), so the VM lab and the namespace
# lab are built the same way. Runs as root inside the VM, source in /vagrant.
#
#   vagrant_provision.sh server    lab addresses, PKI, content, nginx (a unit: tlsgate-lab-nginx)
#   vagrant_provision.sh gateway   setup.sh, lab addresses, the tlsgate package built from /vagrant,
#                                  installed and started; its CA served at http://10.10.1.1/tlsgate-ca.crt
#   vagrant_provision.sh client    lab addresses, /etc/hosts, trusts the lab's public CA and the gateway CA
#
# Idempotent: `vagrant provision` runs it again.
set -euo pipefail

role=${1:-}
src=/vagrant
roles() { bash "$src/scripts/lab_roles.sh" "$@"; }
source "$src/scripts/lib/lab.sh"  # wait_until
lab=/var/lib/tlsgate-lab
export DEBIAN_FRONTEND=noninteractive

# The lab's names in /etc/hosts, between markers so a second run replaces them.
write_hosts() {
  sed -i '/^# tlsgate-lab begin/,/^# tlsgate-lab end/d' /etc/hosts
  { echo "# tlsgate-lab begin"; roles hosts; echo "# tlsgate-lab end"; } >>/etc/hosts
}

# Bounded wait for a file another VM serves (the VMs come up one after another).
fetch() {
  local url=$1 out=$2
  wait_until --every 5 300 "$url (is that VM up and provisioned?)" curl -fsS --max-time 5 -o "$out" "$url"
}

iface_of() {
  local ifname
  ifname=$(roles ifname "$1")
  [[ -n $ifname ]] || { echo "vagrant_provision.sh: no interface holds $1 (Vagrant's private_network)" >&2; exit 1; }
  echo "$ifname"
}

server() {
  apt-get install -y -q --no-install-recommends nginx python3 python3-cryptography curl >/dev/null
  roles net server "$(iface_of 10.10.2.2)" --routes subnet
  write_hosts
  roles server "$lab" "${LAB_LARGE_MB:-16}"
  cp "$lab/pki/public-ca.crt" "$lab/www/public-ca.crt"  # for the other VMs to trust
  # The distribution's nginx would hold port 80 on every address.
  systemctl disable --now nginx >/dev/null 2>&1 || true
  cat >/etc/systemd/system/tlsgate-lab-nginx.service <<EOF
[Unit]
Description=nginx of the tlsgate lab (scripts/lab_roles.sh server)
After=network-online.target
Wants=network-online.target
[Service]
Type=forking
PIDFile=$lab/nginx/nginx.pid
ExecStart=/usr/sbin/nginx -c $lab/nginx/nginx.conf
ExecReload=/usr/sbin/nginx -c $lab/nginx/nginx.conf -s reload
[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable tlsgate-lab-nginx.service >/dev/null 2>&1
  systemctl restart tlsgate-lab-nginx.service
}

gateway() {
  bash "$src/scripts/setup.sh"
  local lan wan
  lan=$(iface_of 10.10.1.1)
  wan=$(iface_of 10.10.2.1)
  roles net gateway "$lan" "$wan"
  write_hosts
  # tlsgate verifies the upstream certificates: trust the lab's "public" CA.
  fetch http://10.10.2.2/public-ca.crt /tmp/lab-public-ca.crt
  roles trust /tmp/lab-public-ca.crt

  local deb
  deb=$(bash "$src/scripts/package.sh" --build-dir /root/tlsgate-build --out /root)
  apt-get install -y -q "$deb" >/dev/null
  sed -i "s/^TLSGATE_LAN_IF=.*/TLSGATE_LAN_IF=$lan/" /etc/default/tlsgate
  # Keep tlsgate's table across `systemctl reload nftables` (docs/deployment.md).
  grep -q '^include "/etc/nftables.d/\*.nft"' /etc/nftables.conf ||
    echo 'include "/etc/nftables.d/*.nft"' >>/etc/nftables.conf
  systemctl enable --now nftables.service >/dev/null
  sysctl -q --system
  systemctl enable tlsgate.service >/dev/null 2>&1
  systemctl restart tlsgate.service
  wait_until --every 0.2 10 "tlsgate's CA" test -f /var/lib/tlsgate/ca.crt
  # The router's own web server (exempt from interception) hands the CA to the LAN.
  tlsgate ca export >/var/www/html/tlsgate-ca.crt
  chmod 644 /var/www/html/tlsgate-ca.crt
}

client() {
  apt-get install -y -q --no-install-recommends curl ca-certificates openssl jq >/dev/null
  roles net client "$(iface_of 10.10.1.2)" --routes subnet
  write_hosts
  fetch http://10.10.1.1/tlsgate-ca.crt /tmp/tlsgate-ca.crt
  fetch http://10.10.2.2/public-ca.crt /tmp/lab-public-ca.crt
  roles trust /tmp/tlsgate-ca.crt /tmp/lab-public-ca.crt
  curl -fsS -o /dev/null https://www.example.test/small && echo "client: https://www.example.test/small through the gateway: OK"
}

case "$role" in
  server|gateway|client) "$role" ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac
