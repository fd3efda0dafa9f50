#!/usr/bin/env bash
# Named sandboxes through real guests (docs/sandbox.md): create, start,
# exec by name, logs, stop (SIGTERM to the program), start again with the
# files kept, ps in both formats, a VM process killed with SIGKILL shown
# as dead and cleaned up by rm, rm -f of a running one, and two creates
# racing for one name. Also the memory an idle sandbox's VM process takes.
. "$(dirname "$0")/guest.sh"

export MVM_HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run
mkdir -p "$XDG_RUNTIME_DIR"
M() { timeout -k 5 600 "$MVM" "$@"; }
state() { M ps --format json | jq -r --arg n "$1" '.[] | select(.name == $n) | .state + (if .exit_status != null then " " + (.exit_status | tostring) else "" end)'; }

M create --name box --root "$ROOT" --memory 256 -- /bin/sh -c \
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
