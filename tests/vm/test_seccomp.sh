#!/usr/bin/env bash
# Seccomp lists on a real VMM (docs/seccomp.md): a thread of mvm's that
# tries a system call off its list while the guest runs ends the VMM with
# one clear line and status 159 (128 + SIGSYS); --no-seccomp lets the same
# call through, so each check can fail. tests/vm/seccomp_shim.c makes the
# call from inside the real thread: the vCPU opens /etc/shadow, the event
# loop and a file-system worker open a socket. The shim needs the
# unsanitized CLI: the sanitizers' own ioctl and preadv would hide it.
. "$(dirname "$0")/guest.sh"
SHIM=${BUILD:-build}/tests/vm/seccomp_shim.so
PLAIN=${BUILD:-build}/mvm
[ -f "$SHIM" ] || { fail "seccomp shim" "$SHIM missing (make vm-tools)"; finish; }

# shim_run MODE ARGS...: mvm_run with the unsanitized CLI and the shim.
shim_run() {
	local mode=$1
	shift
	MVM=$PLAIN MVM_SHIM=$mode LD_PRELOAD=$SHIM mvm_run "$@"
	unset MVM_SHIM
}

# expect_violation NAME WANT: status 159 and WANT in the error line.
expect_violation() {
	if [ "$RC" -eq 159 ] && grep -q "^mvm: error: seccomp: $2" "$WORK/err"; then
		ok "$1"
	else
		fail "$1" "status $RC, stderr: $(tail -c 400 "$WORK/err" | tr '\n' '|')"
	fi
}

export MVM_SHIM_AFTER=300
shim_run vcpu-shadow -- /bin/echo ran
expect_violation "vCPU: open /etc/shadow ends the VMM, saying so" \
	"the vCPU thread made the system call openat ([0-9]*), which its seccomp filter forbids"
shim_run vcpu-shadow --no-seccomp -- /bin/echo ran
expect_out "vCPU: without the filter the same run goes on" ran

shim_run loop-socket -- /bin/echo ran
expect_violation "event loop: socket ends the VMM" \
	"the event loop thread made the system call socket"
shim_run loop-socket --no-seccomp -- /bin/echo ran
expect_out "event loop: without the filter the run goes on" ran

echo data >"$ROOT/readme"
shim_run fs-socket -- /bin/cat /readme
expect_violation "fs worker: socket ends the VMM" \
	"the file-system worker thread made the system call socket"
shim_run fs-socket --no-seccomp -- /bin/cat /readme
expect_out "fs worker: without the filter the read goes on" data

# The filters themselves cost the guest nothing it can see: a share
# round trip, the network and the consoles work under them (every other
# VM test runs with them too; this is the short proof in one place).
mvm_run -- /bin/sh -c 'echo x > /f && cat /f && rm /f && echo err >&2'
expect_out "sanitized CLI under the filters: file round trip" x
expect_contains "... and stderr" "$WORK/err" err
finish
