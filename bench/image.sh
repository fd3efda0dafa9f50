#!/usr/bin/env bash
# `mvm run IMAGE` against the same root given as a plain directory
# (docs/images.md, "Running an image"): boot-to-exit of /bin/true, and a
# walk of the whole tree (a stat and a read of every file, each lookup
# through the guest's overlayfs) with a write. The image is the two-layer test
# image made from the root; both live on the same file system (the
# tree's: the store needs user xattrs), and the plain dir is timed in
# both share modes, since an image is always served in the virtual mode.
# Runs where KVM works (make bench wraps it in scripts/with-kvm).
set -euo pipefail
RUNS=${RUNS:-5}
BUILD=${BUILD:-build}
MVM=$BUILD/mvm
KERNEL=${MVM_KERNEL:-$BUILD/vmlinux}
. "$(dirname "$0")/lib.sh"
command -v umoci >/dev/null || { echo "bench: umoci missing" >&2; exit 1; }
mkdir -p "$BUILD/tmp"
T=$(mktemp -d "$(cd "$BUILD/tmp" && pwd)/bench-image.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/root-src"
cp -a "${ROOTFS:-$BUILD/rootfs}/." "$T/root-src/"
"$(dirname "$0")/../scripts/make-test-image" "$T/root-src" "$T/oci" "$T/bundle" >/dev/null
export MVM_HOME=$T/store
"$MVM" load -q --name bench-img "$T/oci" >/dev/null
# The plain dir: the image's merged content (the bundle umoci left).
ROOT=$T/bundle/rootfs

now() { date +%s%N; }
# run_one KIND WORK: KIND image (its default tmpfs layer), imaged (the
# layer on the host), dir, dirv; prints ms.
run_one() {
	local t0 t1 what=(--root "$ROOT" --)
	case $1 in
	image) what=(bench-img) ;;
	imaged) what=(--upper-on-disk bench-img) ;;
	dirv) what=(--share-mode virtual --root "$ROOT" --) ;;
	esac
	t0=$(now)
	MVM_KERNEL=$KERNEL "$MVM" run --memory 256 -u 0 "${what[@]}" /bin/sh -c "$2" \
		>/dev/null 2>"$T/err" || { echo "bench: $1 failed: $(head -c 300 "$T/err")" >&2; return 1; }
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}

bench_work() { # NAME WORK
	local name=$1 work=$2 k
	local kinds="image imaged dir dirv" k
	for k in $kinds; do run_one "$k" "$work" >/dev/null; done # warm
	for k in $kinds; do : >"$T/$k.times"; done
	# Each kind goes first in turn (the harness favours the first run).
	local i order
	for i in $(seq "$RUNS"); do
		case $((i % 4)) in
		0) order="image imaged dir dirv" ;;
		1) order="imaged dir dirv image" ;;
		2) order="dir dirv image imaged" ;;
		*) order="dirv image imaged dir" ;;
		esac
		for k in $order; do run_one "$k" "$work" >>"$T/$k.times"; done
	done
	local mi mt md mv
	mi=$(median <"$T/image.times")
	mt=$(median <"$T/imaged.times")
	md=$(median <"$T/dir.times")
	mv=$(median <"$T/dirv.times")
	echo "$name, median of $RUNS runs:"
	echo "  image (tmpfs layer):          ${mi} ms   (runs: $(tr '\n' ' ' <"$T/image.times"))"
	echo "  image, --upper-on-disk:       ${mt} ms   (runs: $(tr '\n' ' ' <"$T/imaged.times"))"
	echo "  plain dir, passthrough:       ${md} ms   (runs: $(tr '\n' ' ' <"$T/dir.times"))"
	echo "  plain dir, virtual:           ${mv} ms   (runs: $(tr '\n' ' ' <"$T/dirv.times"))"
	awk -v i="$mi" -v t="$mt" -v d="$md" -v v="$mv" \
		'BEGIN {printf "  ratio image/dir (passthrough, virtual): tmpfs layer %.2f %.2f, --upper-on-disk %.2f %.2f\n", i / d, i / v, t / d, t / v}'
}

bench_work "boot-to-exit of /bin/true" "true"
bench_work "stat and read every file, write 1 MiB" \
	"find / -xdev | xargs ls -ld >/dev/null && find / -xdev -type f -exec cat {} + >/dev/null &&
	dd if=/dev/zero of=/root/f bs=64k count=16 2>/dev/null"
