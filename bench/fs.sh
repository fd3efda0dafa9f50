#!/usr/bin/env bash
# File-system benchmark: the same guest workload on the root share served
# by mvm (passthrough and virtual ownership) and by QEMU's virtiofsd
# (cache=auto), same kernel, same guest user space (bench/mkinitrd), in one
# run. Phases: sequential write and read of a large file, creating, stat-ing,
# reading and deleting many small files, untarring a tree and walking it.
# Prints each phase's median over RUNS runs and the ratio virtiofsd/mvm
# (above 1: mvm is faster). Runs where KVM works (make bench wraps it in
# scripts/with-kvm).
#   RUNS (3), BIG_MIB (64), SMALL_FILES (1000), BENCH_FS_SCRATCH (where the
#   root lives; by default the first of $TMPDIR and build/tmp that holds
#   user xattrs; one without them gets no virtual-ownership leg)
#   The "dax" legs (passthrough and, where it runs, virtual) give the share
#   a 256 MiB DAX window. It pays only where the host's files come in huge
#   pages: run the bench with the root on a tmpfs mounted with huge=always
#   (docs/fuse.md, "The DAX window").
#   FS_PIN (1 in the QEMU-TCG harness): run everything pinned to one CPU,
#   where fs-heavy guests on two CPUs have stalled (docs/with-kvm.md); both
#   servers then share that CPU with their guest. FS_PIN=0 runs unpinned.
set -euo pipefail
if [ "${FS_PIN:-${MVM_IN_HARNESS:-0}}" = 1 ] && [ -z "${BENCH_FS_PINNED:-}" ]; then
	BENCH_FS_PINNED=1 exec taskset -c 0 "$0" "$@"
fi
RUNS=${RUNS:-3}
BIG_MIB=${BIG_MIB:-64}
SMALL_FILES=${SMALL_FILES:-1000}
. "$(dirname "$0")/lib.sh"
command -v setfattr >/dev/null || { echo "bench: setfattr missing (apt-get install attr)" >&2; exit 1; }

# The virtual mode needs user xattrs where the root lives; the QEMU
# harness's /tmp is a tmpfs without them (Linux 6.1), the tree's file system
# has them. All three servers then share the same directory.
# (In the harness the tree is 9p, where every host call is a round trip
# to the host: BENCH_FS_SCRATCH=/tmp measures on its tmpfs instead, without
# the virtual leg.)
scratch=${BENCH_FS_SCRATCH:-${TMPDIR:-/tmp}}
virtual=1
probe=$(mktemp "$scratch/mvm-bench-xattr.XXXXXX")
if ! setfattr -n user.mvm.probe -v 1 "$probe" 2>/dev/null; then
	if [ -n "${BENCH_FS_SCRATCH:-}" ]; then
		virtual=0
		echo "fs bench: $scratch holds no user xattrs: no virtual-ownership leg (its column shows 0)"
	else
		scratch=$(cd "${BUILD:-build}" && pwd)/tmp
		mkdir -p "$scratch"
	fi
fi
rm -f "$probe"
TMPDIR=$scratch bench_setup
echo "fs bench: root on $(df -T "$ROOT" | awk 'NR == 2 { print $2 }') ($scratch), $RUNS runs, ${BIG_MIB} MiB file, $SMALL_FILES small files$([ -n "${BENCH_FS_PINNED:-}" ] && echo ', pinned to one CPU')"

