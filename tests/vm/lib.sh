# Helpers for the VM integration tests (sourced by tests/vm/test_*.sh).
# Each check prints one line, "ok NAME" or "FAIL NAME: why"; the runner
# counts them. The tests run inside scripts/with-kvm, where /tmp is a
# tmpfs: roots and shared dirs live there, not on the 9p-shared tree.
set -u
MVM=${MVM:-build/mvm}
TESTS_FAILED=0

# A private copy of the busybox root on tmpfs, fresh for each test file.
ROOT=$(mktemp -d /tmp/mvm-root.XXXXXX)
cp -a "${ROOTFS:-build/rootfs}/." "$ROOT/"
WORK=$(mktemp -d /tmp/mvm-work.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK"' EXIT

pass() { echo "ok $1"; }
fail() {
	echo "FAIL $1: $2"
	TESTS_FAILED=$((TESTS_FAILED + 1))
}

# mvm_run ARGS... : runs the CLI with the test root; stdout in $WORK/out,
# stderr in $WORK/err, status in $RC. No stdin unless redirected.
mvm_run() {
	"$MVM" run --root "$ROOT" --memory "${MEM:-256}" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	RC=$?
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected [$2], got [$3] (stderr: $(head -c 600 "$WORK/err" | tr '\n' '|'))"
	fi
}

# expect_contains NAME FILE NEEDLE
expect_contains() {
	if grep -qF -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "[$3] not in $2: $(head -c 600 "$2" | tr '\n' '|')"
	fi
}

finish() {
	[ "$TESTS_FAILED" -eq 0 ]
}
