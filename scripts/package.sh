#!/usr/bin/env bash
# Builds the Debian package tlsgate_<version>_<arch>.deb from a staged tree
# (dpkg-deb; no debian/ directory needed).
#
#   scripts/package.sh [--build-dir DIR] [--out DIR]
#
#   --build-dir DIR   CMake build directory whose tlsgate binary is packaged (built if
#                     out of date; configured Release if new; default: build-pkg)
#   --out DIR         where the .deb goes (default: the current directory)
#   --version V       package version (default: project(VERSION) in CMakeLists.txt; the
#                     system test builds a higher one to test upgrades)
#
# Contents: /usr/sbin/tlsgate and /usr/sbin/tlsgate-rules (CMake's install
# rules), the unit in /lib/systemd/system, /etc/tlsgate/{tlsgate,policy}.json,
# /etc/default/tlsgate, logrotate and sysctl drop-ins (all conffiles), docs and
# examples in /usr/share/doc/tlsgate. The maintainer scripts live in
# deploy/debian/. Depends is computed from the binary (dpkg-shlibdeps).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build_dir="" out_dir=$PWD version=""
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out_dir=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps cmake; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool missing; run scripts/setup.sh" >&2; exit 1; }
done

# A new build directory is configured Release, without tests and benchmarks.
build_dir=${build_dir:-$src/build-pkg}
[[ -f $build_dir/CMakeCache.txt ]] ||
  cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTLSGATE_TESTS=OFF -DTLSGATE_BENCH=OFF >/dev/null
nice cmake --build "$build_dir" --target tlsgate -j "$(nproc)" >/dev/null 2>"$build_dir/package-build.log" ||
  { cat "$build_dir/package-build.log" >&2; exit 1; }

version=${version:-$(sed -n 's/^project(tlsgate VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")}
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "package.sh: no valid version (CMakeLists.txt project() or --version)" >&2; exit 1; }
arch=$(dpkg --print-architecture)
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
DESTDIR=$root cmake --install "$build_dir" --prefix /usr --strip >/dev/null

inst() { install -D -m "$1" "$src/$2" "$root/$3"; }
inst 644 deploy/tlsgate.service lib/systemd/system/tlsgate.service
inst 644 deploy/tlsgate.json etc/tlsgate/tlsgate.json
inst 644 deploy/policy.example.json etc/tlsgate/policy.json
inst 644 deploy/tlsgate.default etc/default/tlsgate
inst 644 deploy/tlsgate.logrotate etc/logrotate.d/tlsgate
inst 644 deploy/sysctl-tlsgate.conf etc/sysctl.d/90-tlsgate.conf
doc=usr/share/doc/tlsgate
inst 644 README.md "$doc/README.md"
for f in "$src"/docs/*.md "$src"/docs/*.json; do inst 644 "docs/$(basename "$f")" "$doc/$(basename "$f")"; done
inst 644 deploy/nftables.conf "$doc/examples/nftables.conf"
inst 644 deploy/policy.example.json "$doc/examples/policy.example.json"
shopt -s nullglob
for f in "$src"/deploy/prometheus/* "$src"/deploy/grafana/*; do
  sub=$(basename "$(dirname "$f")")
  inst 644 "deploy/$sub/$(basename "$f")" "$doc/examples/$sub/$(basename "$f")"
done
shopt -u nullglob

# Depends: the shared libraries the binary links, as dpkg-shlibdeps maps them to packages.
mkdir -p "$stage/shlibs/debian"
printf 'Source: tlsgate\n\nPackage: tlsgate\nArchitecture: any\n' >"$stage/shlibs/debian/control"
shlibs=$(cd "$stage/shlibs" && dpkg-shlibdeps -O -e"$root/usr/sbin/tlsgate" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "package.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: tlsgate
Version: $version
Architecture: $arch
Maintainer: tlsgate developers <tlsgate@localhost>
Section: net
Priority: optional
Installed-Size: $installed_kb
Depends: $shlibs, nftables, iproute2, passwd
Recommends: logrotate, jq
Suggests: iptables
Description: transparent TLS interception gateway for routers
 tlsgate runs on a router and receives the LAN's TCP connections to TLS ports
 (nftables/iptables REDIRECT or TPROXY). Per hostname it intercepts (forged
 certificate from its own CA, HTTP/1 and HTTP/2 observed), tunnels untouched
 or blocks, and writes one JSON line per flow and per HTTP exchange.
EOF
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 755 "$src/deploy/debian/$script" "$root/DEBIAN/$script"
done

deb=$out_dir/tlsgate_${version}_${arch}.deb
dpkg-deb --root-owner-group --build -Zxz "$root" "$deb" >/dev/null
echo "$deb"
