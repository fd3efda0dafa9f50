#!/usr/bin/env bash
# The DAX window of virtio-fs shares (docs/fuse.md, "The DAX window"):
# large files reach the guest through a mapping of the host's page cache,
# guest writes land in the host file, and a file the host truncates under
# a guest's mapping does not end the VM.
. "$(dirname "$0")/guest.sh"

MAPTOOL=${MAPTOOL:-${BUILD:-build}/vm/maptool}
SHARE=$(mktemp -d /tmp/mvm-dax.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$SHARE"' EXIT
cp "$MAPTOOL" "$ROOT/bin/maptool"
head -c $((8 << 20)) /dev/urandom >"$SHARE/big"
want=$(md5sum <"$SHARE/big" | cut -d' ' -f1)

# Windows are off by default (docs/fuse.md): every run here asks for one.
# Read through the window: the same bytes, and the share said it has one.
mvm_run --log-level debug --dax-window 256 -v "$SHARE:/mnt/s" -- /bin/sh -c 'md5sum </mnt/s/big'
expect_out "an 8 MiB file read through the DAX window" "$want  -"
expect_contains "the guest negotiated the window" "$WORK/err" "DAX window"

# Without a window (the default) the same read goes through READ requests.
mvm_run --log-level debug -v "$SHARE:/mnt/s" -- /bin/sh -c 'md5sum </mnt/s/big'
expect_out "the same file read without a window" "$want  -"
if grep -q "DAX window" "$WORK/err"; then
	fail "no window by default" "$(grep -m1 'DAX window' "$WORK/err")"
else
	pass "no window by default"
fi

# A write inside the file goes through the mapping into the host's file.
cp "$SHARE/big" "$WORK/expected"
dd if=/dev/zero of="$WORK/expected" bs=4096 count=3 seek=300 conv=notrunc status=none
mvm_run --dax-window 256 -v "$SHARE:/mnt/s" -- /bin/sh -c \
	'md5sum </mnt/s/big >/dev/null && dd if=/dev/zero of=/mnt/s/big bs=4096 count=3 seek=300 conv=notrunc 2>/dev/null && echo written'
expect_out "guest write inside a mapped file" "written"
if cmp -s "$SHARE/big" "$WORK/expected"; then
	pass "the host file holds the guest's write, nothing else changed"
else
	fail "the host file holds the guest's write, nothing else changed" "$(cmp "$SHARE/big" "$WORK/expected" 2>&1 | head -1)"
fi

# The host truncates a file that a guest program has mapped. The guest
# kernel still believes the pages are there; touching them faults inside
# KVM_RUN, which ended the VM before the repair existed.
head -c $((8 << 20)) /dev/urandom >"$SHARE/big"
mvm_start map --log-level warn --dax-window 256 -v "$SHARE:/mnt/s" -- /bin/maptool /mnt/s/big /mnt/s/go
run=$!
for _ in $(seq 1 600); do
	grep -q '^mapped' "$WORK/map.out" 2>/dev/null && break
	kill -0 "$run" 2>/dev/null || break
	sleep 0.2
done
vmm=$(pgrep -P "$run" | head -1)
if [ -n "$vmm" ] && grep -q "$SHARE/big" "/proc/$vmm/maps" 2>/dev/null; then
	pass "the VMM maps the file into the window"
else
	fail "the VMM maps the file into the window" "pid '${vmm:-none}', out: $(cat "$WORK/map.out")"
fi
truncate -s $((1 << 20)) "$SHARE/big"
touch "$SHARE/go"
wait "$run"
RC=$?
expect_eq "the VM outlives the truncation (status)" "0" "$RC"
expect_contains "the guest read the old mapping again" "$WORK/map.out" "after "
expect_contains "mvm says why the guest reads zeros" "$WORK/map.err" "past the end of their file"

finish
