#!/usr/bin/env bash
# mvm-init's network set-up in a real guest: lo is up with 127.0.0.1/8 and
# usable; a VM without a virtio-net device (no eth0) still runs its
# program, and init only notes the missing eth0 at debug level.
. "$(dirname "$0")/guest.sh"

mvm_run -- /bin/sh -c 'cat /sys/class/net/lo/flags; ifconfig lo'
expect_rc "guest with lo set-up runs" 0
flags=$(head -1 "$WORK/out")
if [ -n "$flags" ] && [ $((flags & 1)) -eq 1 ]; then
	pass "lo has IFF_UP"
else
	fail "lo has IFF_UP" "flags [$flags], stderr: $(head -c 300 "$WORK/err" | tr '\n' '|')"
fi
expect_contains "ifconfig lo shows 127.0.0.1" "$WORK/out" "inet addr:127.0.0.1"
expect_contains "ifconfig lo shows the /8 mask" "$WORK/out" "Mask:255.0.0.0"
expect_contains "ifconfig lo shows UP" "$WORK/out" "UP LOOPBACK RUNNING"

# lo carries traffic, not just flags: ICMP echo to itself.
mvm_run -- /bin/ping -c 1 -W 5 127.0.0.1
expect_rc "ping 127.0.0.1 inside the guest" 0
expect_contains "ping got its reply" "$WORK/out" "1 packets received"

# No virtio-net device yet: no eth0, no default route, and no resolv.conf
# written for a network the guest does not have; the program still runs.
rm -f "$ROOT/etc/resolv.conf"
mvm_run --log-level debug -- /bin/sh -c 'ls /sys/class/net; route -n | grep -c "^0.0.0.0" ; echo program-ran'
expect_rc "program runs without eth0" 0
expect_eq "only lo exists" "lo|0|program-ran|" "$(tr '\n' '|' <"$WORK/out")"
expect_contains "missing eth0 noted at debug" "$WORK/err" "eth0: no such interface"
if grep -q "mvm-init: .*eth0.*\(failed\|cannot\)" "$WORK/err"; then
	fail "missing eth0 is not an error" "$(grep eth0 "$WORK/err" | head -3 | tr '\n' '|')"
else
	pass "missing eth0 is not an error"
fi
if [ -e "$ROOT/etc/resolv.conf" ]; then
	fail "no resolv.conf without eth0" "$(head -c 200 "$ROOT/etc/resolv.conf")"
else
	pass "no resolv.conf without eth0"
fi

# Without debug, the missing eth0 is silent.
mvm_run -- /bin/true
expect_rc "quiet boot without eth0" 0
expect_eq "no init messages without debug" "" "$(grep 'mvm-init' "$WORK/err")"

finish
