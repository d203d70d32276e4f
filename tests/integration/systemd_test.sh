#!/usr/bin/env bash
# The Debian package under a real systemd: boots a container (systemd-nspawn
# --boot, systemd as PID 1, private network) over a copy-on-write overlay of
# this machine's root, installs ./tlsgate_*.deb in it and runs
# systemd_inside.sh there through nsenter (the lab topology, the service, the
# watchdog, upgrade and purge: see that script). Nothing of it reaches this
# machine: the overlay's upper layer is a tmpfs in a private mount namespace,
# and the container has its own network namespace. The container and the
# overlay are removed on every exit. Skipped (exit 77) only where
# systemd-nspawn cannot boot a container here.
set -euo pipefail

[[ $EUID -eq 0 ]] || { echo "systemd_test needs root" >&2; exit 1; }
SOURCE_DIR=${TLSGATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TLSGATE_BIN=${TLSGATE_BIN:-$SOURCE_DIR/build/tlsgate}
[[ -x $TLSGATE_BIN ]] || { echo "no tlsgate binary at $TLSGATE_BIN (set TLSGATE_BIN)" >&2; exit 1; }
for tool in systemd-nspawn nsenter unshare; do
  command -v "$tool" >/dev/null || { echo "systemd_test: $tool missing; run scripts/setup.sh" >&2; exit 1; }
done

# The mounts live in a private mount namespace: they go with the last process in it.
if [[ ${SYSTEMD_TEST_UNSHARED:-} != 1 ]]; then
  SYSTEMD_TEST_UNSHARED=1 TLSGATE_BIN=$TLSGATE_BIN TLSGATE_SOURCE_DIR=$SOURCE_DIR exec unshare --mount --propagation private -- bash "$0" "$@"
fi

out_dir=${TEST_OUT_DIR:-$(dirname "$TLSGATE_BIN")/test-output/systemd}
mkdir -p "$out_dir"
work=$(mktemp -d /var/tmp/tlsgate-systest.XXXXXX)
merged=$work/merged nspawn_pid="" leader=""
cleanup() {
  local rc=$?
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # systemd in the container shuts down on SIGRTMIN+4 (poweroff); kill it if it does not.
    [[ -n $leader ]] && kill -s RTMIN+4 "$leader" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  [[ -f $work/console.log ]] && cp "$work/console.log" "$out_dir/console.log"
  umount "$merged" 2>/dev/null || umount -l "$merged" 2>/dev/null || true
  umount "$work/layer" 2>/dev/null || umount -l "$work/layer" 2>/dev/null || true
  rm -rf "$work"
  return $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP PIPE
skip() { echo "SKIP: systemd_test: $1" >&2; exit 77; }

# The packages first (the same binary, two versions: the second tests the upgrade).
version=$(sed -n 's/^project(tlsgate VERSION \([0-9.]*\).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
build_dir=$(dirname "$TLSGATE_BIN")
mkdir -p "$work/debs"
bash "$SOURCE_DIR/scripts/package.sh" --build-dir "$build_dir" --out "$work/debs" >/dev/null
bash "$SOURCE_DIR/scripts/package.sh" --build-dir "$build_dir" --out "$work/debs" --version "$version+systest1" >/dev/null

# The overlay: lower layer this machine's root, upper layer a tmpfs (overlayfs wants it off the lower fs).
mkdir -p "$work/layer" "$merged"
mount -t tmpfs -o size=2g tlsgate-systest "$work/layer" || skip "cannot mount a tmpfs"
mkdir -p "$work/layer/upper" "$work/layer/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/layer/upper,workdir=$work/layer/work" "$merged" ||
  skip "cannot mount an overlay of / (the root file system may itself be an overlay)"
if dpkg-query --admindir="$merged/var/lib/dpkg" -W -f='${Status}' tlsgate 2>/dev/null | grep -q installed; then
  echo "systemd_test: tlsgate is installed on this machine; the container would inherit it" >&2
  exit 1
fi
# The host's enabled services would start in the container too: only what the test needs boots.
rm -f "$merged"/etc/systemd/system/multi-user.target.wants/*.service
# The container's /tmp is a fresh tmpfs: its files go to /var/tmp.
inside=$merged/var/tmp/systest
mkdir -p "$inside/src/tests/integration"
cp -r "$SOURCE_DIR/scripts" "$inside/src/"
cp "$SOURCE_DIR/tests/integration/lib.sh" "$SOURCE_DIR/tests/integration/systemd_inside.sh" "$inside/src/tests/integration/"
cp "$work"/debs/*.deb "$inside/"

systemd-nspawn -D "$merged" --boot --register=no --keep-unit --private-network --console=passive \
  --machine="tgsys$$" >"$work/console.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 200); do
  # nspawn's child that became the container's PID 1 (an intermediate child exits early).
  leader=$(ps -o pid=,comm= --ppid "$nspawn_pid" 2>/dev/null | awk '$2 == "systemd" { print $1; exit }' || true)
  [[ -n $leader ]] && break
  kill -0 "$nspawn_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $leader ]] || { cat "$work/console.log" >&2; skip "systemd-nspawn --boot did not start a container here"; }
in_container() { nsenter -t "$leader" -m -u -i -n -p -- "$@"; }
state=""
for _ in $(seq 1 300); do
  state=$(in_container systemctl is-system-running 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  kill -0 "$nspawn_pid" 2>/dev/null || break
  sleep 0.1
done
[[ $state == running || $state == degraded ]] ||
  { cat "$work/console.log" >&2; skip "the container's systemd did not finish booting (state: ${state:-none})"; }
echo "# container booted (systemd as PID 1, state $state), leader pid $leader"

rc=0
in_container env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  DEB_OLD="/var/tmp/systest/tlsgate_${version}_$(dpkg --print-architecture).deb" \
  DEB_NEW="/var/tmp/systest/tlsgate_${version}+systest1_$(dpkg --print-architecture).deb" \
  bash /var/tmp/systest/src/tests/integration/systemd_inside.sh /var/tmp/systest/out || rc=$?
cp -r "$inside/out/." "$out_dir/" 2>/dev/null || true
# The inside script left the score it measured; the walk-through quotes it.
if [[ -f $inside/out/security-score ]]; then
  score=$(cat "$inside/out/security-score")
  if grep -qF "rates the running unit **$score " "$SOURCE_DIR/docs/deployment.md"; then
    echo "ok   - docs/deployment.md quotes the measured systemd-analyze security score $score"
  else
    echo "FAIL - docs/deployment.md quotes the measured systemd-analyze security score $score"
    rc=1
  fi
fi
exit $rc
