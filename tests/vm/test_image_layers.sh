#!/usr/bin/env bash
# Layers as `mvm load` unpacks them (docs/images.md) stack under the
# guest's own overlayfs: each layer a share, a writable share for the
# upper and work directories (overlayfs accepts a virtio-fs upper because
# the virtual mode has d_type, xattrs and RENAME_WHITEOUT). The guest sees
# the whiteout, the setuid file and the files of both layers; its changes
# land in the upper directory only, in the same format, and a second boot
# over the same upper sees them.
. "$(dirname "$0")/guest.sh"

image_test_setup image-layers
layout=$BASE/oci bundle=$BASE/bundle
if ! "$(dirname "$0")/../../scripts/make-test-image" "$ROOT" "$layout" "$bundle" >"$WORK/mk.log" 2>&1; then
	fail "the test image is made" "$(tail -5 "$WORK/mk.log")"
	exit 1
fi
export MVM_HOME=$BASE/store
"$MVM" load -q "$layout" >"$WORK/load.out" 2>&1
expect_eq "mvm load" "Loaded image: localhost/oci:t" "$(cat "$WORK/load.out")"
# The manifest, as stored, lists the layers bottom first. (No process
# substitution: the harness has no /dev/fd.)
manifest=$("$MVM" images --format json | jq -r '.[0].manifest')
jq -r '.layers[].digest | sub("sha256:"; "")' "$MVM_HOME/blobs/sha256/${manifest#sha256:}" \
	>"$WORK/layers" 2>&1
mapfile -t layers <"$WORK/layers"
expect_eq "two layers" 2 "${#layers[@]}"
L1=$MVM_HOME/layers/sha256/${layers[0]}
L2=$MVM_HOME/layers/sha256/${layers[1]}
UP=$BASE/upper
mkdir -p "$UP"
before=$(cd "$MVM_HOME/layers" && find . -printf '%p %s %T@\n' | sort | sha256sum)

# The shares in the virtual mode; the root (on the harness's tmpfs) keeps
# the default.
VIRT="--share-mode /l/1=virtual --share-mode /l/2=virtual --share-mode /up=virtual"
OVERLAY="mkdir -p /mnt/u /up/upper /up/work &&
	mount -t overlay overlay -o lowerdir=/l/2:/l/1,upperdir=/up/upper,workdir=/up/work /mnt/u"
mvm_run $VIRT -v "$L1:/l/1" -v "$L2:/l/2" -v "$UP:/up" -- /bin/sh -c "$OVERLAY &&
	cat /mnt/u/etc/layer2 && head -1 /mnt/u/etc/passwd &&
	if [ -e /mnt/u/etc/hosts ]; then echo hosts-still-there; fi &&
	stat -c '%a %u %g' /mnt/u/bin/suid &&
	echo new >/mnt/u/etc/new && rm /mnt/u/etc/passwd && mv /mnt/u/etc/group /mnt/u/etc/group2 &&
	chown 1000:1000 /mnt/u/etc/new && umount /mnt/u && echo done"
expect_rc "the guest stacks the layers with overlayfs" 0
expect_eq "it sees both layers, the whiteout and the setuid file" "layer2
root:x:0:0:root:/root:/bin/sh
4755 0 0
done" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"

ov() { getfattr --absolute-names --only-values -n user.containers.override_stat "$1" 2>&1; }
expect_eq "its changes are in the upper dir, in the virtual format" \
	"1000:1000:0644 0:0:00:char-0-0 0:0:00:char-0-0 yes" \
	"$(ov "$UP/upper/etc/new") $(ov "$UP/upper/etc/passwd") $(ov "$UP/upper/etc/group") \
$([ -f "$UP/upper/etc/group2" ] && echo yes)"
expect_eq "the layers did not change" "$before" \
	"$(cd "$MVM_HOME/layers" && find . -printf '%p %s %T@\n' | sort | sha256sum)"
expect_eq "nothing setuid or special on the host, no whiteout left half made" "" \
	"$(find "$BASE/store" "$UP" \( -perm /7000 -o ! -type f ! -type d -o -name '.mvm-whiteout-*' \) -print)"

mvm_run $VIRT -v "$L1:/l/1" -v "$L2:/l/2" -v "$UP:/up" -- /bin/sh -c "$OVERLAY &&
	cat /mnt/u/etc/new && stat -c '%u' /mnt/u/etc/new &&
	if [ -e /mnt/u/etc/passwd ]; then echo passwd-back; fi && ls /mnt/u/etc | grep -c group2"
expect_rc "a second boot over the same upper" 0
expect_eq "sees the first one's changes" "new
1000
1" "$(cat "$WORK/out")" "$(head -c 600 "$WORK/err")"
finish
