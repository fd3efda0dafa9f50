#!/usr/bin/env bash
# with-kvm: root
# Debian's podman 4.3 runs containers as microVMs with `--runtime
# mvm-runtime` (docs/oci.md): conmon drives create/start/kill/delete, the
# container is the VM. A root directory and an image imported from a tar
# of it; exit status, env, -w, -v, a detached container seen by ps, its
# logs, podman stop; -p reaching a server in the guest through podman's
# slirp4netns namespace, and the guest reaching out through it; -it in a
# tmux pane. Last, `podman run --rm IMAGE true` timed against crun, in the
# same machine, reported on a "note:" line.
#
# Root of the test machine, as podman's default (rootful) mode: storage,
# run state and the dummy network below live in the machine, under /tmp
# and in its own root namespace, never on the host.
. "$(dirname "$0")/guest.sh"

abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
RT=$(abs "${MVM_RUNTIME:-$BUILD/mvm-runtime-san}")
for tool in podman slirp4netns tmux; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool" "not installed (.ci/run installs it)"
		finish
		exit
	fi
done
S=$WORK/podman
SOCK=$WORK/tmux.sock
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; kill ${HTTPD:-} 2>/dev/null;
	podman_ rm -af -t 0 >/dev/null 2>&1; rm -rf "$ROOT" "$WORK"' EXIT
# vfs storage and cgroupfs: no overlay mount or systemd needed in the test
# machine. Every path podman writes is under $S: the host's / is shared
# into the machine, and /etc/containers there is not the test's to write
# (nor writable where the machine runs as an ordinary user, as in CI).
# Each call is bounded, so a hang fails a check, not the file.
podman_() {
	timeout -k 5 "${PODMAN_TIMEOUT:-300}" podman --root "$S/storage" --runroot "$S/run" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
		--tmpdir "$S/tmp" --network-config-dir "$S/networks" "$@"
}
P() { podman_ --runtime "$RT" "$@"; }
# Guests get 128 MiB (linux.resources.memory.limit), not the default 512.
M=(--memory 128m)
# podman prints a warning about swap limits on a kernel without swap
# accounting; it is not the container's output.
noswap() { grep -v "swap limit capabilities"; }

# --rootfs: status, output, env, -w, -v.
mkdir -p "$WORK/data"
echo shared >"$WORK/data/f"
out=$(P run --rm --network none "${M[@]}" -e FOO=bar -w /tmp -v "$WORK/data:/data" \
	--rootfs "$ROOT" /bin/sh -c 'echo "$FOO $(pwd) $(cat /data/f)"; echo new >/data/g; exit 3' 2>"$WORK/err")
rc=$?
expect_eq "podman run --rootfs: the program's status" 3 "$rc" "$(noswap <"$WORK/err")"
expect_eq "... its output, -e, -w and -v" "bar /tmp shared" "$out"
expect_eq "... a write to the -v directory reaches the host" new "$(cat "$WORK/data/g" 2>&1)"

# A :ro volume: the guest cannot write it, and reads it. (podman's
# --read-only also asks for `tmpcopyup` tmpfs mounts, which mvm-runtime
# refuses by name for now: docs/oci.md, "Not yet".)
out=$(P run --rm --network none "${M[@]}" -v "$WORK/data:/data:ro" --rootfs "$ROOT" \
	/bin/sh -c 'touch /data/z 2>/dev/null || echo data-ro; cat /data/f' 2>"$WORK/err")
expect_eq "podman run -v DIR:DST:ro: writes refused, reads work" "data-ro
shared" "$out" "$(noswap <"$WORK/err")"

# An image imported from a tar of the same root.
tar -C "$ROOT" -c . | podman_ import - localhost/mvm-test:1 >/dev/null 2>"$WORK/err"
expect_eq "podman import of a tar of the root" 0 "$?" "$(cat "$WORK/err")"
out=$(P run --rm --network none "${M[@]}" localhost/mvm-test:1 \
	/bin/sh -c 'echo "image $(id -u) $HOME"; echo scribble >/etc/motd' 2>"$WORK/err")
expect_eq "podman run IMAGE: its output" "image 0 /root" "$out" "$(noswap <"$WORK/err")"
out=$(P run --rm --network none "${M[@]}" localhost/mvm-test:1 cat /etc/motd 2>&1 | noswap)
[ "$out" != scribble ] && ok "... each run starts from the image, unchanged" ||
	fail "... each run starts from the image, unchanged" "a second run read [$out]"

# Detached: ps, logs, stop (SIGTERM, then the program's own exit).
P run -d --name web --network none "${M[@]}" --rootfs "$ROOT" /bin/sh -c \
	'echo started; trap "echo got TERM; exit 0" TERM; while :; do sleep 1; done' >/dev/null 2>"$WORK/err"
expect_eq "podman run -d" 0 "$?" "$(noswap <"$WORK/err")"
for _ in $(seq 240); do P logs web 2>/dev/null | grep -q started && break; sleep 0.5; done
expect_eq "podman logs of a running container" started "$(P logs web 2>&1)"
expect_eq "podman ps shows it running" "web Up" "$(P ps --format '{{.Names}} {{.Status}}' 2>&1 | sed 's/ Up.*/ Up/')"
expect_eq "podman stop" web "$(P stop -t 60 web 2>&1)"
expect_eq "... the program trapped SIGTERM and exited 0" "Exited (0)" \
	"$(P ps -a --filter name=web --format '{{.Status}}' 2>&1 | sed 's/) .*/)/')"
