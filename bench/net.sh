#!/usr/bin/env bash
# TCP throughput through the port map, host -> guest and guest -> host:
# mvm (virtio-net on libslirp) against QEMU microvm with user networking
# (-netdev user,hostfwd=..., the same libslirp), same kernel, same mvm-init,
# same root. tests/vm/nettool.c moves NET_BYTES (default 100 MiB) of a
# checksummed stream and times it on the host, from the receiver's hello to
# its report, so boot time is not counted. Prints medians of NET_RUNS runs
# and mvm/QEMU ratios (above 1: mvm is faster).
# In the QEMU-TCG harness, guest -> host runs with both VMMs pinned to one
# CPU (taskset -c 0): the harness's emulated SVM faults on a guest that
# sends bulk data while mvm's device threads run on its second CPU
# (docs/net.md, "Known problems"). NET_PIN_DOWN=0 runs it unpinned there
# too (and reproduces the fault); on hardware KVM nothing is pinned.
set -euo pipefail
RUNS=${NET_RUNS:-3}
BYTES=${NET_BYTES:-$((100 * 1024 * 1024))}
NETTOOL=${NETTOOL:-${BUILD:-build}/vm/nettool}
. "$(dirname "$0")/lib.sh"
bench_setup "$NETTOOL"
cp "$NETTOOL" "$ROOT/bin/nettool"
"$BUILD/bench/mkinitrd" "$T/initrd-up" "$ROOT" /bin/nettool serve-recv 5000
"$BUILD/bench/mkinitrd" "$T/initrd-down" "$ROOT" /bin/nettool serve-send 5000 "$BYTES"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A fresh port for every run: the last run's connections may linger.
PORT=18599
next_port() {
	PORT=$((PORT + 1))
	while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
}

# host_side up|down WHO: the host's half of a transfer; prints MiB/s.
host_side() {
	local out=$T/host.out who="$2 $1"
	if [ "$1" = up ]; then
		"$NETTOOL" send 127.0.0.1 "$PORT" "$BYTES" >"$out" 2>&1
	else
		"$NETTOOL" recv 127.0.0.1 "$PORT" >"$out" 2>&1
	fi || { echo "bench: $who: nettool failed: $(tr '\n' '|' <"$out")" >&2; return 1; }
	grep -q "^got $BYTES \|matches" "$out" || { echo "bench: $who: incomplete transfer: $(tr '\n' '|' <"$out")" >&2; return 1; }
	sed -n 's/.*: \([0-9.]*\) MiB\/s$/\1/p' "$out"
}

mvm_run() { # up|down
	next_port
	local cmd=(serve-recv 5000)
	[ "$1" = up ] || cmd=(serve-send 5000 "$BYTES")
	MVM_KERNEL=$KERNEL ${PIN:-} "$MVM" run --root "$ROOT" --memory 256 -p "$PORT:5000" -- \
		/bin/nettool "${cmd[@]}" >"$T/mvm.out" 2>"$T/mvm.err" </dev/null &
	local vm=$! rate
	rate=$(host_side "$1" mvm) || { kill "$vm" 2>/dev/null || true; echo "bench: mvm said: $(head -c 400 "$T/mvm.err")" >&2; return 1; }
	wait "$vm" || { echo "bench: mvm $1 failed: $(head -c 400 "$T/mvm.err")" >&2; return 1; }
	echo "$rate"
}

qemu_run() { # up|down
	next_port
	qemu_vm "$T/initrd-$1" -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:5000" \
		-device virtio-net-device,netdev=n0 &
	local vm=$! rate
	rate=$(host_side "$1" qemu) || {
		pkill -P "$vm" 2>/dev/null || true
		echo "bench: qemu said: $(head -c 400 "$T/qemu.err"); guest stderr: $(head -c 400 "$T/guest.err")" >&2
		return 1
	}
	wait "$vm" || return 1
	echo "$rate"
}

PIN_DOWN=${NET_PIN_DOWN:-${MVM_IN_HARNESS:-0}}
for dir in up down; do
	PIN=
	if [ "$dir" = down ] && [ "$PIN_DOWN" = 1 ]; then PIN="taskset -c 0"; fi
	: >"$T/mvm.$dir"
	: >"$T/qemu.$dir"
	for _ in $(seq "$RUNS"); do
		mvm_run "$dir" >>"$T/mvm.$dir"
		qemu_run "$dir" >>"$T/qemu.$dir"
	done
done

echo "TCP throughput through the port map, $((BYTES / 1048576)) MiB, median of $RUNS runs (MiB/s):"
for dir in up down; do
	m=$(median <"$T/mvm.$dir")
	q=$(median <"$T/qemu.$dir")
	name="host -> guest"
	[ "$dir" = up ] || name="guest -> host$([ "$PIN_DOWN" = 1 ] && echo ' (both pinned to one CPU)')"
	printf '  %s:  mvm %s   qemu %s   ratio mvm/qemu: %s   (mvm runs: %s; qemu runs: %s)\n' "$name" "$m" "$q" \
		"$(awk -v m="$m" -v q="$q" 'BEGIN {printf "%.2f", m / q}')" \
		"$(tr '\n' ' ' <"$T/mvm.$dir" | sed 's/ $//')" "$(tr '\n' ' ' <"$T/qemu.$dir" | sed 's/ $//')"
done
