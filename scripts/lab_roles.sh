#!/usr/bin/env bash
# One machine's part of the lab (client, gateway or server), for a network
# namespace (scripts/lab.sh runs these inside its namespaces) or a VM (the
# Vagrantfile provisions with them). Needs root.
#
#   lab_roles.sh net client IF [--routes default|subnet]   addresses of the two LAN hosts, route via the gateway
#   lab_roles.sh net gateway LAN_IF WAN_IF                 router addresses, forwarding on
#   lab_roles.sh net server IF [--routes default|subnet]   server addresses (good and bad hosts), route back
#   lab_roles.sh hosts                                     print the lab's /etc/hosts lines
#   lab_roles.sh server DIR [LARGE_MB]                     PKI (DIR/pki), content (DIR/www), DIR/nginx/nginx.conf
#   lab_roles.sh trust CERT...                             add CA certificates to the system trust store
#   lab_roles.sh ifname ADDR                               the interface that holds ADDR
#
# --routes default (namespaces) makes the gateway the default route; subnet
# (VMs, whose default route is the provider's management network) routes only
# the other lab subnet through it. Addresses are those of scripts/lab.sh.
# Everything is idempotent (`ip addr replace`), so a VM can be provisioned again.
set -euo pipefail

# The comment block above is the help.
usage() { awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; }

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BAD_HOSTS=(expired self-signed wrong-name)
BAD_SUFFIX=(10 11 12)

v4() { ip addr replace "$1" dev "$2"; }
v6() { ip addr replace "$1" dev "$2" nodad; }
route_via() {
  local mode=$1 v4_net=$2 v4_gw=$3 v6_net=$4 v6_gw=$5
  if [[ $mode == default ]]; then
    ip -4 route replace default via "$v4_gw"
    ip -6 route replace default via "$v6_gw"
  else
    ip -4 route replace "$v4_net" via "$v4_gw"
    ip -6 route replace "$v6_net" via "$v6_gw"
  fi
}

net_role() {
  local role=$1 if=$2 routes=default
  shift 2
  if [[ $role == gateway ]]; then
    local wan=${1:?net gateway LAN_IF WAN_IF}
    sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    v4 10.10.1.1/24 "$if"; v6 fd10:1::1/64 "$if"
    v4 10.10.2.1/24 "$wan"; v6 fd10:2::1/64 "$wan"
    ip link set "$if" up; ip link set "$wan" up
    return
  fi
  [[ ${1:-} == --routes ]] && routes=${2:?--routes default|subnet}
  [[ $routes =~ ^(default|subnet)$ ]] || { echo "lab_roles.sh: --routes must be default or subnet" >&2; exit 2; }
  if [[ $role == client ]]; then
    v4 10.10.1.2/24 "$if"; v4 10.10.1.3/24 "$if"
    v6 fd10:1::2/64 "$if"; v6 fd10:1::3/64 "$if"
    ip link set "$if" up
    route_via "$routes" 10.10.2.0/24 10.10.1.1 fd10:2::/64 fd10:1::1
  elif [[ $role == server ]]; then
    v4 10.10.2.2/24 "$if"; v6 fd10:2::2/64 "$if"
    local s
    for s in "${BAD_SUFFIX[@]}"; do v4 "10.10.2.$s/24" "$if"; v6 "fd10:2::$s/64" "$if"; done
    ip link set "$if" up
    route_via "$routes" 10.10.1.0/24 10.10.2.1 fd10:1::/64 fd10:2::1
  else
    echo "lab_roles.sh: net client|gateway|server" >&2; exit 2
  fi
}

hosts_lines() {
  local i
  echo "10.10.2.2 www.example.test api.example.test example.test"
  echo "fd10:2::2 www.example.test api.example.test example.test"
  for i in "${!BAD_HOSTS[@]}"; do
    echo "10.10.2.${BAD_SUFFIX[$i]} ${BAD_HOSTS[$i]}.example.test"
    echo "fd10:2::${BAD_SUFFIX[$i]} ${BAD_HOSTS[$i]}.example.test"
  done
}

