#!/usr/bin/env bash
# Boot-to-exit time of /bin/true: mvm against QEMU microvm booting the same
# kernel and the same initramfs (mvm-init), with the same root served by
# QEMU's virtiofsd. Runs where KVM works (make bench wraps it in
# scripts/with-kvm). Prints medians, their ratio, mvm's VM exits and RSS.
set -euo pipefail
RUNS=${RUNS:-7}
. "$(dirname "$0")/lib.sh"
bench_setup
"$BUILD/bench/mkinitrd" "$T/initrd" "$ROOT" /bin/true

now() { date +%s%N; }
run_mvm() { # [MORE OPTIONS]
	local t0 t1
	t0=$(now)
	MVM_KERNEL=$KERNEL "$MVM" run --log-level info --root "$ROOT" --memory 256 "$@" -- /bin/true 2>"$T/mvm.err" >/dev/null
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}

run_qemu() {
	local t0 t1
	t0=$(now)
	qemu_vm "$T/initrd" || return 1
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}

# One warm-up each, so that both start with a warm page cache.
run_mvm >/dev/null
run_qemu >/dev/null
: >"$T/mvm.times"
: >"$T/nosc.times"
: >"$T/qemu.times"
# The two mvm settings take turns going first: with a fixed order, the
# one going first came out ~15% faster in the harness.
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) -eq 1 ]; then
		run_mvm --no-seccomp --no-jail >>"$T/nosc.times"
		run_mvm >>"$T/mvm.times"
	else
		run_mvm >>"$T/mvm.times"
		run_mvm --no-seccomp --no-jail >>"$T/nosc.times"
	fi
	run_qemu >>"$T/qemu.times"
done
m=$(median <"$T/mvm.times")
n=$(median <"$T/nosc.times")
q=$(median <"$T/qemu.times")
stats=$(grep -o 'stats: kvm_exits.*' "$T/mvm.err" | tail -1)
echo "boot-to-exit of /bin/true, median of $RUNS runs:"
echo "  mvm:  ${m} ms   (runs: $(tr '\n' ' ' <"$T/mvm.times"))"
echo "  qemu: ${q} ms   (runs: $(tr '\n' ' ' <"$T/qemu.times"))"
echo "  mvm --no-seccomp --no-jail: ${n} ms   (runs: $(tr '\n' ' ' <"$T/nosc.times"))"
awk -v m="$m" -v q="$q" -v n="$n" 'BEGIN {printf "  ratio mvm/qemu: %.2f\n  ratio mvm/unsandboxed: %.2f\n", m / q, m / n}'
echo "  mvm $stats"
