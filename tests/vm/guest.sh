# Set-up for tests that boot guests through the CLI (source it after
# nothing else). The tests run inside scripts/with-kvm, where /tmp is a
# tmpfs: roots and shared dirs live there, not on the 9p-shared tree.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

# PIN_IN_HARNESS=WHAT, set before sourcing this file: inside the QEMU-TCG
# harness only, the whole test script runs again on one CPU. Guests that
# drive their devices hard while mvm's threads run on the machine's second
# CPU meet the harness's triple fault there, and sometimes the machine
# stops (docs/with-kvm.md and docs/net.md, Known problems). Every
# measurement of the script, the ones it compares against included, is
# then made pinned alike.
if [ -n "${PIN_IN_HARNESS:-}" ] && [ "${MVM_IN_HARNESS:-0}" = 1 ] && [ -z "${MVM_TEST_PINNED:-}" ]; then
	echo "note: $PIN_IN_HARNESS runs pinned to one CPU in the QEMU-TCG harness (docs/with-kvm.md, docs/net.md, Known problems)"
	MVM_TEST_PINNED=1 exec taskset -c 0 bash "$0" "$@"
fi
MVM=${MVM:-build/mvm}

# A private copy of the busybox root on tmpfs, fresh for each test file.
ROOT=$(mktemp -d /tmp/mvm-root.XXXXXX)
cp -a "${ROOTFS:-${BUILD:-build}/rootfs}/." "$ROOT/"
WORK=$(mktemp -d /tmp/mvm-work.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK"' EXIT

# harness_reset ERRFILE: true when the last run ($RC) ended as the QEMU-TCG
# harness's triple fault ends a guest: status 125, "RIP 0xfff0" in mvm's
# message, and only inside the harness. Callers may run that once more.
harness_reset() {
	[ "$RC" -eq 125 ] && [ "${MVM_IN_HARNESS:-0}" = 1 ] &&
		grep -q 'guest shut down without reporting an exit status.*RIP 0xfff0' "$1"
}

# mvm_run ARGS... : runs the CLI with the test root; stdout in $WORK/out,
# stderr in $WORK/err, status in $RC. No stdin unless redirected.
# A run that hangs fails after MVM_RUN_TIMEOUT seconds with status 124 and
# a note on its stderr, instead of stalling the whole test file.
mvm_run() {
	local try root_args=(--root "$ROOT")
	# An image test sets IMAGE_RUN=1 and names its image in ARGS. ROOT
	# is read here, not when this file is sourced: `ROOT=dir mvm_run`.
	[ -n "${IMAGE_RUN:-}" ] && root_args=()
	for try in 1 2; do
		timeout -k 10 "${MVM_RUN_TIMEOUT:-240}" "$MVM" run "${root_args[@]}" --memory "${MEM:-256}" "$@" \
			>"$WORK/out" 2>"$WORK/err" </dev/null
		RC=$?
		if [ "$RC" -eq 124 ]; then
			echo "test: mvm run timed out after ${MVM_RUN_TIMEOUT:-240} s" >>"$WORK/err"
		fi
		# The emulated test machine now and then hangs a guest kernel
		# before it starts mvm-init (seen about 2 in 300 boots, on
		# 7dfb5e5 too; docs/with-kvm.md): only there, and only for that
		# error, the run is tried once more, and the test says so.
		if [ "$try" -eq 1 ] && [ "$RC" -eq 125 ] && [ "${MVM_IN_HARNESS:-0}" = 1 ] &&
			grep -q 'did not start mvm-init within' "$WORK/err"; then
			echo "note: the harness hung a guest's boot before mvm-init; running it again"
			continue
		fi
		# Its other known fault: a triple fault with intact page tables
		# (docs/net.md, Known problems), seen at any point from the start
		# of /init on. Tried once more only if the program printed
		# nothing yet.
		if [ "$try" -eq 1 ] && [ ! -s "$WORK/out" ] && harness_reset "$WORK/err"; then
			echo "note: the harness reset a guest by a triple fault (RIP 0xfff0) before it printed anything; running it again"
			continue
		fi
		break
	done
}

# mvm_start NAME ARGS... : mvm_run in the background ($! is the run), for
# guests that serve the host; stdout in $WORK/NAME.out, stderr in
# $WORK/NAME.err. MVM_PREFIX, if set, prefixes the command (taskset -c 0).
mvm_start() {
	local name=$1
	shift
	${MVM_PREFIX:-} timeout -k 10 "${MVM_RUN_TIMEOUT:-240}" "$MVM" run --root "$ROOT" \
		--memory "${MEM:-256}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
}

# expect_dns_round_trip NAME RESOLVER: in a mount namespace of the test's
# own (it binds over /etc/resolv.conf), with RESOLVER an address of this
# machine: the guest (--local-only false) asks 10.0.2.3 and gets the answer
# of a UDP echo server on RESOLVER:53, which libslirp found in resolv.conf.
expect_dns_round_trip() {
	local name=$1 resolver=$2 nettool=${NETTOOL:-${BUILD:-build}/vm/nettool} echo_pid
	echo "nameserver $resolver" >"$WORK/resolv.conf"
	if ! mount --bind "$WORK/resolv.conf" /etc/resolv.conf; then
		fail "$name" "mount --bind over /etc/resolv.conf failed"
		return
	fi
	cp "$nettool" "$ROOT/bin/nettool"
	"$nettool" udp-echo "$resolver:53" 1 >"$WORK/dns" 2>&1 &
	echo_pid=$!
	sleep 0.3
	mvm_run --local-only false -- /bin/nettool udp-ask 10.0.2.3 53 mvm-dns-probe 20
	kill "$echo_pid" 2>/dev/null
	expect_out "$name" echo:mvm-dns-probe
}

# expect_out NAME WANT: compares the last run's stdout, showing its stderr.
expect_out() {
	expect_eq "$1" "$2" "$(cat "$WORK/out")" "status $RC, stderr: $(head -c 600 "$WORK/err" | tr '\n' '|')"
}

# expect_contains NAME FILE NEEDLE
expect_contains() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		fail "$1" "[$3] not in $2: $(head -c 600 "$2" | tr '\n' '|')"
	fi
}

# expect_rc NAME WANT: compares the last run's exit status, showing stderr.
expect_rc() {
	expect_eq "$1" "$2" "$RC" "stderr: $(head -c 600 "$WORK/err" | tr '\n' '|')"
}

# free_port FROM: a TCP port on 127.0.0.1 that nothing listens on (checked
# by connecting, not guessed), searching FROM..FROM+200.
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# image_test_setup NAME: for the image tests. Fails the test unless umoci
# and getfattr are installed, then makes BASE, a scratch dir on the tree's
# file system (9p to the host's ext4 in the harness: the store needs user
# xattrs, which the harness's tmpfs lacks), removed on exit.
image_test_setup() {
	local tool
	for tool in umoci getfattr; do
		command -v "$tool" >/dev/null || {
			fail "$tool is installed" "missing (.ci/run installs it)"
			exit 1
		}
	done
	mkdir -p "$BUILD/tmp"
	BASE=$(mktemp -d "$BUILD/tmp/$1.XXXXXX")
	trap 'rm -rf "$ROOT" "$WORK" "$BASE"' EXIT
}
