#!/usr/bin/env bash
# Boot-to-exit time of /bin/true: mvm against QEMU microvm booting the same
# kernel and the same initramfs (mvm-init), with the same root served by
# QEMU's virtiofsd. Runs where KVM works (make bench wraps it in
# scripts/with-kvm). Prints medians, their ratio, mvm's VM exits and RSS.
set -euo pipefail
RUNS=${RUNS:-7}
BUILD=${BUILD:-build}
MVM=$BUILD/mvm
KERNEL=${MVM_KERNEL:-$BUILD/vmlinux}
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
for f in "$MVM" "$KERNEL" "$VIRTIOFSD" "$BUILD/bench/mkinitrd"; do
	[ -e "$f" ] || { echo "bench: missing $f" >&2; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "bench: qemu-system-x86_64 missing" >&2; exit 1; }

T=$(mktemp -d /tmp/mvm-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
ROOT=$T/root
mkdir -p "$ROOT"
cp -a "${ROOTFS:-$BUILD/rootfs}/." "$ROOT/"
"$BUILD/bench/mkinitrd" "$T/initrd" "$ROOT" /bin/true

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR+1)/2; if (NR%2) print a[m]; else print (a[NR/2]+a[NR/2+1])/2}'; }

run_mvm() {
	local t0 t1
	t0=$(now)
	MVM_KERNEL=$KERNEL "$MVM" run --log-level info --root "$ROOT" --memory 256 -- /bin/true 2>"$T/mvm.err" >/dev/null
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}

run_qemu() {
	local t0 t1 rc=0
	rm -f "$T/vfs.sock"
	t0=$(now)
	"$VIRTIOFSD" --socket-path="$T/vfs.sock" -o source="$ROOT" -o cache=auto >/dev/null 2>&1 &
	local vfs=$!
	while [ ! -S "$T/vfs.sock" ]; do sleep 0.001; done
	qemu-system-x86_64 -M microvm,acpi=off,x-option-roms=off,rtc=off,auto-kernel-cmdline=on \
		-enable-kvm -cpu host,-arch-capabilities -smp 1 -m 256m \
		-object memory-backend-memfd,id=mem,size=256m,share=on -numa node,memdev=mem \
		-global virtio-mmio.force-legacy=false \
		-nodefaults -no-user-config -nographic -no-reboot \
		-kernel "$KERNEL" -initrd "$T/initrd" \
		-append "console=ttyS0 reboot=t panic=-1 pci=off nomodule 8250.nr_uarts=1 rdinit=/init no_timer_check tsc=reliable quiet loglevel=1" \
		-serial none \
		-device virtio-serial-device -chardev null,id=c0 -chardev null,id=c1 -chardev null,id=c2 \
		-device virtconsole,chardev=c0 -device virtconsole,chardev=c1 -device virtconsole,chardev=c2 \
		-chardev socket,id=vfs,path="$T/vfs.sock" \
		-device vhost-user-fs-device,chardev=vfs,tag=/dev/root \
		-device isa-debug-exit,iobase=0x501,iosize=4 >/dev/null 2>"$T/qemu.err" || rc=$?
	t1=$(now)
	wait "$vfs" 2>/dev/null || true
	# isa-debug-exit turns status s into (s << 1) | 1: /bin/true gives 1.
	if [ "$rc" -ne 1 ]; then
		echo "bench: QEMU run failed (status $rc): $(head -c 400 "$T/qemu.err")" >&2
		return 1
	fi
	echo $(((t1 - t0) / 1000000))
}

# One warm-up each, so that both start with a warm page cache.
run_mvm >/dev/null
run_qemu >/dev/null
: >"$T/mvm.times"
: >"$T/qemu.times"
for _ in $(seq "$RUNS"); do
	run_mvm >>"$T/mvm.times"
	run_qemu >>"$T/qemu.times"
done
m=$(median <"$T/mvm.times")
q=$(median <"$T/qemu.times")
stats=$(grep -o 'stats: .*' "$T/mvm.err" | tail -1)
echo "boot-to-exit of /bin/true, median of $RUNS runs:"
echo "  mvm:  ${m} ms   (runs: $(tr '\n' ' ' <"$T/mvm.times"))"
echo "  qemu: ${q} ms   (runs: $(tr '\n' ' ' <"$T/qemu.times"))"
awk -v m="$m" -v q="$q" 'BEGIN {printf "  ratio mvm/qemu: %.2f\n", m / q}'
echo "  mvm $stats"
