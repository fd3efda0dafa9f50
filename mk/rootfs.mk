# Default guest root filesystem: build/rootfs from Debian's busybox-static
# (scripts/make-rootfs), for `mvm run --root build/rootfs -- /bin/echo hello`.
ROOTFS_BUSYBOX ?= /bin/busybox

.PHONY: rootfs
rootfs: $(BUILD)/rootfs/bin/busybox

# make-rootfs rebuilds the whole tree (into a temporary dir, then renames),
# so its busybox is a fresh file whenever the tree is; no stamp file, which
# the guest would see.
$(BUILD)/rootfs/bin/busybox: scripts/make-rootfs $(ROOTFS_BUSYBOX)
	@mkdir -p $(BUILD)
	scripts/make-rootfs $(BUILD)/rootfs $(ROOTFS_BUSYBOX)
