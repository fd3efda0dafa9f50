#!/usr/bin/env bash
# Networking: virtio-net on libslirp. Only loopback addresses of the test
# machine are used; no traffic leaves it.
. "$(dirname "$0")/guest.sh"

WWW=$(mktemp -d /tmp/mvm-www.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$WWW"; [ -n "${HTTPD:-}" ] && kill "$HTTPD" 2>/dev/null' EXIT

# The guest's address, route and resolver.
mvm_run -- /bin/sh -c 'ifconfig eth0 | grep -o "inet addr:[0-9.]*"; route -n | awk "\$1 == \"0.0.0.0\" {print \$2}"; cat /etc/resolv.conf'
expect_out "default guest network" "$(printf 'inet addr:10.0.2.15\n10.0.2.2\n# written by mvm-init\nnameserver 10.0.2.3')"

mvm_run --ip 192.168.77.9 -- /bin/sh -c 'ifconfig eth0 | grep -o "inet addr:[0-9.]*"; route -n | awk "\$1 == \"0.0.0.0\" {print \$2}"'
expect_out "assigned IP and its gateway" "$(printf 'inet addr:192.168.77.9\n192.168.77.2')"

# Guest -> a server on the host's loopback, through the gateway address.
echo host-page >"$WWW/index.html"
HPORT=$(free_port 18080)
busybox httpd -f -p "127.0.0.1:$HPORT" -h "$WWW" &
HTTPD=$!
sleep 0.5
mvm_run -- /bin/sh -c "wget -qO- http://10.0.2.2:$HPORT/"
expect_out "guest reaches host loopback via the gateway" "host-page"
# local-only (default): nothing but the gateway; the guest's DNS server is off.
mvm_run -- /bin/sh -c "nc -w 3 10.0.2.3 53 </dev/null && echo connected || echo refused"
expect_out "local-only blocks other addresses" "refused"

# Host -> guest through -p: a guest server on port 80, published on PPORT.
start_guest_server() { # [IP:]PPORT NAME
	mvm_start "$2" -p "$1:80" -- /bin/sh -c \
		"echo started; printf 'HTTP/1.0 200 OK\r\n\r\n$2\n' | nc -l -p 80 >/dev/null"
}
fetch() { # PORT: retries while the guest boots
	local i
	for i in $(seq 1 120); do
		if busybox wget -qO- "http://127.0.0.1:$1/" 2>/dev/null; then return 0; fi
		sleep 0.5
	done
	return 1
}
P1=$(free_port 18200)
P2=$(free_port $((P1 + 1)))
start_guest_server "$P1" vm-one
VM1=$!
# docker's IP:HOST:GUEST form; 0.0.0.0 (every address) includes loopback.
start_guest_server "0.0.0.0:$P2" vm-two
VM2=$!
expect_eq "port map reaches guest one" "vm-one" "$(fetch "$P1")"
expect_eq "port map reaches guest two (two VMs at once)" "vm-two" "$(fetch "$P2")"
wait "$VM1"
RC=$?
expect_eq "published guest exits cleanly" 0 "$RC" "$(cat "$WORK/vm-one.err")"
wait "$VM2"

# UDP, both ways, with nettool (busybox nc has no UDP).
NETTOOL=${NETTOOL:-$BUILD/vm/nettool}
cp "$NETTOOL" "$ROOT/bin/nettool"
U=$(free_port 18300)
mvm_start udp -p "$U:53/udp" -- /bin/nettool udp-echo 53 1
VM=$!
# udp-ask repeats its datagram until an answer comes: the guest boots first.
GOT=$("$NETTOOL" udp-ask 127.0.0.1 "$U" ping-udp 120 2>&1)
expect_eq "udp port map: host datagram reaches the guest, answer returns" "echo:ping-udp" "$GOT" \
	"guest: $(head -c 400 "$WORK/udp.err" | tr '\n' '|')"
wait "$VM"
RC=$?
expect_eq "udp-serving guest exits cleanly" 0 "$RC" "$(head -c 400 "$WORK/udp.err" | tr '\n' '|')"
U2=$(free_port $((U + 1)))
"$NETTOOL" udp-echo "127.0.0.1:$U2" 1 >/dev/null &
ECHO=$!
mvm_run -- /bin/nettool udp-ask 10.0.2.2 "$U2" from-guest 60
expect_out "guest UDP reaches a host loopback service via the gateway" "echo:from-guest"
kill "$ECHO" 2>/dev/null
wait "$ECHO" 2>/dev/null

# A host port in use is a clear error at start.
mvm_run -p "$HPORT:80" -- /bin/true
expect_rc "busy host port fails the start" 125
expect_contains "busy host port message" "$WORK/err" "$HPORT"

finish
