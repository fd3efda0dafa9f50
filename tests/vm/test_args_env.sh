#!/usr/bin/env bash
# Arguments and environment pass through byte for byte, with no count or
# quoting limits (the reference used the kernel command line for these).
. "$(dirname "$0")/guest.sh"

env_args=()
for i in $(seq 1 200); do
	env_args+=(-e "VAR_$i=value $i with \"quotes\" and = and ü")
done
mvm_run "${env_args[@]}" -- /bin/sh -c 'env | grep ^VAR_ | sort'
for i in $(seq 1 200); do printf 'VAR_%s=value %s with "quotes" and = and ü\n' "$i" "$i"; done | sort >"$WORK/expected-env"
if cmp -s "$WORK/expected-env" "$WORK/out"; then
	pass "200 env vars exact"
else
	fail "200 env vars exact" "$(diff "$WORK/expected-env" "$WORK/out" | head -5 | tr '\n' '|')"
fi

args=("with space" "double\"quote" "single'quote" "a=b=c" "ünïcödé ✓" "" "--flag" 'back\slash' 'dollar $HOME')
mvm_run -- /bin/sh -c 'for a in "$@"; do printf "[%s]\n" "$a"; done' sh "${args[@]}"
expected=$(for a in "${args[@]}"; do printf '[%s]\n' "$a"; done)
expect_out "args exact" "$expected"

mvm_run -e 'EMPTY=' -e 'EQ=a=b' -- /bin/sh -c 'printf "%s|%s|%s" "${EMPTY-unset}" "$EQ" "$PATH"'
expect_out "env edge values and default PATH" "|a=b|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# --hostname and --sysctl reach the guest kernel; init also mounts what
# containers expect (POSIX message queues, the cgroup2 tree).
mvm_run --hostname box-1 --sysctl kernel.domainname=dom.example --sysctl net/ipv4/ping_group_range='0 0' \
	-- /bin/sh -c 'hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ping_group_range | tr "\t" " ";
	grep -o " /dev/mqueue mqueue\| /sys/fs/cgroup cgroup2" /proc/mounts'
expect_out "host name, sysctls, /dev/mqueue and /sys/fs/cgroup" "box-1
dom.example
0 0
 /dev/mqueue mqueue
 /sys/fs/cgroup cgroup2"
mvm_run --sysctl net.nonexistent.knob=1 -- /bin/true
expect_rc "a sysctl the guest kernel lacks stops the start" 125
expect_contains "... naming it" "$WORK/err" "sysctl net.nonexistent.knob"

finish
