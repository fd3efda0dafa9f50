/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory initramfs handed to the guest kernel: mvm-init as /init
 * plus its config blob, in the cpio "newc" format that the kernel unpacks
 * (Documentation/driver-api/early-userspace/buffer-format.rst). */
#ifndef MVM_VMM_INITRAMFS_H
#define MVM_VMM_INITRAMFS_H

#include "mvm.h"

#include <stddef.h>

/* Builds an uncompressed newc archive with the directories /dev /proc
 * /sys /newroot /mvm, the node /dev/console (char 5:1, so the kernel can
 * give init fds 0-2 before devtmpfs exists), /init (0755, init_bin) and
 * /mvm/config (0400, cfg_blob), then TRAILER!!!. Owner root, mtime 0.
 * Each file must be below 4 GiB (newc sizes are 32-bit). On success *out
 * is malloc'ed (free() it) and *out_len is its size, a multiple of 4. */
int initramfs_build(const void *init_bin, size_t init_len, const void *cfg_blob, size_t cfg_len,
		    void **out, size_t *out_len, mvm_error **err);

#endif
