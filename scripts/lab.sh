#!/usr/bin/env bash
# The namespace lab: client ─ gateway ─ server, joined by veth pairs.
#
#   scripts/lab.sh up      build a fresh lab (replaces one with the same LAB_ID)
#   scripts/lab.sh down    remove it, also after a failed or partial `up`
#   scripts/lab.sh env     print the lab's variables (source-able)
#
# LAB_ID (default "lab") names everything the lab creates, so several labs
# coexist: namespaces tg-$LAB_ID-{client,gw,server}, state in
# /tmp/tlsgate-lab-$LAB_ID (PKI, nginx, content, env). LAB_LARGE_MB sets the
# large file's size (default 256). Needs root. The root namespace's routes and
# firewall are never touched; every address lives inside the namespaces.
#
# Addresses (the same in every lab, each lab has its own namespaces):
#   client   10.10.1.2 10.10.1.3   fd10:1::2 fd10:1::3    (two LAN hosts per family)
#   gateway  lan0 10.10.1.1 fd10:1::1 ─ wan0 10.10.2.1 fd10:2::1
#   server   10.10.2.2 fd10:2::2          www.example.test, api.example.test, example.test
#            10.10.2.10 fd10:2::10        expired.example.test (expired certificate)
#            10.10.2.11 fd10:2::11        self-signed.example.test
#            10.10.2.12 fd10:2::12        wrong-name.example.test (certificate for other.example.test)
# nginx in server: HTTPS on 443 and 8443 (HTTP/1.1 and h2 by ALPN), HTTP on 80,
# h2c (prior knowledge) on 8080; /small (1 KiB), /large (LAB_LARGE_MB MiB); /ws on
# HTTPS proxies WebSocket upgrades to 127.0.0.1:9001 in the server namespace.
set -euo pipefail

LAB_ID=${LAB_ID:-lab}
[[ $LAB_ID =~ ^[A-Za-z0-9_-]{1,12}$ ]] || { echo "lab.sh: LAB_ID must be 1-12 of [A-Za-z0-9_-]" >&2; exit 2; }
NS_CLIENT=tg-$LAB_ID-client
NS_GW=tg-$LAB_ID-gw
NS_SERVER=tg-$LAB_ID-server
LAB_DIR=/tmp/tlsgate-lab-$LAB_ID
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
LARGE_MB=${LAB_LARGE_MB:-256}

env_vars() {
  cat <<EOF
LAB_ID=$LAB_ID
LAB_DIR=$LAB_DIR
NS_CLIENT=$NS_CLIENT
NS_GW=$NS_GW
NS_SERVER=$NS_SERVER
GW_LAN_IF=lan0
GW_WAN_IF=wan0
GW_LAN_IP4=10.10.1.1
GW_LAN_IP6=fd10:1::1
GW_WAN_IP4=10.10.2.1
GW_WAN_IP6=fd10:2::1
CLIENT_IP4=10.10.1.2
CLIENT_IP4_B=10.10.1.3
CLIENT_IP6=fd10:1::2
CLIENT_IP6_B=fd10:1::3
SERVER_IP4=10.10.2.2
SERVER_IP6=fd10:2::2
EXPIRED_IP4=10.10.2.10
SELF_SIGNED_IP4=10.10.2.11
WRONG_NAME_IP4=10.10.2.12
PUBLIC_CA_CERT=$LAB_DIR/pki/public-ca.crt
SMALL_FILE=$LAB_DIR/www/small
SMALL_SIZE=1024
LARGE_FILE=$LAB_DIR/www/large
EOF
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

down() {
  local ns
  for ns in "$NS_CLIENT" "$NS_GW" "$NS_SERVER"; do
    if ip netns list | grep -qw "$ns"; then
      # Everything running in the lab's namespaces was started for this lab.
      local pids
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [[ -n $pids ]] && kill $pids 2>/dev/null || true
      sleep 0.2
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [[ -n $pids ]] && kill -9 $pids 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$ns"
  done
  rm -rf "$LAB_DIR"
}

make_namespaces() {
  local ns
  for ns in "$NS_CLIENT" "$NS_GW" "$NS_SERVER"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  # The veth pairs are created inside the namespaces: nothing appears in the root namespace.
  ip -n "$NS_CLIENT" link add eth0 type veth peer name lan0 netns "$NS_GW"
  ip -n "$NS_SERVER" link add eth0 type veth peer name wan0 netns "$NS_GW"
  # Each machine's addresses and routes: the same script provisions the Vagrant VMs.
  in_ns "$NS_GW" bash "$SCRIPTS/lab_roles.sh" net gateway lan0 wan0
  in_ns "$NS_CLIENT" bash "$SCRIPTS/lab_roles.sh" net client eth0 --routes default
  in_ns "$NS_SERVER" bash "$SCRIPTS/lab_roles.sh" net server eth0 --routes default
}

# Name resolution inside the lab: `ip netns exec` bind-mounts /etc/netns/NS/hosts over /etc/hosts.
write_hosts() {
  local ns hosts
  hosts=$'127.0.0.1 localhost\n::1 localhost\n'
  hosts+=$(bash "$SCRIPTS/lab_roles.sh" hosts)$'\n'
  for ns in "$NS_CLIENT" "$NS_GW" "$NS_SERVER"; do
    mkdir -p "/etc/netns/$ns"
    printf '%s' "$hosts" >"/etc/netns/$ns/hosts"
  done
}

up() {
  for tool in ip nginx openssl curl; do
    command -v "$tool" >/dev/null || { echo "lab.sh: $tool missing; run scripts/setup.sh" >&2; exit 1; }
  done
  down
  trap 'echo "lab.sh: up failed; removing the partial lab" >&2; down' ERR
  # The server's files (PKI, content, nginx.conf): the same script provisions the server VM.
  bash "$SCRIPTS/lab_roles.sh" server "$LAB_DIR" "$LARGE_MB"
  make_namespaces
  write_hosts
  in_ns "$NS_SERVER" nginx -c "$LAB_DIR/nginx/nginx.conf"
  { env_vars; echo "LARGE_SHA256=$(cat "$LAB_DIR/www/large.sha256")"; } >"$LAB_DIR/env"
  trap - ERR
  echo "lab.sh: lab '$LAB_ID' is up (variables: $LAB_DIR/env)"
}

case "${1:-}" in
  up) up ;;
  down) down; echo "lab.sh: lab '$LAB_ID' removed" ;;
  env) cat "$LAB_DIR/env" ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
