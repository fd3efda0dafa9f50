#!/usr/bin/env bash
# with-kvm: root
# The jail (docs/security.md, "The jail"), on a real VMM started as root:
# once the guest runs, a thread of mvm's cannot open /etc/shadow (its
# mount namespace holds nothing but /proc and a copy of resolv.conf), and
# each thread kind keeps only its capabilities; guest root still owns its
# passthrough share, and the guest's DNS queries still reach the host's
# resolver. tests/vm/seccomp_shim.c reports from inside the real threads;
# every check is also made with --no-jail, so that it can fail.
if [ -z "${MVM_TEST_MNTNS:-}" ]; then
	# A mount namespace of the test's own, for the resolv.conf below.
	MVM_TEST_MNTNS=1 exec unshare --mount bash "$0" "$@"
fi
. "$(dirname "$0")/guest.sh"
SHIM=${BUILD:-build}/tests/vm/seccomp_shim.so
PLAIN=${BUILD:-build}/mvm
if [ "$(id -u)" -ne 0 ]; then
	fail "the jail test runs as root" "id -u is $(id -u); it needs the QEMU harness (tests/vm/run, MVM_WITH_KVM_USER=root)"
	finish
	exit
fi
SHARE=$(mktemp -d /tmp/mvm-jail-share.XXXXXX)
trap 'rm -rf "$ROOT" "$WORK" "$SHARE"' EXIT

shim_run() { # MODE ARGS...
	local mode=$1
	shift
	MVM=$PLAIN MVM_SHIM=$mode LD_PRELOAD=$SHIM mvm_run "$@"
}

echo data >"$ROOT/readme"
shim_run fs-shadow --share-mode passthrough -- /bin/cat /readme
expect_out "fs worker, jailed: the guest's read works" data
expect_contains "fs worker, jailed: /etc/shadow does not exist for it" "$WORK/err" "shim: /etc/shadow: errno 2"
# The contrast needs a file root can read here: in CI the harness's root
# reaches the host's /etc/shadow through 9p as the ordinary user running
# QEMU, who may not. A root-only file of the machine's own /tmp instead.
SECRET=$(mktemp /tmp/mvm-secret.XXXXXX)
echo secret >"$SECRET"
chmod 600 "$SECRET"
MVM_SHIM_PATH=$SECRET shim_run fs-shadow --share-mode passthrough -- /bin/cat /readme
expect_contains "fs worker, jailed: a root-only file of the host does not exist for it" "$WORK/err" \
	"shim: $SECRET: errno 2"
MVM_SHIM_PATH=$SECRET shim_run fs-shadow --share-mode passthrough --no-jail -- /bin/cat /readme
expect_contains "fs worker, --no-jail: it opens that file" "$WORK/err" "shim: $SECRET: opened"
rm -f "$SECRET"

export MVM_SHIM_AFTER=300
shim_run vcpu-shadow --no-seccomp -- /bin/echo ran
expect_out "vCPU, jailed, no seccomp: the guest runs" ran
expect_contains "vCPU, jailed, no seccomp: /etc/shadow does not exist for it" "$WORK/err" "shim: /etc/shadow: errno 2"
# (capget is on no seccomp list: the shim's look at the capabilities runs
# without the filters.)
shim_run vcpu-caps --no-seccomp -- /bin/echo ran
expect_contains "vCPU: no capabilities" "$WORK/err" "shim: caps 0x0"
shim_run vcpu-caps --no-seccomp --no-jail -- /bin/echo ran
if grep -q "shim: caps 0x1ffffffffff" "$WORK/err"; then ok "vCPU, --no-jail: root's capabilities"; else
	fail "vCPU, --no-jail: root's capabilities" "$(grep shim: "$WORK/err")"; fi
unset MVM_SHIM_AFTER

# CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID MKNOD SETFCAP (src/jail/jail.c)
shim_run fs-caps --no-seccomp --share-mode passthrough -- /bin/cat /readme
expect_contains "fs worker, passthrough: virtiofsd's eight capabilities" "$WORK/err" "shim: caps 0x880000db"
# Virtual ownership needs user xattrs, which the harness's tmpfs lacks: a
# root on the tree's file system (as tests/vm/test_share_virtual.sh).
mkdir -p "$BUILD/tmp"
VROOT=$(mktemp -d "$BUILD/tmp/jail-root.XXXXXX")
# Where the tree belongs to the user running QEMU (CI), root of the machine
# cannot give 9p files away: `cp -a` then fails to keep their owners and
# leaves them 0600, and mktemp's dir is 0700; a worker without
# CAP_DAC_OVERRIDE could read neither.
cp -R --preserve=mode,timestamps,links "$ROOT/." "$VROOT/"
chmod 755 "$VROOT"
ROOT=$VROOT shim_run fs-caps --no-seccomp --share-mode virtual -- /bin/cat /readme
rm -rf "$VROOT"
expect_out "fs worker, virtual ownership: the guest's read works" data
expect_contains "fs worker, virtual ownership: no capabilities" "$WORK/err" "shim: caps 0x0"

