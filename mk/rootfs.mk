# Default guest root filesystem: build/rootfs from Debian's busybox-static
# (scripts/make-rootfs), for `mvm run --root build/rootfs -- /bin/echo hello`.
ROOTFS_BUSYBOX ?= /bin/busybox

.PHONY: rootfs
rootfs: $(BUILD)/rootfs.stamp

# The stamp lives next to the tree, not in it: the guest sees the whole tree.
$(BUILD)/rootfs.stamp: scripts/make-rootfs $(ROOTFS_BUSYBOX)
	@mkdir -p $(BUILD)
	scripts/make-rootfs $(BUILD)/rootfs $(ROOTFS_BUSYBOX)
	@touch $@
