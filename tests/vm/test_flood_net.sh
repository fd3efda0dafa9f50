#!/usr/bin/env bash
# Flood isolation: a guest flooding its network device with UDP datagrams
# to the gateway slows only itself; another VM of the same process still
# runs its file job within a bounded factor of its time alone
# (tests/vm/flood_vms.c).
# The harness's emulated SVM faults on a guest sending bulk data.
PIN_IN_HARNESS="the network flood"
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
"${BUILD:-build}/tests/vm/flood_vms" "$ROOT" "$SHARED" net
