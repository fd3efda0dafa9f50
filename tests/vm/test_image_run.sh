#!/usr/bin/env bash
# `mvm run IMAGE` (docs/images.md, "Running an image"): the guest's / is
# the image's layers, grafted read-only into one share, under a fresh
# writable layer, stacked by overlayfs in the guest. The image's config
# applies as in docker (Entrypoint, Cmd, Env, WorkingDir, User); the image
# never changes; the run's layer (a tmpfs in the guest, or with
# --upper-on-disk a host dir) is gone after the run unless --upper keeps
# it, and a later run with the same --upper continues from it.
. "$(dirname "$0")/guest.sh"

image_test_setup image-run
layout=$BASE/oci
if ! "$(dirname "$0")/../../scripts/make-test-image" "$ROOT" "$layout" "$BASE/bundle" >"$WORK/mk.log" 2>&1 ||
	! umoci config --image "$layout:t" --config.entrypoint /bin/sh --config.cmd -c \
		--config.cmd 'echo "$GREETING from $(pwd) as $(id -u):$(id -g)"' \
		--config.env GREETING=hello --config.env KEEP=image \
		--config.workingdir /etc --config.user nobody >>"$WORK/mk.log" 2>&1; then
	fail "the test image is made" "$(tail -5 "$WORK/mk.log")"
	exit 1
fi
export MVM_HOME=$BASE/store
"$MVM" load -q --name img "$layout" >"$WORK/load.out" 2>&1
expect_eq "mvm load" "Loaded image: docker.io/library/img:latest" "$(cat "$WORK/load.out")"
layers_sum() { (cd "$MVM_HOME/layers" && find . -printf '%p %s %m %T@\n' | sort | sha256sum); }
before=$(layers_sum)
IMAGE_RUN=1

mvm_run img
expect_rc "the image's own command runs" 0
expect_eq "with its Entrypoint, Cmd, Env, WorkingDir and User (nobody from its /etc/passwd)" \
	"hello from /etc as 65534:65534" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"

mvm_run -e GREETING=bye -w / -u 7:8 img -c 'echo "$GREETING $KEEP from $(pwd) as $(id -u):$(id -g)"'
expect_rc "COMMAND replaces Cmd, options replace the rest" 0
expect_eq "env merged, workdir and user given" "bye image from / as 7:8" "$(cat "$WORK/out")" \
	"$(head -c 600 "$WORK/err")"

mvm_run --entrypoint "" -u root img sh -c 'cat /etc/layer2; [ -e /etc/hosts ] || echo no-hosts;
	stat -c "%a %u %g" /bin/suid /; echo changed >/etc/layer2;
	mkdir -p /var/new && echo x >/var/new/f && rm /etc/passwd && echo written'
expect_rc "--entrypoint \"\" and a command found in PATH" 0
expect_eq "the layers, the whiteout, the setuid file and the root's owner; the root is writable" \
	"layer2
no-hosts
4755 0 0
755 0 0
written" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"
expect_eq "the image did not change" "$before" "$(layers_sum)"
expect_eq "the run's writable layer is gone" "" "$(ls -A "$MVM_HOME/runs" 2>&1)"

mvm_run -u root img -c 'cat /etc/layer2; head -1 /etc/passwd'
expect_eq "the next run starts from the image again" "layer2
root:x:0:0:root:/root:/bin/sh" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"

UP=$BASE/kept
mvm_run --upper "$UP" -u root img -c 'echo kept >/etc/layer2; rm /etc/group; mkdir /data; echo d >/data/f'
expect_rc "--upper keeps the run's layer" 0
ov() { getfattr --absolute-names --only-values -n user.containers.override_stat "$1" 2>&1; }
expect_eq "its changes are in DIR/upper, in the virtual format" "kept 0:0:00:char-0-0" \
	"$(cat "$UP/upper/etc/layer2" 2>&1) $(ov "$UP/upper/etc/group")"
mvm_run --upper "$UP" -u root img -c 'cat /etc/layer2 /data/f; [ -e /etc/group ] || echo no-group'
expect_eq "a second run with the same DIR continues from it" "kept
d
no-group" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"
expect_eq "the image still did not change" "$before" "$(layers_sum)"
expect_eq "nothing setuid or special on the host" "" \
	"$(find "$BASE/store" "$UP" \( -perm /7000 -o ! -type f ! -type d \) -print)"

# The default layer is a tmpfs of half the guest's RAM (MEM, 256 MiB):
# 160 MiB do not fit there, and do on the host.
BIG='dd if=/dev/zero of=/big bs=1M count=160 2>/dev/null && echo big-ok || echo big-failed'
mvm_run -u root img -c "$BIG"
expect_eq "the default writable layer lives in guest RAM" "big-failed" "$(cat "$WORK/out")" \
	"$(head -c 600 "$WORK/err")"
mvm_run --upper-on-disk -u root img -c "$BIG; echo t >/etc/layer2; cat /etc/layer2"
expect_rc "--upper-on-disk" 0
expect_eq "puts it on the host, removed at the end" "big-ok t / " \
	"$(tr '\n' ' ' <"$WORK/out")/ $(ls -A "$MVM_HOME/runs" 2>&1)" \
	"$(head -c 600 "$WORK/err")"
expect_eq "the image still did not change" "$before" "$(layers_sum)"

mvm_run img-that-is-not-there
expect_rc "an unknown image" 125
expect_eq "is named in the error" 1 "$(grep -c 'no image `img-that-is-not-there`' "$WORK/err")" \
	"$(cat "$WORK/err")"
finish
