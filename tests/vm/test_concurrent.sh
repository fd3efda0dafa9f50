#!/usr/bin/env bash
# Two VMs at once from one process through the C API.
. "$(dirname "$0")/guest.sh"
"${BUILD:-build}/tests/vm/concurrent_vms" "$ROOT"
