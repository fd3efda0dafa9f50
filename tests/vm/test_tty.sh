#!/usr/bin/env bash
# `mvm run -t` through a real terminal: tmux runs mvm in a pane of a known
# size, types into it and reads the screen (docs/init.md, "A terminal"):
# the program sees a terminal of the pane's size, input is echoed and
# read line by line, Ctrl-C interrupts the program, a resize reaches it
# as SIGWINCH, and the pane's own settings come back when mvm ends.
. "$(dirname "$0")/guest.sh"

if ! command -v tmux >/dev/null; then
	fail "tmux" "not installed (.ci/run installs it)"
	finish
	exit
fi
SOCK=$WORK/tmux.sock
MVM_ABS=$(cd "$(dirname "$MVM")" && pwd)/$(basename "$MVM")
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; rm -rf "$ROOT" "$WORK"' EXIT

# session NAME CMD: runs `mvm run -t -- /bin/sh -c CMD` in a detached
# 100x30 tmux session; the pane then shows EXIT=status, and the terminal
# settings before and after mvm go to $WORK/NAME.before and .after.
session() {
	local name=$1 cmd=$2
	cat >"$WORK/$name.sh" <<SCRIPT
stty -g >"$WORK/$name.before"
"$MVM_ABS" run --root "$ROOT" --memory ${MEM:-256} -t -- /bin/sh -c '$cmd'
echo "EXIT=\$?"
stty -g >"$WORK/$name.after"
sleep 600
SCRIPT
	tmux -S "$SOCK" new-session -d -s "$name" -x 100 -y 30 "sh $WORK/$name.sh"
}

screen() { tmux -S "$SOCK" capture-pane -p -t "$1" 2>/dev/null; }

# wait_for NAME TEXT: true once the pane shows TEXT (grep -F), within
# TTY_WAIT seconds (default 180). Counted in time, not polls: under TCG one
# capture-pane can take longer than a second.
wait_for() {
	local end=$((SECONDS + ${TTY_WAIT:-180}))
	while [ "$SECONDS" -lt "$end" ]; do
		screen "$1" | grep -qF -- "$2" && return 0
		sleep 0.5
	done
	return 1
}

# check NAME SESSION TEXT: a test that the pane shows TEXT.
check() {
	if wait_for "$2" "$3"; then pass "$1"; else fail "$1" "the screen was: $(screen "$2" | grep -v '^$')"; fi
}

session line 'stty size; tty; read -r line; echo "got:$line"; exit 3'
check "the program's terminal has the pane's size" line "30 100"
check "the program's stdin is a pty" line "/dev/pts/"
tmux -S "$SOCK" send-keys -t line "hello there" Enter
check "typed input is read as a line" line "got:hello there"
if screen line | grep -q "^hello there"; then pass "the guest's terminal echoes input"; else
	fail "the guest's terminal echoes input" "$(screen line | grep -v '^$')"
fi
check "the program's exit status is mvm's" line "EXIT=3"
if [ -s "$WORK/line.before" ] && cmp -s "$WORK/line.before" "$WORK/line.after"; then
	pass "the pane's terminal settings are restored"
else
	fail "the pane's terminal settings are restored" "before $(cat "$WORK/line.before" 2>&1), after $(cat "$WORK/line.after" 2>&1)"
fi

session intr 'echo ready; sleep 100; echo not-interrupted'
check "a program that waits" intr "ready"
tmux -S "$SOCK" send-keys -t intr C-c
check "Ctrl-C interrupts the guest program (130)" intr "EXIT=130"

session winch 'trap "stty size" WINCH; echo ready; while :; do sleep 1; done'
check "a program that reports SIGWINCH" winch "ready"
tmux -S "$SOCK" resize-window -t winch -x 120 -y 40
check "a resize reaches the program as SIGWINCH with the new size" winch "40 120"
tmux -S "$SOCK" send-keys -t winch C-c
check "and Ctrl-C ends it" winch "EXIT=130"

# `mvm exec -it` into a running VM (docs/agent.md): a shell in a terminal
# of the pane's size, a typed command, Ctrl-C of a child, its exit status.
VSOCK=$WORK/v.sock
"$MVM_ABS" run --root "$ROOT" --memory "${MEM:-256}" --vsock "$VSOCK" -- /bin/sh -c \
	'while [ ! -e /tmp/stop ]; do sleep 1; done' >"$WORK/vm.out" 2>&1 </dev/null &
VM=$!
cat >"$WORK/ex.sh" <<SCRIPT
stty -g >"$WORK/ex.before"
"$MVM_ABS" exec --timeout 600 -it "$VSOCK" /bin/sh
echo "EXIT=\$?"
stty -g >"$WORK/ex.after"
sleep 600
SCRIPT
tmux -S "$SOCK" new-session -d -s ex -x 90 -y 25 "sh $WORK/ex.sh"
tmux -S "$SOCK" send-keys -t ex 'stty size; echo "x$((6 * 7))y"' Enter
check "exec -it: the shell's terminal has the pane's size" ex "25 90"
check "exec -it: a typed command runs" ex "x42y"
tmux -S "$SOCK" send-keys -t ex 'sleep 100' Enter
sleep 3
tmux -S "$SOCK" send-keys -t ex C-c
tmux -S "$SOCK" send-keys -t ex 'echo "after$((1 + 1))"' Enter
# Within 40 s: the sleep would hold the line for 100.
TTY_WAIT=40 check "exec -it: Ctrl-C stops the shell's child, not the shell" ex "after2"
tmux -S "$SOCK" send-keys -t ex 'touch /tmp/stop; exit 5' Enter
check "exec -it: the shell's exit status is mvm's" ex "EXIT=5"
if [ -s "$WORK/ex.before" ] && cmp -s "$WORK/ex.before" "$WORK/ex.after"; then
	pass "exec -it: the pane's terminal settings are restored"
else
	fail "exec -it: the pane's terminal settings are restored" "before $(cat "$WORK/ex.before" 2>&1), after $(cat "$WORK/ex.after" 2>&1)"
fi
wait "$VM"
expect_eq "exec -it: the VM ends with its program" 0 "$?" "$(tail -c 300 "$WORK/vm.out")"

finish
