#!/usr/bin/env bash
# mvm-runtime (docs/oci.md) driven as runc's clients drive it, through
# real guests: a bundle of the test root whose process sees its args, env,
# cwd, user and a bind mount, and ends with its own status; state through
# created, running and stopped; kill TERM as a clean shutdown; kill KILL;
# delete. (podman and containerd come next: docs/oci.md, "Not yet".)
. "$(dirname "$0")/guest.sh"

RT=${MVM_RUNTIME:-$BUILD/mvm-runtime-san}
NETTOOL=${NETTOOL:-$BUILD/vm/nettool}
R() { timeout -k 5 300 "$RT" --root "$WORK/ocir" "$@"; }
st() { R state "$1" 2>&1 | jq -r .status 2>&1; }
wait_status() { # ID STATUS: up to 4 minutes
	for _ in $(seq 1200); do [ "$(st "$1")" = "$2" ] && return 0; sleep 0.2; done
	return 1
}

B=$WORK/bundle
mkdir -p "$B" "$WORK/data"
ln -s "$ROOT" "$B/rootfs"
echo shared >"$WORK/data/f"
printf '10.0.0.1 db\n' >"$WORK/hosts"
chmod 0666 "$WORK/hosts" # writable to the program but for the ro bind
config() { # ARGS-JSON [JQ-EDIT]
	jq -n --argjson args "$1" --arg data "$WORK/data" --arg hosts "$WORK/hosts" '{
	  ociVersion: "1.0.2", hostname: "c0ffee",
	  process: {terminal: false, user: {uid: 1000, gid: 1001, additionalGids: [10, 20]}, args: $args,
	    env: ["PATH=/usr/bin:/bin", "FOO=bar"], cwd: "/tmp",
	    capabilities: {bounding: ["CAP_CHOWN"]}, noNewPrivileges: true},
	  root: {path: "rootfs"},
	  mounts: [{destination: "/proc", type: "proc", source: "proc"},
	    {destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]},
	    {destination: "/etc/hosts", type: "bind", source: $hosts, options: ["bind", "rprivate"]},
	    {destination: "/run/.containerenv", type: "bind", source: $hosts, options: ["bind", "ro"]},
	    {destination: "/dev/mqueue", type: "mqueue", source: "mqueue"},
	    {destination: "/run/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=1770", "size=1m", "rprivate"]},
	    {destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"]}],
	  linux: {resources: {memory: {limit: 268435456}}, sysctl: {"net.ipv4.ping_group_range": "0 0"},
	    namespaces: [{type: "pid"}, {type: "mount"}]}} | '"${2:-.}" >"$B/config.json"
}

config '["/bin/sh", "-c", "echo \"hi $FOO $(pwd) $(id -u):$(id -g) $(cat /data/f) $(hostname) $(cat /etc/hosts) $(tr \"\\t\" \" \" </proc/sys/net/ipv4/ping_group_range)\"; echo x >/run/.containerenv || echo ro; echo \"$(id -G) $(stat -c %a /run/scratch) $(grep \" /run/scratch \" /proc/mounts | cut -d\" \" -f3,4)\"; echo err >&2; exit 7"]'
R create --bundle "$B" --pid-file "$WORK/c1.pid" c1 >"$WORK/c1.out" 2>"$WORK/c1.err"
expect_eq "create" 0 "$?" "$(cat "$WORK/c1.err")"
expect_eq "a created container waits" created "$(st c1)"
pid=$(cat "$WORK/c1.pid")
expect_eq "its pid is the VM's process" "$pid" "$(R state c1 | jq -r .pid)"
R start c1 2>"$WORK/start.err"
expect_eq "start" 0 "$?" "$(cat "$WORK/start.err")"
wait_status c1 stopped
expect_eq "the program runs and the container stops" stopped "$(st c1)" "$(cat "$WORK/c1.err")"
expect_eq "its stdout is create's: args, env, cwd, user, a bind mount, host name, a bound file, a sysctl, a read-only bound file, additionalGids, a tmpfs" \
	"hi bar /tmp 1000:1001 shared c0ffee 10.0.0.1 db 0 0
ro
1001 10 20 1770 tmpfs rw,nosuid,relatime,size=1024k,mode=1770" "$(cat "$WORK/c1.out")" "$(tail -c 400 "$WORK/c1.err")"
expect_eq "the bound files on the host are unchanged" "10.0.0.1 db" "$(cat "$WORK/hosts")"
expect_contains "its stderr is create's" "$WORK/c1.err" "err"
expect_eq "the VM's process ends with the program's status" 7 "$(head -1 "$WORK/ocir/c1/status")"
R delete c1
expect_eq "delete" 0 "$?"
[ ! -e "$WORK/ocir/c1" ] && ok "... leaves nothing" || fail "... leaves nothing" "$(ls -la "$WORK/ocir/c1")"

