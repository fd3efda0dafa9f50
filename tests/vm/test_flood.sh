#!/usr/bin/env bash
# Flood isolation: a guest flooding its console (stdout and stderr) and its
# file system slows only itself; another VM of the same process still runs
# its file job within a bounded factor of its time alone
# (tests/vm/flood_vms.c; test_flood_net.sh floods the network).
# Unpinned, this test met the harness's triple fault in 3 of 4 runs, and
# twice the whole emulated machine stopped.
PIN_IN_HARNESS="the console and fs flood"
. "$(dirname "$0")/guest.sh"
SHARED=$(mktemp -d /tmp/mvm-flood.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$SHARED"' EXIT
"${BUILD:-build}/tests/vm/flood_vms" "$ROOT" "$SHARED" console-fs
