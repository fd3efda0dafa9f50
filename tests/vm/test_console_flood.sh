#!/usr/bin/env bash
# A guest that writes endlessly to its consoles slows only its own output
# (issue 9, defect 5). On 7dfb5e5 the control console hvc2 wrote into a
# pipe that the VMM's own event loop read: once a flood filled it, the
# loop waited up to 10 s for itself, again and again, and every device of
# the VM (virtio-fs included) stalled with it.
. "$(dirname "$0")/guest.sh"

# 2000 file-system round trips while a background writer floods hvc2. The
# loop takes ~2-5 s in the emulated machine with no flood; on 7dfb5e5 each
# stall cost 10 s, so 60 s tells the two apart with a wide margin.
mkdir -p "$ROOT/data"
FLOOD='i=0; while [ $i -lt 2000 ]; do echo $i >/data/f; cat /data/f >/dev/null; i=$((i+1)); done'
start=$(date +%s)
MVM_RUN_TIMEOUT=120 mvm_run -- /bin/sh -c "(yes flood-the-control-console >/dev/hvc2 2>/dev/null &); $FLOOD; echo done"
took=$(($(date +%s) - start))
expect_out "flooded control console: the program completes" "done"
if [ "$took" -le 60 ]; then
	ok "flooded control console: 2000 fs round trips within 60 s (took ${took} s)"
else
	fail "flooded control console: 2000 fs round trips within 60 s" "took ${took} s"
fi

# The program's own stdout going to a reader that does not read: the VM's
# file system goes on meanwhile; the output arrives whole once it reads.
FIFO=$WORK/slow.fifo
mkfifo "$FIFO"
timeout -k 10 180 "$MVM" run --root "$ROOT" --memory 256 -- /bin/sh -c \
	"(i=0; while [ \$i -lt 3000 ]; do echo line-\$i; i=\$((i+1)); done) & $FLOOD; echo fs-done >/data/fs-done; wait; echo end" \
	>"$FIFO" 2>"$WORK/slow.err" &
VM=$!
exec 3<"$FIFO"
# Read nothing until the guest's file-system loop has finished.
for _ in $(seq 1 120); do [ -e "$ROOT/data/fs-done" ] && break; sleep 1; done
if [ -e "$ROOT/data/fs-done" ]; then
	ok "stalled stdout reader: the guest's file system goes on"
else
	fail "stalled stdout reader: the guest's file system goes on" "no fs-done after 120 s: $(head -c 300 "$WORK/slow.err")"
fi
cat <&3 >"$WORK/slow.out"
exec 3<&-
wait "$VM"
RC=$?
{ seq 0 2999 | sed 's/^/line-/'; echo end; } >"$WORK/slow.want"
if cmp -s "$WORK/slow.want" "$WORK/slow.out" && [ "$RC" -eq 0 ]; then
	ok "stalled stdout reader: every line arrives, in order, then the end"
else
	fail "stalled stdout reader: every line arrives, in order, then the end" \
		"status $RC, $(grep -c '^line-' "$WORK/slow.out") lines, last [$(tail -n 1 "$WORK/slow.out")]: $(head -c 300 "$WORK/slow.err")"
fi
finish