if P logs web 2>&1 | grep -q "got TERM"; then pass "... its last words are in podman logs"; else
	fail "... its last words are in podman logs" "$(P logs web 2>&1)"
fi
P rm web >/dev/null 2>&1

# -p through podman's network namespace (slirp4netns, as rootless podman
# uses by default): the guest's listener is learned and published there
# (docs/net.md, "Learned ports"); rootlessport forwards the host's port.
# The guest also reaches out through it: a server on a dummy interface of
# this machine (TEST-NET-2, never routed).
OTHER=198.51.100.1
ip link add mvmtest0 type dummy && ip addr add "$OTHER/24" dev mvmtest0 && ip link set mvmtest0 up
mkdir -p "$WORK/www" && echo outside-page >"$WORK/www/p.html"
busybox httpd -f -p "$OTHER:18081" -h "$WORK/www" &
HTTPD=$!
P run -d --name srv --network slirp4netns -p 18080:8080 "${M[@]}" --rootfs "$ROOT" /bin/sh -c \
	"wget -q -O - http://$OTHER:18081/p.html; echo hello-port >/tmp/i; while :; do nc -l -p 8080 </tmp/i; done" \
	>/dev/null 2>"$WORK/err"
expect_eq "podman run -d -p 18080:8080 --network slirp4netns" 0 "$?" "$(noswap <"$WORK/err")"
got='' start=$SECONDS
while [ $((SECONDS - start)) -lt 180 ]; do
	got=$(timeout 10 bash -c 'cat </dev/tcp/127.0.0.1/18080' 2>/dev/null) && [ -n "$got" ] && break
	sleep 1
done
expect_eq "-p: the host's port reaches the guest's server" hello-port "$got"
echo "note: the published port answered $((SECONDS - start)) s after podman run returned"
expect_eq "... a second connection too" hello-port "$(timeout 10 bash -c 'cat </dev/tcp/127.0.0.1/18080' 2>&1)"
expect_eq "the guest reaches out through podman's namespace" outside-page "$(P logs srv 2>&1 | head -1)"
P rm -f -t 0 srv >/dev/null 2>&1

# -it in a real terminal: the pty's size, typed input, the exit status.
cat >"$WORK/it.sh" <<SCRIPT
podman --root "$S/storage" --runroot "$S/run" --storage-driver vfs --cgroup-manager cgroupfs \
	--events-backend file --tmpdir "$S/tmp" --network-config-dir "$S/networks" --runtime "$RT" \
	run -it --rm --network none \
	--memory 128m --rootfs "$ROOT" /bin/sh -c 'stty size; read -r l; echo "got:\$l"; exit 4' 2>/dev/null
echo "EXIT=\$?"
sleep 600
SCRIPT
tmux -S "$SOCK" new-session -d -s it -x 100 -y 30 "bash $WORK/it.sh"
screen() { tmux -S "$SOCK" capture-pane -p -t it 2>/dev/null; }
wait_for() {
	local end=$((SECONDS + 180))
	while [ "$SECONDS" -lt "$end" ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.5
	done
	return 1
}
check() { if wait_for "$2"; then pass "$1"; else fail "$1" "the screen was: $(screen | grep -v '^$')"; fi; }
check "podman run -it: the program's terminal has the pane's size" "30 100"
tmux -S "$SOCK" send-keys -t it "typed in tmux" Enter
check "... typed input reaches it" "got:typed in tmux"
check "... and its status is podman's" "EXIT=4"

# podman run --rm IMAGE true: mvm-runtime booting at create (its
# default) and at start (org.mvm.boot=start), and crun; alternating, best
# of 3.
variants=("create" "start" "crun")
for v in "${variants[@]}"; do : >"$WORK/times.$v"; done
for _ in 1 2 3; do
	for v in "${variants[@]}"; do
		case $v in
		crun) rt=crun ann=() ;;
		*) rt=$RT ann=(--annotation "org.mvm.boot=$v") ;;
		esac
		t0=$EPOCHREALTIME
		podman_ --runtime "$rt" run --rm "${ann[@]}" --network none "${M[@]}" localhost/mvm-test:1 true 2>/dev/null
		rc=$?
		t1=$EPOCHREALTIME
		[ "$rc" = 0 ] || fail "podman run --rm IMAGE true ($v)" "status $rc"
		echo "$(((${t1/./} - ${t0/./}) / 1000))" >>"$WORK/times.$v"
	done
done
best() { sort -n "$WORK/times.$1" | head -1; }
c=$(best create) s=$(best start) r=$(best crun)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "note: podman run --rm IMAGE true, best of 3 in this machine: mvm-runtime booting at create ${c} ms ($(ratio "$c" "$r") crun), at start ${s} ms ($(ratio "$s" "$r")), crun ${r} ms"
[ "$c" -gt 0 ] && [ "$s" -gt 0 ] && [ "$r" -gt 0 ] && ok "podman run --rm IMAGE true timed with mvm-runtime (both boots) and crun" ||
	fail "podman run --rm IMAGE true timed with mvm-runtime (both boots) and crun" "$c $s $r"

finish