# root.readonly and a read-only directory bind: writes fail in the guest,
# reads work, and the guest's mounts say ro.
config '["/bin/sh", "-c", "touch /x 2>/dev/null || echo root-ro; touch /data/y 2>/dev/null || echo bind-ro; cat /data/f; grep \" /data \" /proc/mounts | cut -d\" \" -f4 | cut -d, -f1; grep \" / \" /proc/mounts | cut -d\" \" -f4 | cut -d, -f1"]' \
	'.root.readonly = true | (.mounts[] | select(.destination == "/data") | .options) = ["rbind", "ro"]'
R create --bundle "$B" ro >"$WORK/ro.out" 2>"$WORK/ro.err" && R start ro && wait_status ro stopped
expect_eq "a read-only root and a read-only bind: writes refused, reads work" "root-ro
bind-ro
shared
ro
ro" "$(cat "$WORK/ro.out")" "$(tail -c 400 "$WORK/ro.err")"
[ ! -e "$ROOT/x" ] && [ ! -e "$WORK/data/y" ] && ok "... nothing written on the host" ||
	fail "... nothing written on the host" "$(ls "$ROOT/x" "$WORK/data/y" 2>&1)"
R delete ro

# kill TERM: the guest's init shuts down; the program dies of SIGTERM.
config '["/bin/sh", "-c", "echo up; while :; do sleep 1; done"]'
R create --bundle "$B" c2 >"$WORK/c2.out" 2>"$WORK/c2.err"
R start c2
for _ in $(seq 1200); do grep -q up "$WORK/c2.out" 2>/dev/null && break; sleep 0.2; done
expect_eq "a started container runs" running "$(st c2)"
R delete c2 2>"$WORK/del.err"
expect_contains "delete of a running one needs --force" "$WORK/del.err" "not stopped"

# exec: another program in the running guest, through mvm-init's agent.
R exec c2 /bin/sh -c 'echo exec-ok $(hostname); exit 4' >"$WORK/e1.out" 2>"$WORK/e1.err"
expect_eq "exec ID CMD: its status" 4 "$?" "$(cat "$WORK/e1.err")"
expect_eq "... its output" "exec-ok c0ffee" "$(cat "$WORK/e1.out")"
jq -n '{args: ["/bin/sh", "-c", "echo $X $(pwd) $(id -u):$(id -g) $(ulimit -n)"], env: ["X=y", "PATH=/bin:/usr/bin"],
	cwd: "/tmp", user: {uid: 7, gid: 8}, rlimits: [{type: "RLIMIT_NOFILE", soft: 77, hard: 77}],
	terminal: false, capabilities: {bounding: []}}' >"$WORK/p1.json"
R exec --process "$WORK/p1.json" c2 >"$WORK/e2.out" 2>"$WORK/e2.err"
expect_eq "exec --process: args, env, cwd, user, rlimits" "y /tmp 7:8 77" "$(cat "$WORK/e2.out")" "$(cat "$WORK/e2.err")"
jq -n '{args: ["/bin/sh", "-c", "sleep 1; echo detached >/data/from-exec"], cwd: "/"}' >"$WORK/p2.json"
R exec --detach --pid-file "$WORK/e.pid" --process "$WORK/p2.json" c2
expect_eq "exec --detach returns at once" 0 "$?"
epid=$(cat "$WORK/e.pid" 2>/dev/null)
for _ in $(seq 600); do [ -n "$epid" ] && [ -e "/proc/$epid" ] || break; sleep 0.2; done
expect_eq "... its process (the pid file's) ran the program to the end" "detached" "$(cat "$WORK/data/from-exec" 2>&1)"
jq -n '{args: ["/bin/sh", "-c", "tty; stty size; exit 6"], cwd: "/", terminal: true,
	consoleSize: {height: 33, width: 111}}' >"$WORK/p3.json"
"$NETTOOL" console-recv "$WORK/cs2" never 1x1 >"$WORK/etty.out" 2>"$WORK/etty.err" &
CR2=$!
for _ in $(seq 100); do [ -S "$WORK/cs2" ] && break; sleep 0.1; done
R exec --console-socket "$WORK/cs2" --process "$WORK/p3.json" c2 2>"$WORK/e4.err"
expect_eq "exec with a terminal: its status" 6 "$?" "$(cat "$WORK/e4.err")"
wait "$CR2"
expect_contains "... a pty in the guest" "$WORK/etty.out" "/dev/pts/"
expect_contains "... of consoleSize" "$WORK/etty.out" "33 111"
R kill c2 TERM
wait_status c2 stopped
expect_eq "kill TERM: a clean stop" stopped "$(st c2)"
expect_eq "... the program's status: SIGTERM" 143 "$(head -1 "$WORK/ocir/c2/status")"
R delete c2

