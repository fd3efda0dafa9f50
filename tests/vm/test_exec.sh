#!/usr/bin/env bash
# `mvm exec` against a running guest (docs/agent.md): programs started by
# mvm-init's agent over vsock beside the VM's own program. Output, stderr,
# stdin, exit codes, a signal, env/workdir/user, a terminal, 10 at once,
# 100 MiB through stdout with checksums, and the round trip of
# `mvm exec /bin/true` against the boot-to-exit of `mvm run /bin/true`.
# The VM runs pinned to one CPU in the QEMU-TCG harness: its guest sends
# bulk data (docs/net.md, Known problems).
. "$(dirname "$0")/guest.sh"

SOCK=$WORK/v.sock
PIN=
[ "${MVM_IN_HARNESS:-0}" = 1 ] && PIN="taskset -c 0"
MEM=512
# The VM's own program: a 100 MiB file and its checksum, then it waits for
# /tmp/stop, which an exec makes.
MVM_PREFIX=$PIN MVM_RUN_TIMEOUT=900 mvm_start main --vsock "$SOCK" -- /bin/sh -c \
	'dd if=/dev/urandom of=/tmp/big bs=1048576 count=100 2>/dev/null; md5sum </tmp/big >/tmp/big.md5
	 touch /tmp/ready; while [ ! -e /tmp/stop ]; do sleep 1; done; echo main-done'
VM=$!

# x NAME ARGS...: mvm exec with stdout in $WORK/NAME.out, stderr in
# $WORK/NAME.err, status in $RC.
x() {
	local name=$1
	shift
	timeout -k 5 300 "$MVM" exec "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	RC=$?
}
show() { echo "status $RC, out: $(head -c 300 "$WORK/$1.out" | tr '\n' '|') err: $(head -c 300 "$WORK/$1.err" | tr '\n' '|') VM: $(tail -c 300 "$WORK/main.err" | tr '\n' '|')"; }

x ready --timeout 600 "$SOCK" /bin/sh -c 'while [ ! -e /tmp/ready ]; do sleep 1; done'
expect_eq "the agent answers once the VM runs" 0 "$RC" "$(show ready)"

x hello "$SOCK" echo hello
expect_eq "exec: stdout" "hello" "$(cat "$WORK/hello.out")" "$(show hello)"
expect_eq "exec: status 0" 0 "$RC" "$(show hello)"

x code "$SOCK" /bin/sh -c 'echo out; echo err >&2; exit 7'
expect_eq "exec: exit code" 7 "$RC" "$(show code)"
expect_eq "exec: stdout alone" "out" "$(cat "$WORK/code.out")" "$(show code)"
expect_eq "exec: stderr apart" "err" "$(cat "$WORK/code.err")" "$(show code)"

x missing "$SOCK" /nonexistent/prog
expect_eq "exec: not found is 127" 127 "$RC" "$(show missing)"
expect_contains "... with the guest's reason" "$WORK/missing.err" "/nonexistent/prog"

x env -e FOO=bar -w /tmp -u 1000:1001 "$SOCK" /bin/sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
expect_eq "exec: env, workdir and user" "bar /tmp 1000:1001" "$(cat "$WORK/env.out")" "$(show env)"
x uname -u nobody "$SOCK" /bin/sh -c 'echo "$(id -u):$(id -g)"'
expect_eq "exec -u NAME: resolved in the guest's /etc/passwd" "65534:65534" "$(cat "$WORK/uname.out")" "$(show uname)"
x unone -u nosuch:nogroup "$SOCK" /bin/true
expect_eq "exec -u of a user the guest does not know: 125" 125 "$RC" "$(show unone)"
expect_contains "... saying so" "$WORK/unone.err" "unable to find user nosuch: no matching entries in /etc/passwd"

got=$(printf 'line1\nline2\n' | timeout 300 "$MVM" exec -i "$SOCK" cat 2>"$WORK/stdin.err")
expect_eq "exec -i: stdin reaches the program, and its end" "line1 line2" "$(echo $got)" "$(cat "$WORK/stdin.err")"
got=$(echo ignored | timeout 300 "$MVM" exec "$SOCK" cat 2>&1)
expect_eq "exec without -i: end of file at once" "" "$got"

x tty -t "$SOCK" /bin/sh -c 'tty; echo e >&2'
expect_contains "exec -t: a terminal" "$WORK/tty.out" "/dev/pts/"
expect_contains "exec -t: stderr joins stdout" "$WORK/tty.out" "e"

