#!/usr/bin/env bash
# Flood isolation: a guest flooding its network device with UDP datagrams
# to the gateway slows only itself; another VM of the same process still
# runs its file job within a bounded factor of its time alone
# (tests/vm/flood_vms.c).
. "$(dirname "$0")/guest.sh"
NETTOOL=${NETTOOL:-$BUILD/vm/nettool}
if [ ! -x "$NETTOOL" ]; then
	fail "nettool is built" "$NETTOOL is missing (make vm-tools)"
	finish
	exit
fi
cp "$NETTOOL" "$ROOT/bin/nettool"
SHARED=$(mktemp -d /tmp/mvm-flood.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$SHARED"' EXIT
# In the QEMU-TCG harness only, the whole process runs on one CPU: the
# harness's emulated SVM faults on a guest sending bulk data while mvm's
# device threads run on its second CPU (docs/net.md, "Known problems").
# B's time alone is measured pinned the same way.
PIN=
if [ "${MVM_IN_HARNESS:-0}" = 1 ]; then
	PIN="taskset -c 0"
	echo "note: the network flood runs pinned to one CPU in the QEMU-TCG harness (docs/net.md, Known problems)"
fi
$PIN "${BUILD:-build}/tests/vm/flood_vms" "$ROOT" "$SHARED" net