make_content() {
  local dir=$1 large_mb=$2
  mkdir -p "$dir/www"
  head -c 1024 /dev/urandom >"$dir/www/small"
  head -c $((large_mb * 1024 * 1024)) /dev/urandom >"$dir/www/large"
  sha256sum "$dir/www/large" | cut -d' ' -f1 >"$dir/www/large.sha256"
}

# An upload sink: nginx keeps each request body to /upload in DIR/nginx/uploads (one file per
# request, as received), and answers through its port-80 /echo.
upload_location() {
  local dir=$1
  cat <<EOF
    location /upload {
      client_max_body_size 64m;
      client_body_in_file_only on;
      client_body_temp_path $dir/nginx/uploads;
      proxy_pass_request_body off;  # kept here; /echo answers without it
      proxy_set_header Content-Length "";
      proxy_pass http://10.10.2.2:80/echo;
    }
EOF
}

# One server block per certificate; good hosts share 10.10.2.2 and are told apart by SNI.
tls_server_block() {
  local dir=$1 listen4=$2 listen6=$3 names=$4 stem=$5 port
  for port in 443 8443; do
    cat <<EOF
  server {
    listen $listen4:$port ssl http2;
    listen [$listen6]:$port ssl http2;
    server_name $names;
    ssl_certificate $dir/pki/$stem.crt;
    ssl_certificate_key $dir/pki/$stem.key;
    root $dir/www;
$(upload_location "$dir")
    location /ws {  # WebSocket: tests bring their own echo server on 127.0.0.1:9001
      proxy_pass http://127.0.0.1:9001;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection upgrade;
    }
  }
EOF
  done
}

write_nginx_conf() {
  local dir=$1 conf=$1/nginx/nginx.conf i
  mkdir -p "$dir/nginx"
  {
    cat <<EOF
daemon on;
user root;
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log $dir/nginx/access.log;
  default_type application/octet-stream;
  types { text/html html; application/json json; }
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  keepalive_requests 100000;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:lab:10m;
  server {
    listen 10.10.2.2:80 default_server;
    listen [fd10:2::2]:80 default_server;
    root $dir/www;
    location = /echo { return 200 "\$request_method \$request_uri\n"; }
$(upload_location "$dir")
  }
  server {
    listen 10.10.2.2:8080 http2;
    listen [fd10:2::2]:8080 http2;
    root $dir/www;
  }
EOF
    tls_server_block "$dir" 10.10.2.2 fd10:2::2 "www.example.test example.test" www
    tls_server_block "$dir" 10.10.2.2 fd10:2::2 "api.example.test" api
    for i in "${!BAD_HOSTS[@]}"; do
      tls_server_block "$dir" "10.10.2.${BAD_SUFFIX[$i]}" "fd10:2::${BAD_SUFFIX[$i]}" "${BAD_HOSTS[$i]}.example.test" \
        "${BAD_HOSTS[$i]}"
    done
    echo "}"
  } >"$conf"
}

# Files only: the caller starts nginx (in the server namespace, or as a unit in a VM).
server_role() {
  local dir=${1:?server DIR [LARGE_MB]} large_mb=${2:-256}
  mkdir -p "$dir"
  chmod 755 "$dir"
  /usr/bin/python3 "$SCRIPTS/lab_pki.py" "$dir/pki"
  make_content "$dir" "$large_mb"
  write_nginx_conf "$dir"
}

trust() {
  local cert
  for cert in "$@"; do
    install -m 644 "$cert" "/usr/local/share/ca-certificates/lab-$(basename "${cert%.*}").crt"
  done
  update-ca-certificates >/dev/null
}

ifname() { ip -o addr show to "${1:?ifname ADDR}" | awk '{print $2; exit}'; }

# Sourced by lab.sh for its functions; run for one role.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case "${1:-}" in
    net) shift; net_role "$@" ;;
    hosts) hosts_lines ;;
    server) shift; server_role "$@" ;;
    trust) shift; trust "$@" ;;
    ifname) shift; ifname "$@" ;;
    *) usage; exit 2 ;;
  esac
fi
