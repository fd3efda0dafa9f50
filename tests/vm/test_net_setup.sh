#!/usr/bin/env bash
# mvm-init's network set-up in a real guest: lo is up with 127.0.0.1/8 and
# usable, eth0 is up, and a user's resolv.conf is left alone. (A guest
# without eth0 is covered by tests/unit/test_init_net.c.)
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

# Both interfaces, one default route; the program runs.
mvm_run -- /bin/sh -c 'ls /sys/class/net | tr "\n" " "; route -n | grep -c "^0.0.0.0" ; echo program-ran'
expect_rc "program runs with the network set up" 0
expect_eq "lo and eth0, one default route" "eth0 lo 1|program-ran|" "$(tr '\n' '|' <"$WORK/out")"

# A resolv.conf the user wrote is never replaced.
echo "nameserver 192.0.2.53" >"$ROOT/etc/resolv.conf"
mvm_run -- /bin/cat /etc/resolv.conf
expect_out "user's resolv.conf kept" "nameserver 192.0.2.53"
rm -f "$ROOT/etc/resolv.conf"

# Without debug, init says nothing.
mvm_run -- /bin/true
expect_rc "quiet boot" 0
expect_eq "no init messages without debug" "" "$(grep 'mvm-init' "$WORK/err")"

finish
