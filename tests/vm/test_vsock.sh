#!/usr/bin/env bash
# virtio-vsock through real guests (docs/vsock.md): transfers each way
# between a host program on the VM's Unix socket and a guest program on an
# AF_VSOCK port, with byte counts and checksums compared
# (tests/vm/nettool.c); a guest connection to a host port; a refused
# connection and a client that sends garbage leave the VM running.
# Guest -> host runs pinned to one CPU in the QEMU-TCG harness, as the
# network's transfer does (docs/net.md, Known problems).
. "$(dirname "$0")/guest.sh"

NETTOOL=${NETTOOL:-$BUILD/vm/nettool}
if [ ! -x "$NETTOOL" ]; then
	fail "nettool is built" "$NETTOOL is missing (make vm-tools)"
	finish
	exit
fi
cp "$NETTOOL" "$ROOT/bin/nettool"
BYTES=$((20 * 1024 * 1024))
SOCK=$WORK/v.sock
PIN=
[ "${MVM_IN_HARNESS:-0}" = 1 ] && PIN="taskset -c 0"

# Host -> guest.
mvm_start up --vsock "$SOCK" -- /bin/nettool serve-recv vsock:5000
VM=$!
"$NETTOOL" send "uds:$SOCK" 5000 "$BYTES" >"$WORK/send.out" 2>&1
SEND_RC=$?
wait "$VM"
RC=$?
expect_eq "20 MiB host to guest over vsock: checksums match" 0 "$SEND_RC" \
	"$(tr '\n' '|' <"$WORK/send.out") guest: $(head -c 400 "$WORK/up.err" | tr '\n' '|')"
expect_contains "host to guest: the guest's byte count" "$WORK/up.out" "got $BYTES "
expect_eq "receiving guest exits cleanly" 0 "$RC" "$(head -c 400 "$WORK/up.err" | tr '\n' '|')"
if [ ! -e "$SOCK" ]; then ok "the socket is removed when the VM ends"; else
	fail "the socket is removed when the VM ends" "$(ls -l "$SOCK")"
fi
grep -h "bytes in" "$WORK/send.out"

# Guest -> host; before it, a client that is refused (nothing listens on
# port 5999 yet... or ever) and one that sends a line that is no CONNECT.
MVM_PREFIX=$PIN mvm_start down --vsock "$SOCK" -- /bin/nettool serve-send vsock:5001 "$BYTES"
VM=$!
for _ in $(seq 1 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
refused=$(printf 'CONNECT 5999\n' | timeout 60 "$NETTOOL" uds-probe "$SOCK" 2>&1)
garbage=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 60 "$NETTOOL" uds-probe "$SOCK" 2>&1)
"$NETTOOL" recv "uds:$SOCK" 5001 >"$WORK/recv.out" 2>&1
RECV_RC=$?
wait "$VM"
RC=$?
expect_eq "a connection to a port nobody listens on is closed without a line" "closed after 0 bytes" "$refused"
expect_eq "a line that is not CONNECT is closed without a line" "closed after 0 bytes" "$garbage"
expect_eq "host receives from guest over vsock" 0 "$RECV_RC" "$(tr '\n' '|' <"$WORK/recv.out")"
expect_contains "20 MiB guest to host: byte count" "$WORK/recv.out" "got $BYTES "
expect_contains "20 MiB guest to host: checksums match" "$WORK/down.out" "matches"
expect_eq "sending guest exits cleanly" 0 "$RC" "$(head -c 400 "$WORK/down.err" | tr '\n' '|')"
grep -h "bytes in" "$WORK/recv.out"

# Guest -> host port 6000: the guest connects to CID 2, the host listens
# on PATH_6000.
"$NETTOOL" serve-recv "unix:${SOCK}_6000" >"$WORK/hostsrv.out" 2>&1 &
SRV=$!
for _ in $(seq 1 100); do [ -S "${SOCK}_6000" ] && break; sleep 0.1; done
MVM_PREFIX=$PIN mvm_run --vsock "$SOCK" -- /bin/nettool send vsock:2 6000 1000000
wait "$SRV"
expect_rc "the guest connects to a host port" 0
expect_contains "guest to host port: checksums match" "$WORK/out" "matches"
expect_contains "guest to host port: the host's byte count" "$WORK/hostsrv.out" "got 1000000 "

# The socket path is checked before the VM starts.
touch "$WORK/taken"
mvm_run --vsock "$WORK/taken" -- /bin/true
expect_rc "an existing path is refused" 125
expect_contains "... with a message naming it" "$WORK/err" "$WORK/taken"

finish
