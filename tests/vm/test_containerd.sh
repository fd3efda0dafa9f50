#!/usr/bin/env bash
# with-kvm: root
# Debian's containerd 1.6 runs a container as a microVM: `ctr run
# --runc-binary mvm-runtime` makes its runc shim (containerd-shim-runc-v2)
# drive mvm-runtime as it drives runc (docs/oci.md), with containerd's own
# default spec (a tmpfs on /run, the image user's supplementary groups, a
# new network namespace). The image is made from the test root with umoci
# and imported from a tar, as `ctr images import` takes it.
#
# Root of the test machine, as containerd runs: its root, state and socket
# live under /tmp in the machine, never on the host.
. "$(dirname "$0")/guest.sh"

abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
RT=$(abs "${MVM_RUNTIME:-$BUILD/mvm-runtime-san}")
for tool in containerd ctr containerd-shim-runc-v2 umoci; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool" "not installed (.ci/run installs it)"
		finish
		exit
	fi
done
C=$WORK/containerd
mkdir -p "$C"
cat >"$C/config.toml" <<TOML
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$C/containerd.sock"
[ttrpc]
  address = "$C/containerd.ttrpc"
TOML
containerd --config "$C/config.toml" >"$C/log" 2>&1 &
CONTAINERD=$!
trap 'kill $CONTAINERD 2>/dev/null; wait $CONTAINERD 2>/dev/null; rm -rf "$ROOT" "$WORK"' EXIT
for _ in $(seq 300); do [ -S "$C/containerd.sock" ] && break; sleep 0.2; done
ctr_() { timeout -k 5 300 ctr -a "$C/containerd.sock" -n mvm "$@"; }
expect_eq "containerd answers" 0 "$(ctr_ version >/dev/null 2>&1; echo $?)" "$(tail -5 "$C/log")"

# The image: one layer of the test root, Cmd /bin/sh.
img=$WORK/oci
{ umoci init --layout "$img" && umoci new --image "$img:t" &&
	umoci unpack --image "$img:t" "$WORK/b" && cp -a "$ROOT/." "$WORK/b/rootfs/" &&
	umoci repack --image "$img:t" "$WORK/b" && umoci config --image "$img:t" --config.cmd /bin/sh &&
	tar -C "$img" -cf "$WORK/img.tar" .; } >"$WORK/umoci.log" 2>&1
expect_eq "an OCI image of the test root (umoci)" 0 "$?" "$(tail -3 "$WORK/umoci.log")"
ctr_ images import --base-name localhost/mvm-test "$WORK/img.tar" >"$WORK/import.log" 2>&1
expect_eq "ctr images import" "localhost/mvm-test:t" "$(ctr_ images ls -q 2>&1)" "$(cat "$WORK/import.log")"

# ctr run --rm: env, the program's output and status, a tmpfs on /run and
# root's groups from containerd's default spec, no network but lo.
out=$(ctr_ run --rm --runc-binary "$RT" --snapshotter native --env FOO=bar \
	localhost/mvm-test:t c1 /bin/sh -c \
	'echo "hi $FOO $(id -u) $(grep " /run " /proc/mounts | cut -d" " -f3)"; ls /sys/class/net | tr "\n" " "; echo; exit 5' \
	2>"$WORK/err")
rc=$?
expect_eq "ctr run --runc-binary mvm-runtime: the program's status" 5 "$rc" "$(tail -c 600 "$WORK/err")"
expect_eq "... its output: env, uid, containerd's tmpfs on /run" "hi bar 0 tmpfs" "$(head -1 <<<"$out")"
expect_eq "... the guest's network is its own eth0 (the VMM in an empty namespace)" "eth0 lo " \
	"$(sed -n 2p <<<"$out")"
ctr_ containers ls -q >"$WORK/left" 2>&1
expect_eq "... --rm leaves no container" "" "$(cat "$WORK/left")"

# A detached task with a bind mount: ctr task ls sees it running, and once
# its program has set its trap (it says so in the shared directory), ctr
# task kill's SIGTERM reaches it.
mkdir -p "$WORK/d"
ctr_ run -d --runc-binary "$RT" --snapshotter native \
	--mount "type=bind,src=$WORK/d,dst=/d,options=rbind:rw" localhost/mvm-test:t c2 /bin/sh -c \
	'trap "exit 3" TERM; echo up >/d/up; while :; do sleep 1; done' >/dev/null 2>"$WORK/err"
expect_eq "ctr run -d" 0 "$?" "$(tail -c 600 "$WORK/err")"
# task_state ID WANT: ctr task ls's status of ID, once it is WANT (within
# 2 minutes), else the last one seen.
task_state() {
	local state='' end=$((SECONDS + 120))
	while [ "$SECONDS" -lt "$end" ]; do
		state=$(ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }')
		[ "$state" = "$2" ] && break
		sleep 0.5
	done
	echo "$state"
}
expect_eq "ctr task ls shows it running" RUNNING "$(task_state c2 RUNNING)"
for _ in $(seq 480); do [ -s "$WORK/d/up" ] && break; sleep 0.5; done
expect_eq "... its program writes to a --mount bind" up "$(cat "$WORK/d/up" 2>&1)"
ctr_ task kill c2 >/dev/null 2>&1
expect_eq "ctr task kill: SIGTERM reaches the guest's program, which stops" STOPPED \
	"$(task_state c2 STOPPED)"
ctr_ task delete c2 >"$WORK/del" 2>&1
if grep -q "exit code 3\"" "$WORK/del"; then pass "... with its own status (3, from its trap)"; else
	fail "... with its own status (3, from its trap)" "$(cat "$WORK/del")"
fi
ctr_ containers delete c2 >/dev/null 2>&1
ctr_ snapshots --snapshotter native rm c2 >/dev/null 2>&1

finish
