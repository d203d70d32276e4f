#!/usr/bin/env bash
# The Vagrant lab's definition: `vagrant validate` on the Vagrantfile (no VM is
# started, no box downloaded), for the libvirt provider (vagrant-libvirt) and
# provider-independently (VirtualBox itself is not in Debian, so its options
# are only checked when it is installed); the provisioning scripts parse; the
# VMs carry the namespace lab's addresses. The scripts the VMs run
# (scripts/lab_roles.sh) are the ones every namespace-lab test runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v vagrant >/dev/null || { echo "vagrant missing; run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Vagrant's state for this run only: nothing written into the source tree or root's home.
export VAGRANT_DOTFILE_PATH=$work/dot VAGRANT_HOME=$work/home VAGRANT_CHECKPOINT_DISABLE=1
cd "$SOURCE_DIR"

validate() {
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if ((rc != 0)) && grep -qiE "box .* could not be found|failed to initialize|Unable to resolve dependency" <<<"$out" &&
    ! grep -q "errors in the configuration" <<<"$out"; then
    echo "# SKIP $*: vagrant cannot start offline here (box or plugin missing), not a Vagrantfile error:"
    sed 's/^/#   /' <<<"$out"
    return 0
  fi
  if ((rc == 0)); then pass "$*"; else fail "$*"; sed 's/^/#   /' <<<"$out"; fi
}

validate vagrant validate --ignore-provider
if vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt; then
  VAGRANT_DEFAULT_PROVIDER=libvirt validate vagrant validate
else
  echo "# SKIP libvirt provider options: vagrant-libvirt is not installed"
fi
if command -v VBoxManage >/dev/null; then
  VAGRANT_DEFAULT_PROVIDER=virtualbox validate vagrant validate
else
  echo "# note: VirtualBox is not installed (not in Debian): its provider options are not validated"
fi

check "scripts/vagrant_provision.sh parses" bash -n scripts/vagrant_provision.sh
check "scripts/lab_roles.sh parses" bash -n scripts/lab_roles.sh
for addr in 10.10.1.1 10.10.2.1 10.10.2.2 10.10.1.2; do
  check "Vagrantfile: a VM on the lab address $addr" grep -q "\"$addr\"" Vagrantfile
done
check_eq "$(vagrant status --machine-readable 2>/dev/null | awk -F, '$3=="provider-name"{print $2}' | tr '\n' ' ')" \
  "server gateway client " "vagrant status: three machines, server first"
finish