# The tree to untar: the root's own /bin, /etc, /lib... as a tarball.
tar -C "${ROOTFS:-$BUILD/rootfs}" -cf "$ROOT/tree.tar" .
cat >"$ROOT/bench-fs.sh" <<EOF
ms() { read -r up _ </proc/uptime; echo \$(( \${up%.*} * 1000 + 10#\${up#*.} * 10 )); }
phase() { t1=\$(ms); echo "phase \$1 \$((t1 - t0))"; t0=\$t1; }
rm -rf /bench && mkdir /bench && cd /bench
t0=\$(ms)
dd if=/dev/zero of=big bs=1M count=$BIG_MIB conv=fsync 2>/dev/null; phase seq-write
echo 3 >/proc/sys/vm/drop_caches; dd if=big of=/dev/null bs=1M 2>/dev/null; phase seq-read
rm big; t0=\$(ms)
mkdir small; i=0; while [ \$i -lt $SMALL_FILES ]; do echo "file \$i" >small/f\$i; i=\$((i + 1)); done; phase create
echo 3 >/proc/sys/vm/drop_caches; t0=\$(ms); ls -l small >/dev/null; phase stat
cat small/* >/dev/null; phase read-small
rm -r small; phase delete
mkdir tree; tar -C tree -xf /tree.tar; phase untar
echo 3 >/proc/sys/vm/drop_caches; t0=\$(ms); find tree -type f | xargs cat >/dev/null; phase walk
rm -rf tree; cd /; rm -rf /bench
EOF

"$BUILD/bench/mkinitrd" "$T/initrd" "$ROOT" /bin/sh /bench-fs.sh

# One run of the workload under mvm in MODE. In the QEMU-TCG harness a
# guest is now and then reset by a triple fault (docs/with-kvm.md, Known
# problems): that run is made once more, and the bench says so.
run_mvm() { # MODE [MORE OPTIONS]
	local try rc
	for try in 1 2; do
		rc=0
		MVM_KERNEL=$KERNEL timeout "${BENCH_RUN_TIMEOUT:-600}" "$MVM" run --root "$ROOT" --memory 256 \
			--share-mode "$@" -- /bin/sh /bench-fs.sh >"$T/out" 2>"$T/mvm.err" || rc=$?
		[ "$rc" -eq 0 ] && break
		if [ "$try" -eq 1 ] && [ "${MVM_IN_HARNESS:-0}" = 1 ] && grep -q 'RIP 0xfff0' "$T/mvm.err"; then
			echo "bench: note: the harness reset the $1 guest by a triple fault; running it again" >&2
			continue
		fi
		echo "bench: mvm ($1) failed or hung (status $rc): $(head -c 400 "$T/mvm.err")" >&2
		return 1
	done
	grep '^phase ' "$T/out"
}
run_qemu() {
	qemu_vm "$T/initrd" || return 1
	grep '^phase ' "$T/guest.out"
}

: >"$T/all"
# Every leg of a run, by name. Each run starts one leg further on, so that
# no leg is always the first after QEMU's or always the first of a run: a
# fixed order biases legs against each other (bench/boot.sh saw 15%).
# Boots of the same leg also differ by up to 2x (docs/fuse.md, "The DAX
# window"), so only medians over several runs compare.
legs=(passthrough noseccomp)
[ "$virtual" = 0 ] || legs+=(virtual)
legs+=(dax)
[ "$virtual" = 0 ] || legs+=(vdax)
legs+=(virtiofsd)
run_leg() { # NAME
	case $1 in
	passthrough) run_mvm passthrough ;;
	noseccomp) run_mvm passthrough --no-seccomp --no-jail ;;
	virtual) run_mvm virtual ;;
	# With a DAX window, which is off by default (docs/fuse.md, "The DAX
	# window").
	dax) run_mvm passthrough --dax-window 256 ;;
	vdax) run_mvm virtual --dax-window 256 ;;
	virtiofsd) run_qemu ;;
	esac | sed "s/^phase/$1/" >>"$T/all"
}
for i in $(seq "$RUNS"); do
	for j in "${!legs[@]}"; do
		run_leg "${legs[$(((i - 1 + j) % ${#legs[@]}))]}"
	done
done
printf '%-11s %12s %12s %12s %12s %12s %12s %9s %9s %9s %9s %9s %9s\n' phase "mvm pass ms" "no seccomp" \
	"mvm virt ms" "dax ms" "virt dax ms" "virtiofsd ms" "pass/nosc" "pass/dax" "vfsd/pass" "vfsd/virt" \
	"vfsd/dax" "vfsd/vdax"
for p in seq-write seq-read create stat read-small delete untar walk; do
	a=$(awk -v p="$p" '$1 == "passthrough" && $2 == p { print $3 }' "$T/all" | median)
	n=$(awk -v p="$p" '$1 == "noseccomp" && $2 == p { print $3 }' "$T/all" | median)
	b=$(awk -v p="$p" '$1 == "virtual" && $2 == p { print $3 }' "$T/all" | median)
	x=$(awk -v p="$p" '$1 == "dax" && $2 == p { print $3 }' "$T/all" | median)
	y=$(awk -v p="$p" '$1 == "vdax" && $2 == p { print $3 }' "$T/all" | median)
	c=$(awk -v p="$p" '$1 == "virtiofsd" && $2 == p { print $3 }' "$T/all" | median)
	awk -v p="$p" -v a="$a" -v n="$n" -v b="$b" -v x="$x" -v y="$y" -v c="$c" 'BEGIN {
		printf "%-11s %12d %12d %12d %12d %12d %12d %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", p, a, n, b, x, y, c,
			(n ? a / n : 0), (x ? a / x : 0), (a ? c / a : 0), (b ? c / b : 0), (x ? c / x : 0),
			(y ? c / y : 0) }'
done
echo "seq-write and seq-read: ${BIG_MIB} MiB; medians of $RUNS runs; vfsd ratios above 1: mvm faster;"
echo "pass/nosc: passthrough with its seccomp lists and jail against --no-seccomp --no-jail (above 1: the sandbox costs);"
echo "pass/dax: passthrough against passthrough with a 256 MiB DAX window (above 1: the window helps)"