# Every thread of a running VMM, as /proc shows it: the VM's threads in
# one mount namespace that is not the caller's, each with its kind's
# capabilities; the CLI's main thread in the caller's, with none once the
# guest runs.
# (The guest waits until the listing is done: in the emulated machine each
# of the listing's processes takes a while.)
# The VM runs in mvm-core (the front execs it), whose main thread bears
# its name: mvm-san runs mvm-core-san.
MAIN_COMM=$(basename "$MVM")
MAIN_COMM=mvm-core${MAIN_COMM#mvm}
mvm_start idle --share-mode passthrough -- /bin/sh -c 'echo up; sleep 120'
for _ in $(seq 600); do grep -q up "$WORK/idle.out" 2>/dev/null && break; sleep 0.1; done
MYNS=$(readlink /proc/self/ns/mnt)
MPID=$(pgrep -P "$!" | head -1)
for t in /proc/"$MPID"/task/*; do
	ns=$(readlink "$t/ns/mnt")
	[ "$ns" = "$MYNS" ] && ns=caller || ns=jail
	printf '%s %s %s\n' "$(sed 's/[0-9]*$//' "$t/comm" 2>/dev/null)" \
		"$(awk '/^CapEff/ {print $2}' "$t/status" 2>/dev/null)" "$ns"
done | grep -v '^ ' | sort -u >"$WORK/threads" # (a thread that ended meanwhile has no name)
kill -TERM "$MPID"
wait
expect_eq "running VMM: each thread's namespace and capabilities" \
	"$(printf '%s\n' "$MAIN_COMM 0000000000000000 caller" \
		"mvm-console 0000000000000000 jail" "mvm-fs 00000000880000db jail" \
		"mvm-loop 0000000000000000 jail" "mvm-net 0000000000000000 jail" \
		"mvm-vcpu 0000000000000000 jail" | sort)" "$(cat "$WORK/threads")" "$(tr '\n' '|' <"$WORK/idle.err")"

# --jail-user: the VM's threads as 1234:1234, with no capability, serving
# the shares as that user (on the harness's tmpfs, without user xattrs,
# `auto` falls back from virtual to passthrough): a root-only file stays
# closed even to the guest's root, and what the guest makes belongs to
# 1234 on the host.
JROOT=$(mktemp -d /tmp/mvm-jail-user.XXXXXX)
cp -a "$ROOT/." "$JROOT/"
chown -R 1234:1234 "$JROOT"
echo secret >"$JROOT/secret"
chmod 600 "$JROOT/secret"
chown 0:0 "$JROOT/secret"
ROOT=$JROOT mvm_start ju --jail-user 1234:1234 -- /bin/sh -c \
	'cat /secret 2>/dev/null || echo refused; echo made >/made; echo up; sleep 120'
for _ in $(seq 600); do grep -q up "$WORK/ju.out" 2>/dev/null && break; sleep 0.1; done
MPID=$(pgrep -P "$!" | head -1)
for t in /proc/"$MPID"/task/*; do
	printf '%s %s %s\n' "$(sed 's/[0-9]*$//' "$t/comm" 2>/dev/null)" \
		"$(awk '/^Uid/ {print $2 ":" $3 ":" $4 ":" $5}' "$t/status" 2>/dev/null)" \
		"$(awk '/^CapEff/ {print $2}' "$t/status" 2>/dev/null)"
done | grep -v '^ ' | sort -u >"$WORK/ju.threads"
kill -TERM "$MPID"
wait
expect_eq "--jail-user: each thread's uids and capabilities" \
	"$(printf '%s\n' "$MAIN_COMM 0:0:0:0 0000000000000000" \
		"mvm-console 1234:1234:1234:1234 0000000000000000" \
		"mvm-fs 1234:1234:1234:1234 0000000000000000" \
		"mvm-loop 1234:1234:1234:1234 0000000000000000" \
		"mvm-net 1234:1234:1234:1234 0000000000000000" \
		"mvm-vcpu 1234:1234:1234:1234 0000000000000000" | sort)" "$(cat "$WORK/ju.threads")" \
	"$(tr '\n' '|' <"$WORK/ju.err")"
expect_eq "--jail-user: a root-only file is closed to the guest's root" "$(printf 'refused\nup')" \
	"$(cat "$WORK/ju.out")" "$(tr '\n' '|' <"$WORK/ju.err")"
expect_eq "--jail-user: the guest's new file belongs to 1234:1234" 1234:1234 \
	"$(stat -c %u:%g "$JROOT/made" 2>&1)"
rm -rf "$JROOT"

# What the eight are for: guest root acts as any owner in a passthrough share.
mvm_run --share-mode passthrough -v "$SHARE:/data" -- /bin/sh -c \
	'cd /data && touch f && chown 1234:5678 f && chmod 4755 f && mkfifo p && mkdir d &&
	chown 99 d && chmod 700 d && touch d/inside && echo done'
expect_out "passthrough as root, jailed: chown, setuid, fifo, another owner's dir" done
expect_eq "... as the host sees it" "1234:5678 4755 fifo 99" \
	"$(stat -c '%u:%g %a' "$SHARE/f") $(stat -c %F "$SHARE/p" | sed 's/.*fifo.*/fifo/') $(stat -c %u "$SHARE/d")"

# DNS: libslirp reads resolv.conf on the network thread when the guest
# first asks 10.0.2.3; jailed, it reads the copy made at build. The host's
# "resolver" here is nettool echoing on 127.0.0.1:53 (no traffic leaves).
expect_dns_round_trip "DNS, jailed: the guest's query to 10.0.2.3 reaches the host's resolver and back" \
	127.0.0.1
finish
