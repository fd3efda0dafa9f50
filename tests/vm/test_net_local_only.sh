#!/usr/bin/env bash
# local-only against a non-loopback address of the test machine. The test
# makes that address itself: it runs in a network namespace of its own
# (unshare), with a dummy interface holding 198.51.100.1 (TEST-NET-2, never
# routed), so no traffic can leave the machine.
#   local-only true (default): the guest reaches the host's loopback through
#     the gateway, and not 198.51.100.1.
#   local-only false: the guest reaches 198.51.100.1 like any host program,
#     and its DNS queries to 10.0.2.3 reach the resolver of the host's
#     resolv.conf (bound over /etc/resolv.conf in the test's own mount
#     namespace: 198.51.100.1 again), with the network thread's seccomp
#     list in force (libslirp reads that file on it).
set -u
if [ -z "${MVM_TEST_NETNS:-}" ]; then
	# Root (the QEMU harness) can make a plain network namespace; anyone
	# else needs a user namespace to own one.
	if [ "$(id -u)" -eq 0 ]; then ns=(unshare --net --mount); else ns=(unshare --user --map-root-user --net --mount); fi
	MVM_TEST_NETNS=1 "${ns[@]}" bash "$0" "$@"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "FAIL local-only namespace: '${ns[*]} bash $0' exited with status $rc (network namespaces unavailable?)"
	fi
	exit "$rc"
fi
. "$(dirname "$0")/guest.sh"

OTHER=198.51.100.1
WWW=$(mktemp -d /tmp/mvm-www.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$WWW"; kill ${HTTPD_LO:-} ${HTTPD_OTHER:-} 2>/dev/null' EXIT

if ip link set lo up && ip link add mvmtest0 type dummy && ip addr add "$OTHER/24" dev mvmtest0 &&
	ip link set mvmtest0 up; then
	ok "dummy interface with $OTHER in a private namespace"
else
	fail "dummy interface with $OTHER in a private namespace" "ip failed (CONFIG_DUMMY, iproute2?)"
	finish
	exit
fi

echo loopback-page >"$WWW/lo.html"
echo other-page >"$WWW/other.html"
P=$(free_port 18500)
busybox httpd -f -p "127.0.0.1:$P" -h "$WWW" &
HTTPD_LO=$!
busybox httpd -f -p "$OTHER:$P" -h "$WWW" &
HTTPD_OTHER=$!
sleep 0.5
# The host itself reaches both, or the checks below would prove nothing.
expect_eq "host reaches its loopback server" loopback-page "$(busybox wget -qO- "http://127.0.0.1:$P/lo.html")"
expect_eq "host reaches the $OTHER server" other-page "$(busybox wget -qO- "http://$OTHER:$P/other.html")"

# (busybox 1.35's wget -T crashes; timeout bounds the blocked attempt.)
GET="wget -qO- http://10.0.2.2:$P/lo.html; timeout 10 wget -qO- http://$OTHER:$P/other.html || echo blocked"

mvm_run -- /bin/sh -c "$GET"
expect_out "local-only true: gateway yes, $OTHER no" "$(printf 'loopback-page\nblocked')"

mvm_run --local-only true -- /bin/sh -c "nc -w 5 $OTHER $P </dev/null && echo connected || echo blocked"
expect_out "local-only true: no TCP connection to $OTHER" "blocked"

mvm_run --local-only false -- /bin/sh -c "$GET"
expect_out "local-only false: gateway and $OTHER" "$(printf 'loopback-page\nother-page')"

expect_dns_round_trip "local-only false: a query to 10.0.2.3 reaches the host's resolver ($OTHER) and back" \
	"$OTHER"

finish