# kill KILL: the VM's process ends at once.
R create --bundle "$B" c3 >"$WORK/c3.out" 2>"$WORK/c3.err"
R start c3
for _ in $(seq 1200); do grep -q up "$WORK/c3.out" 2>/dev/null && break; sleep 0.2; done
R kill c3 9
wait_status c3 stopped
expect_eq "kill 9: stopped" stopped "$(st c3)"
R delete --force c3
expect_eq "delete --force" 0 "$?"

# A terminal: the pty's master goes to the client over --console-socket;
# the program sees a tty of consoleSize, then the client's resize.
NETTOOL=${NETTOOL:-$BUILD/vm/nettool}
config '["/bin/sh", "-c", "tty; stty size; echo ready; sleep 3; stty size; exit 5"]' \
	'.process.terminal = true | .process.consoleSize = {height: 30, width: 100}'
"$NETTOOL" console-recv "$WORK/cs" ready 40x120 >"$WORK/tty.out" 2>"$WORK/tty.err" &
CR=$!
for _ in $(seq 100); do [ -S "$WORK/cs" ] && break; sleep 0.1; done
R create --bundle "$B" --console-socket "$WORK/cs" c4 >"$WORK/c4.out" 2>"$WORK/c4.err"
expect_eq "create with a terminal" 0 "$?" "$(cat "$WORK/c4.err")"
R start c4
wait_status c4 stopped
wait "$CR"
expect_contains "the client gets a tty master" "$WORK/tty.err" "a tty: yes"
expect_contains "the program has a terminal" "$WORK/tty.out" "/dev/pts/"
expect_contains "... of consoleSize" "$WORK/tty.out" "30 100"
expect_contains "... resized by the client" "$WORK/tty.out" "40 120"
expect_eq "... and its status" 5 "$(head -1 "$WORK/ocir/c4/status")" "$(cat "$WORK/tty.out")"
R delete c4
R create --bundle "$B" c5 2>"$WORK/c5.err"
expect_contains "a terminal without --console-socket is refused" "$WORK/c5.err" "needs --console-socket"
R exec c4 /bin/true 2>"$WORK/e3.err"
expect_contains "exec in a deleted container" "$WORK/e3.err" "does not exist"

# Boot at create (the default) against boot at start (org.mvm.boot):
# how long create takes, and how long from start's call to the program's
# first output when start comes 5 s after create (`podman create`, later
# `podman start`); each mode twice, alternating, the better kept. Boot at
# start is also the path a client takes with the annotation.
ms() { echo $(((${2/./} - ${1/./}) / 1000)); }
measure() { # MODE: prints "CREATE_MS START_TO_OUTPUT_MS STATUS"
	config '["/bin/sh", "-c", "echo ran"]' ".annotations[\"org.mvm.boot\"] = \"$1\""
	local t0 t1 t2 out=$WORK/m.out
	t0=$EPOCHREALTIME
	R create --bundle "$B" m >"$out" 2>"$WORK/m.err"
	sleep 5
	t1=$EPOCHREALTIME
	R start m
	local end=$((SECONDS + 240))
	# Polled with the shell's own read, every 20 ms: a grep per poll
	# would cost a process start (about 50 ms in the test machine).
	local line=''
	until [ "$line" = ran ] || [ "$SECONDS" -ge "$end" ]; do
		read -r line 2>/dev/null <"$out" || sleep 0.02
	done
	t2=$EPOCHREALTIME
	wait_status m stopped
	echo "$(($(ms "$t0" "$t1") - 5000)) $(ms "$t1" "$t2") $(head -1 "$WORK/ocir/m/status" 2>/dev/null)"
	R delete m
}
declare -A best_create best_start
for _ in 1 2; do
	for mode in create start; do
		# Not `< <(...)`: the test machine's /dev has no /dev/fd.
		r=$(measure "$mode")
		read -r c s status <<<"$r"
		[ "$status" = 0 ] || fail "boot at $mode: the program runs" "status [$status] $(tail -c 300 "$WORK/m.err")"
		[ -z "${best_create[$mode]:-}" ] || [ "$c" -lt "${best_create[$mode]}" ] && best_create[$mode]=$c
		[ -z "${best_start[$mode]:-}" ] || [ "$s" -lt "${best_start[$mode]}" ] && best_start[$mode]=$s
	done
done
echo "note: boot at create: create ${best_create[create]} ms, start to output ${best_start[create]} ms; boot at start: create ${best_create[start]} ms, start to output ${best_start[start]} ms (best of 2)"
[ "${best_start[create]}" -lt "${best_start[start]}" ] && ok "boot at create: start runs the program sooner than a boot at start" ||
	fail "boot at create: start runs the program sooner than a boot at start" "${best_start[create]} ms vs ${best_start[start]} ms"

expect_eq "nothing left in the state root" "" "$(ls -A "$WORK/ocir")"
finish
