#!/usr/bin/env bash
# Named sandboxes through real guests (docs/sandbox.md): create, start,
# exec by name, logs, stop (the guest shut down by its init), start again
# with the files kept, ps in both formats, a VM process killed with SIGKILL shown
# as dead and cleaned up by rm, rm -f of a running one, and two creates
# racing for one name. Also the memory an idle sandbox's VM process takes.
. "$(dirname "$0")/guest.sh"

export MVM_HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run
mkdir -p "$XDG_RUNTIME_DIR"
M() { timeout -k 5 600 "$MVM" "$@"; }
state() { M ps --format json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state + (if .exit_status != null then " " + (.exit_status | tostring) else "" end)'; }

M create --name box --root "$ROOT" --memory 256 -e FROM=create -e KEEP=1 -- /bin/sh -c \
	'echo started; while [ ! -e /tmp/stop ]; do sleep 1; done; echo bye' >"$WORK/create.out" 2>&1
expect_eq "create prints the name" "box" "$(cat "$WORK/create.out")"
expect_eq "a created sandbox does not run" "created" "$(state box)"
M create --name box --root "$ROOT" -- /bin/true >/dev/null 2>"$WORK/dup.err"
RC=$?
expect_eq "a second create of the name fails" 125 "$RC"
expect_contains "... saying so" "$WORK/dup.err" "exists already"

M start box >"$WORK/start.out" 2>&1
expect_eq "start" "box" "$(cat "$WORK/start.out")"
expect_eq "a started sandbox runs" "running" "$(state box)"
M exec --timeout 600 box /bin/sh -c 'echo kept >/persist.txt; echo from-exec' >"$WORK/exec.out" 2>&1
expect_eq "exec by name" "from-exec" "$(cat "$WORK/exec.out")"
M exec -e FROM=exec box /bin/sh -c 'echo "$FROM $KEEP"' >"$WORK/env.out" 2>&1
expect_eq "exec by name starts from the sandbox's env; -e replaces a key" "exec 1" "$(cat "$WORK/env.out")"
M start box >/dev/null 2>"$WORK/again.err"
expect_contains "start of a running sandbox fails" "$WORK/again.err" "running already"
M rm box >/dev/null 2>"$WORK/rmrun.err"
expect_contains "rm of a running sandbox needs -f" "$WORK/rmrun.err" "is running"
pid=$(M ps --format json | jq -r '.[] | select(.name == "box") | .pid')
echo "idle sandbox: its VM process (pid $pid) uses $(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ') KiB resident ($(grep -E 'VmRSS|RssAnon' /proc/"$pid"/status 2>/dev/null | tr -s ' \t' ' ' | tr '\n' ';'))"
M logs box >"$WORK/logs1" 2>&1
expect_contains "logs: the program's output" "$WORK/logs1" "started"

M stop box >"$WORK/stop.out" 2>&1
expect_eq "stop" "box" "$(cat "$WORK/stop.out")"
expect_eq "a stopped sandbox: its program's status (SIGTERM)" "exited 143" "$(state box)"

M start box >/dev/null 2>&1
M exec --timeout 600 box cat /persist.txt >"$WORK/kept.out" 2>&1
expect_eq "start again: the files are kept" "kept" "$(cat "$WORK/kept.out")"
M exec box /bin/touch /tmp/stop >/dev/null 2>&1
for _ in $(seq 1 600); do [ "$(state box)" = "running" ] || break; sleep 0.2; done
expect_eq "its program ends: the sandbox exits with its status" "exited 0" "$(state box)"
expect_eq "logs: both starts, appended" 2 "$(M logs box | grep -c started)"

# mvm cp, both ways, a file and a tree (docs/sandbox.md, "Copying").
M start box >/dev/null 2>&1
head -c 300000 /dev/urandom >"$WORK/f.bin"
mkdir -p "$WORK/tree/sub/deeper"
echo one >"$WORK/tree/a.txt"
head -c 70000 /dev/urandom >"$WORK/tree/sub/deeper/b.bin"
ln -s a.txt "$WORK/tree/link"
chmod 0751 "$WORK/tree/sub"
M exec --timeout 600 box /bin/true >/dev/null 2>&1
M cp "$WORK/f.bin" box:/tmp >"$WORK/cp1.out" 2>&1
expect_eq "cp a file into a guest directory" 0 "$?" "$(cat "$WORK/cp1.out")"
expect_eq "... its bytes" "$(md5sum <"$WORK/f.bin" | awk '{print $1}')" \
	"$(M exec box /bin/sh -c 'md5sum </tmp/f.bin' | awk '{print $1}')"
M cp "$WORK/tree" box:/tmp/t2 >"$WORK/cp2.out" 2>&1
expect_eq "cp a tree in, under a new name" 0 "$?" "$(cat "$WORK/cp2.out")"
expect_eq "... its shape" "/tmp/t2 /tmp/t2/a.txt /tmp/t2/link /tmp/t2/sub /tmp/t2/sub/deeper /tmp/t2/sub/deeper/b.bin" \
	"$(M exec box /bin/sh -c 'find /tmp/t2 | sort' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "... a symlink stays one, a mode stays" "a.txt 751" \
	"$(M exec box /bin/sh -c 'echo $(readlink /tmp/t2/link) $(stat -c %a /tmp/t2/sub)')"
M cp box:/tmp/t2 "$WORK/back" >"$WORK/cp3.out" 2>&1
expect_eq "cp a tree out" 0 "$?" "$(cat "$WORK/cp3.out")"
if diff -r "$WORK/tree" "$WORK/back" >"$WORK/diff.out" 2>&1 && [ -L "$WORK/back/link" ]; then
	ok "... the same tree comes back"
else
	fail "... the same tree comes back" "$(head -c 300 "$WORK/diff.out")"
fi
mkdir "$WORK/into"
M cp box:/tmp/f.bin "$WORK/into" >"$WORK/cp4.out" 2>&1
expect_eq "cp a file out into a directory" "$(md5sum <"$WORK/f.bin")" "$(md5sum <"$WORK/into/f.bin" 2>&1)"
M cp box:/nonexistent "$WORK/x" >"$WORK/cp5.out" 2>&1
expect_eq "cp of a missing guest path fails" 125 "$?" "$(cat "$WORK/cp5.out")"
M cp "$WORK/f.bin" "$WORK/g.bin" >"$WORK/cp6.out" 2>&1
expect_contains "cp needs one NAME:PATH side" "$WORK/cp6.out" "exactly one of"

# A hostile guest's archive: its `tar` answers with entries that climb out
# (x/../../escape) or lie beside the copied name; nothing lands outside.
python3 - "$ROOT/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("x", "x/../../escape", "other"):
        data = b"pwned"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
mkdir -p "$ROOT/usr/local/bin"
printf '#!/bin/sh\ncat /evil.tar\n' >"$ROOT/usr/local/bin/tar"
chmod 755 "$ROOT/usr/local/bin/tar"
mkdir "$WORK/evil"
M cp box:/x "$WORK/evil/x" >"$WORK/cp7.out" 2>&1
expect_eq "cp from a hostile guest fails" 125 "$?" "$(cat "$WORK/cp7.out")"
if [ ! -e "$WORK/escape" ] && [ ! -e "$WORK/evil/escape" ] && [ ! -e "$WORK/evil/other" ]; then
	ok "... and writes nothing outside its target"
else
	fail "... and writes nothing outside its target" "$(find "$WORK" -name escape -o -name other | tr '\n' ' ')"
fi
rm -f "$ROOT/usr/local/bin/tar"
M stop box >/dev/null 2>&1

# A VM process killed outright: ps says so, rm cleans up.
M start box >/dev/null 2>&1
pid=$(M ps --format json | jq -r '.[] | select(.name == "box") | .pid')
kill -9 "$pid"
for _ in $(seq 1 100); do [ "$(state box)" = "running" ] || break; sleep 0.1; done
expect_eq "a killed VM process: dead" "dead" "$(state box)"
M rm box >"$WORK/rm.out" 2>&1
expect_eq "rm" "box" "$(cat "$WORK/rm.out")"
expect_eq "rm: gone from ps" "[]" "$(M ps --format json)"
if [ -z "$(ls -A "$MVM_HOME/sandboxes")" ] && [ ! -e "$XDG_RUNTIME_DIR/mvm/box" ]; then
	ok "rm: nothing left behind"
else
	fail "rm: nothing left behind" "$(ls -la "$MVM_HOME/sandboxes" "$XDG_RUNTIME_DIR/mvm" 2>&1 | tr '\n' '|')"
fi

# rm -f of a running sandbox.
M create --name box2 --root "$ROOT" -- /bin/sleep 10000 >/dev/null
M start box2 >/dev/null
M rm -f box2 >"$WORK/rmf.out" 2>&1
expect_eq "rm -f of a running sandbox" "box2" "$(cat "$WORK/rmf.out")"
expect_eq "... gone" "[]" "$(M ps --format json)"

# Two creates racing for one name: one wins, one fails cleanly.
for i in 1 2 3 4; do
	M create --name race --root "$ROOT" -- /bin/true >"$WORK/race$i.out" 2>&1 &
done
wait
won=$(cat "$WORK"/race*.out | grep -cx race)
expect_eq "four creates race for a name: one wins" 1 "$won"
expect_eq "... and the winner is whole" "created" "$(state race)"
M rm race >/dev/null

finish
