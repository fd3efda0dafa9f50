# What the benchmarks share (source it).

# bench_setup [FILE...]: sets BUILD, MVM, KERNEL and VIRTIOFSD, checks that
# they and every FILE exist and that QEMU is installed, and makes a scratch
# dir T (removed on exit) holding ROOT, a private copy of the root.
bench_setup() {
	BUILD=${BUILD:-build}
	MVM=$BUILD/mvm
	KERNEL=${MVM_KERNEL:-$BUILD/vmlinux}
	VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
	local f
	for f in "$MVM" "$KERNEL" "$VIRTIOFSD" "$BUILD/bench/mkinitrd" "$@"; do
		[ -e "$f" ] || { echo "bench: missing $f" >&2; exit 1; }
	done
	command -v qemu-system-x86_64 >/dev/null || { echo "bench: qemu-system-x86_64 missing" >&2; exit 1; }
	T=$(mktemp -d "${TMPDIR:-/tmp}/mvm-bench.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	ROOT=$T/root
	mkdir -p "$ROOT"
	cp -a "${ROOTFS:-$BUILD/rootfs}/." "$ROOT/"
}

# QEMU microvm set up like an mvm VM: same kernel, an initramfs from
# bench/mkinitrd (mvm-init and its config), the root served by QEMU's
# virtiofsd, three virtio consoles and the exit port mvm-init writes to.
# PIN (optional) is a command prefix for QEMU, such as "taskset -c 0".

# qemu_vm INITRD [QEMU ARG...]: boots, waits for the guest to power off and
# fails unless the program exited 0. The program's stdout and stderr go to
# $T/guest.out and $T/guest.err (shown when it fails).
qemu_vm() {
	local initrd=$1 rc=0 waited=0
	shift
	# The socket cannot live in T, which may be on 9p (the harness's view
	# of the tree), where a socket file cannot be made: virtiofsd's
	# listen fails and QEMU would wait for it forever.
	local sock_dir
	sock_dir=$(mktemp -d /tmp/mvm-bench-vfs.XXXXXX)
	local sock=$sock_dir/vfs.sock
	"$VIRTIOFSD" --socket-path="$sock" -o source="$ROOT" -o cache=auto >"$T/virtiofsd.err" 2>&1 &
	local vfs=$!
	while [ ! -S "$sock" ]; do
		if ! kill -0 "$vfs" 2>/dev/null || [ "$waited" -ge 10000 ]; then
			echo "bench: virtiofsd did not listen on $sock: $(head -c 400 "$T/virtiofsd.err")" >&2
			kill "$vfs" 2>/dev/null
			rm -rf "$sock_dir"
			return 1
		fi
		sleep 0.001
		waited=$((waited + 1))
	done
	${PIN:-} timeout "${BENCH_RUN_TIMEOUT:-600}" qemu-system-x86_64 -M microvm,acpi=off,x-option-roms=off,rtc=off,auto-kernel-cmdline=on \
		-enable-kvm -cpu host,-arch-capabilities -smp 1 -m 256m \
		-object memory-backend-memfd,id=mem,size=256m,share=on -numa node,memdev=mem \
		-global virtio-mmio.force-legacy=false \
		-nodefaults -no-user-config -nographic -no-reboot \
		-kernel "$KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 reboot=t panic=-1 pci=off nomodule 8250.nr_uarts=1 rdinit=/init no_timer_check tsc=reliable quiet loglevel=1" \
		-serial none \
		-device virtio-serial-device -chardev file,id=c0,path="$T/guest.out" \
		-chardev file,id=c1,path="$T/guest.err" -chardev null,id=c2 \
		-device virtconsole,chardev=c0 -device virtconsole,chardev=c1 -device virtconsole,chardev=c2 \
		-chardev socket,id=vfs,path="$sock" \
		-device vhost-user-fs-device,chardev=vfs,tag=/dev/root \
		-device isa-debug-exit,iobase=0x501,iosize=4 "$@" >/dev/null 2>"$T/qemu.err" || rc=$?
	# A QEMU killed by the timeout leaves virtiofsd waiting on its socket.
	[ "$rc" -ne 124 ] || kill "$vfs" 2>/dev/null
	wait "$vfs" 2>/dev/null || true
	rm -rf "$sock_dir"
	# isa-debug-exit turns status s into (s << 1) | 1: exit 0 gives 1.
	if [ "$rc" -ne 1 ]; then
		echo "bench: QEMU run failed (status $rc): $(head -c 400 "$T/qemu.err")" \
			"guest stderr: $(head -c 400 "$T/guest.err" | tr '\n' '|')" >&2
		return 1
	fi
}

# median: of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {m=(NR+1)/2; if (NR%2) print a[m]; else print (a[NR/2]+a[NR/2+1])/2}'; }