# 100 MiB through one exec's stdout.
want=$(timeout 300 "$MVM" exec "$SOCK" cat /tmp/big.md5 | awk '{print $1}')
t0=$(date +%s%N)
got=$(timeout 600 "$MVM" exec "$SOCK" cat /tmp/big | md5sum | awk '{print $1}')
t1=$(date +%s%N)
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "100 MiB through exec's stdout: checksums match"; else
	fail "100 MiB through exec's stdout: checksums match" "guest $want, host $got"
fi
echo "100 MiB through exec's stdout in $(((t1 - t0) / 1000000)) ms"

# A signal: SIGTERM to mvm exec reaches the program.
timeout 300 "$MVM" exec "$SOCK" /bin/sleep 300 >"$WORK/sig.out" 2>"$WORK/sig.err" &
SIGPID=$!
sleep 5
kill -TERM "$SIGPID"
wait "$SIGPID"
RC=$?
expect_eq "exec: SIGTERM reaches the program (143)" 143 "$RC" "$(show sig)"

# Ten at once.
for i in $(seq 1 10); do
	timeout 300 "$MVM" exec "$SOCK" /bin/sh -c "sleep 1; echo n$i; exit $i" >"$WORK/c$i.out" 2>&1 &
	echo $! >"$WORK/c$i.pid"
done
bad=
for i in $(seq 1 10); do
	wait "$(cat "$WORK/c$i.pid")"
	rc=$?
	[ "$rc" = "$i" ] && [ "$(cat "$WORK/c$i.out")" = "n$i" ] || bad="$bad [$i: status $rc, $(cat "$WORK/c$i.out" | tr '\n' '|')]"
done
expect_eq "10 concurrent execs: each its output and status" "" "$bad"

# The round trip of a trivial exec against a whole run (median of 5 each),
# timed with the unsanitized build when there is one: under TCG the
# sanitizers' start-up alone is most of a second.
FAST=$MVM
[ -x "$BUILD/mvm" ] && FAST=$BUILD/mvm
med() { sort -n | sed -n 3p; }
# Microseconds from bash itself: a `date` process per reading would add
# its own start (~50 ms under TCG) to every figure.
for _ in 1 2 3 4 5; do
	t0=${EPOCHREALTIME/./}
	"$FAST" exec "$SOCK" /bin/true
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) / 1000))
done | med >"$WORK/exec.ms"
echo "exec /bin/true round trip (median of 5): $(cat "$WORK/exec.ms") ms"
# How much of it is only starting the mvm front (README, "Two binaries").
for _ in 1 2 3 4 5; do
	t0=${EPOCHREALTIME/./}
	"$FAST" --version >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) / 1000))
done | med >"$WORK/start.ms"
echo "mvm --version, process start alone (median of 5): $(cat "$WORK/start.ms") ms"
# The same through the library, without an mvm process start each time.
if [ -x "$BUILD/vm/exec_rtt" ]; then
	echo $(($("$BUILD/vm/exec_rtt" "$SOCK" 9) / 1000)) >"$WORK/lib.ms"
	echo "exec /bin/true round trip through the library (median of 9): $(cat "$WORK/lib.ms") ms"
fi

x stop "$SOCK" /bin/touch /tmp/stop
wait "$VM"
RC=$?
expect_eq "an exec ends the VM's program; the VM exits 0" 0 "$RC" "$(tail -c 400 "$WORK/main.err" | tr '\n' '|')"
expect_contains "... after its own output" "$WORK/main.out" "main-done"

for _ in 1 2 3 4 5; do
	t0=${EPOCHREALTIME/./}
	MVM=$FAST mvm_run -- /bin/true
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) / 1000))
done | med >"$WORK/run.ms"
echo "mvm run /bin/true boot-to-exit (median of 5): $(cat "$WORK/run.ms") ms; exec/run: $(awk -v e="$(cat "$WORK/exec.ms")" -v r="$(cat "$WORK/run.ms")" 'BEGIN{printf "%.3f", e/r}')"
[ -s "$WORK/lib.ms" ] && echo "library exec/run: $(awk -v e="$(cat "$WORK/lib.ms")" -v r="$(cat "$WORK/run.ms")" 'BEGIN{printf "%.3f", e/r}')"

finish
