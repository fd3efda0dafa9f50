#!/usr/bin/env bash
# Two VMs at once from one process through the C API.
. "$(dirname "$0")/guest.sh"
SHARED=$(mktemp -d /tmp/mvm-shared.XXXXXX)
"${BUILD:-build}/tests/vm/concurrent_vms" "$ROOT" "$SHARED"
status=$?
rm -rf "$SHARED"
exit $status
