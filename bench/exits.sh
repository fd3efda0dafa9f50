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
# Prints, for each server, the read's time by the guest's clock, how much
# of the window the guest spent in guest mode (its own work, which no
# server can take away: the floor under the read's time), what each thread
# ran on CPU 0, the exits by reason, the exits that reached user space and
# the MMIO accesses by register offset, in the window from just before the
# read to its end, and the same for one second of an idle guest (what the
# window's idle second costs).
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
ms() { read -r up _ </proc/uptime; echo \$(( \${up%.*} * 1000 + 10#\${up#*.} * 10 )); }
dd if=/dev/zero of=/big bs=1M count=$BIG_MIB conv=fsync 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
echo ready; sleep 1
t0=\$(ms); dd if=/big of=/dev/null bs=1M 2>/dev/null; t1=\$(ms)
echo "read \$((t1 - t0))"
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
	for e in kvm/kvm_exit kvm/kvm_entry kvm/kvm_userspace_exit kvm/kvm_mmio sched/sched_switch; do
		echo 1 >"$TR/events/$e/enable"
	done
	echo 1 >"$TR/tracing_on"
}
trace_off() { # NAME
	echo 0 >"$TR/tracing_on"
	cp "$TR/trace" "$T/trace.$1"
}
report() { # NAME [GUEST OUTPUT]
	local f=$T/trace.$1
	echo "== $1: $(grep -c 'kvm_exit:' "$f") exits, $(grep -c 'kvm_userspace_exit:' "$f") to user space"
	[ -z "${2:-}" ] || echo "   read by the guest's clock     $(awk '$1 == "read" { print $2 }' "$2") ms"
	cpu_time "$f"
	grep -o 'kvm_exit: vcpu [0-9]* reason [A-Za-z_0-9]*' "$f" | awk '{print $5}' | sort | uniq -c | sort -rn |
		awk '{printf "   exit %-24s %7d\n", $2, $1}'
	grep -o 'mmio [a-z]* len [0-9]* gpa 0x[0-9a-f]*' "$f" |
		awk '{ g = $6; printf "%s dev %s000 reg 0x%s\n", $2, substr(g, 1, length(g) - 3),
		       substr(g, length(g) - 2) }' | sort | uniq -c | sort -rn | head -8 |
		awk '{printf "   mmio %-5s %s %s %s %s %7d\n", $2, $3, $4, $5, $6, $1}'
}
# cpu_time TRACE: the time vCPUs spent in guest mode (kvm_entry to the next
# kvm_exit of the same thread) and what each thread ran on CPU 0, where the
# bench pins the VM, from sched_switch. Thread names may hold spaces
# (QEMU's "CPU 0/KVM"), so fields are found by their keys.
cpu_time() {
	awk '
	function ts_of(line) { match(line, / [0-9]+\.[0-9]+: /); return substr(line, RSTART + 1, RLENGTH - 3) + 0 }
	function pid_of(line,  m) { match(line, /-[0-9]+ +\[/); m = substr(line, RSTART + 1, RLENGTH - 1); sub(/ +\[/, "", m); return m }
	function key(line, k,  s) { s = substr(line, index(line, k "=") + length(k) + 1); sub(/ [a-z_]+=.*/, "", s); return s }
	/ kvm_entry: / { entry[pid_of($0)] = ts_of($0) }
	/ kvm_exit: / { p = pid_of($0); if (p in entry) { guest += ts_of($0) - entry[p]; delete entry[p] } }
	/ sched_switch: / && / \[000\] / {
		t = ts_of($0)
		if (cur != "") run[cur] += t - since
		cur = key($0, "next_comm"); since = t
	}
	END {
		printf "   in guest mode                 %d ms\n", guest * 1000
		for (c in run) if (run[c] >= 0.001) printf "   CPU 0 ran %6d ms  %s\n", run[c] * 1000, c | "sort -k4 -rn | head -6"
	}' "$1"
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
report mvm "$T/mvm.out"
report mvm-idle
report virtiofsd "$T/guest.out"
report virtiofsd-idle
