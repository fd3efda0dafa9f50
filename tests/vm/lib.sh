# Helpers for tests/vm/test_*.sh (source it). Each check prints one line the
# runner counts: "ok NAME", "FAIL NAME: reason", "skip NAME: reason".
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# expect_status NAME WANT CMD [ARG...]: runs CMD, compares its exit status.
expect_status() {
	local name=$1 want=$2 got=0
	shift 2
	"$@" || got=$?
	expect_eq "$name" "$got" "$want"
}
