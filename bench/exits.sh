#!/usr/bin/env bash
# Where a sequential read's time goes: counts the guest's exits while it
# reads a file from its root share, served by mvm and by QEMU + virtiofsd
# (same kernel, same initramfs, both pinned to one CPU), from KVM's trace
# events. Not part of `make bench`: it needs root inside a harness whose
# kernel has the KVM trace events (bench.config or tracing.config):
#   MVM_WITH_KVM=qemu MVM_WITH_KVM_CONFIG=scripts/harness/bench.config \
#     scripts/with-kvm bench/exits.sh
# (after `make bench`, or at least `make build/bench/mkinitrd`, so that the
# QEMU guest boots the current mvm-init).
# Prints, for each server, the exits by reason, the exits that reached
# user space, and the MMIO accesses by register offset, in the window from
# just before the read to its end, and the same for one second of an idle
# guest (what the window's idle second costs).
#   BIG_MIB (64)
set -euo pipefail
BIG_MIB=${BIG_MIB:-64}
. "$(dirname "$0")/lib.sh"
TR=/sys/kernel/tracing
[ -d "$TR/events/kvm" ] || mount -t tracefs nodev "$TR" 2>/dev/null || true
[ -d "$TR/events/kvm" ] || { echo "exits: no KVM trace events under $TR (see the header)" >&2; exit 1; }
bench_setup
echo 65536 >"$TR/buffer_size_kb"
cat >"$ROOT/exits.sh" <<EOF
dd if=/dev/zero of=/big bs=1M count=$BIG_MIB conv=fsync 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
echo ready; sleep 1
dd if=/big of=/dev/null bs=1M 2>/dev/null
echo done; sleep 1
echo idle; sleep 1; echo idle-done; sleep 1
rm /big
EOF
"$BUILD/bench/mkinitrd" "$T/initrd" "$ROOT" /bin/sh /exits.sh

# wait_for FILE WORD: until a line of FILE is WORD (30 s at most).
wait_for() {
	local i
	for i in $(seq 600); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "exits: '$2' never came" >&2
	return 1
}
trace_on() {
	echo 0 >"$TR/tracing_on"
	: >"$TR/trace"
	for e in kvm_exit kvm_userspace_exit kvm_mmio; do echo 1 >"$TR/events/kvm/$e/enable"; done
	echo 1 >"$TR/tracing_on"
}
trace_off() { # NAME
	echo 0 >"$TR/tracing_on"
	cp "$TR/trace" "$T/trace.$1"
}
report() { # NAME
	local f=$T/trace.$1
	echo "== $1: $(grep -c 'kvm_exit:' "$f") exits, $(grep -c 'kvm_userspace_exit:' "$f") to user space"
	grep -o 'kvm_exit: vcpu [0-9]* reason [A-Za-z_0-9]*' "$f" | awk '{print $5}' | sort | uniq -c | sort -rn |
		awk '{printf "   exit %-24s %7d\n", $2, $1}'
	grep -o 'mmio [a-z]* len [0-9]* gpa 0x[0-9a-f]*' "$f" |
		awk '{ g = $6; printf "%s dev %s000 reg 0x%s\n", $2, substr(g, 1, length(g) - 3),
		       substr(g, length(g) - 2) }' | sort | uniq -c | sort -rn | head -8 |
		awk '{printf "   mmio %-5s %s %s %s %s %7d\n", $2, $3, $4, $5, $6, $1}'
}
# measure NAME OUTFILE: traces the read window and the idle second of
# the guest that is writing OUTFILE.
measure() {
	wait_for "$2" ready && trace_on && wait_for "$2" done && trace_off "$1" &&
		wait_for "$2" idle && trace_on && wait_for "$2" idle-done && trace_off "$1-idle"
}

PIN=${PIN-taskset -c 0}
$PIN env MVM_KERNEL="$KERNEL" "$MVM" run --root "$ROOT" --memory 256 -- /bin/sh /exits.sh >"$T/mvm.out" 2>"$T/mvm.err" &
mvm=$!
measure mvm "$T/mvm.out"
wait "$mvm"
PIN=$PIN qemu_vm "$T/initrd" &
qemu=$!
measure virtiofsd "$T/guest.out"
wait "$qemu"
for n in mvm mvm-idle virtiofsd virtiofsd-idle; do report "$n"; done
