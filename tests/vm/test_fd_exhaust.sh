#!/usr/bin/env bash
# A guest that takes every fd its share may hold leaves a second VM of the
# same process working (tests/vm/fd_exhaust_vms.c). The process runs with
# RLIMIT_NOFILE 512:512, low enough that an unbounded share exhausts it in
# seconds, and equal soft and hard, so the library's raise cannot lift it.
# Two guests at once on both emulated CPUs met the harness's triple fault
# (CI, 199df5d: VM b reset before it printed anything); pinned, as the
# other multi-VM tests are.
PIN_IN_HARNESS="the fd exhaustion test"
. "$(dirname "$0")/guest.sh"
SHARED_A=$(mktemp -d /tmp/mvm-shared-a.XXXXXX)
SHARED_B=$(mktemp -d /tmp/mvm-shared-b.XXXXXX)
CTL=$(mktemp -d /tmp/mvm-ctl.XXXXXX)
WWW=$(mktemp -d /tmp/mvm-www.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$SHARED_A" "$SHARED_B" "$CTL" "$WWW"; [ -n "${HTTPD:-}" ] && kill "$HTTPD" 2>/dev/null' EXIT
echo host-page >"$WWW/index.html"
HPORT=$(free_port 18280)
busybox httpd -f -p "127.0.0.1:$HPORT" -h "$WWW" &
HTTPD=$!
sleep 0.5
(
	ulimit -n "${FD_EXHAUST_NOFILE:-512}" &&
		exec "${BUILD:-build}/tests/vm/fd_exhaust_vms" "$ROOT" "$SHARED_A" "$SHARED_B" "$CTL" "$HPORT"
)
