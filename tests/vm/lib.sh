# Helpers for tests/vm/test_*.sh (source it). Each check prints one line the
# runner counts: "ok NAME", "FAIL NAME: reason" or "skip NAME: reason"
# (a skip fails the run: VM tests are never skipped silently).
TESTS_FAILED=0
ok() { echo "ok $1"; }
pass() { ok "$1"; }
fail() {
	echo "FAIL $1: $2"
	TESTS_FAILED=$((TESTS_FAILED + 1))
}
skip() { echo "skip $1: $2"; }

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got [$3], want [$2]${4:+ ($4)}"; fi
}

# expect_status NAME WANT CMD [ARG...]: runs CMD, compares its exit status.
expect_status() {
	local name=$1 want=$2 got=0
	shift 2
	"$@" || got=$?
	expect_eq "$name" "$want" "$got"
}

finish() {
	[ "$TESTS_FAILED" -eq 0 ]
}
