/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_VMM_BOOT_H
#define MVM_VMM_BOOT_H

#include "vmm/vmm.h"

#include <stddef.h>

/* Finds the guest kernel. Search order: the builder's kernel path, then
 * $MVM_KERNEL, then the install path (MVM_KERNEL_INSTALL_PATH, set at build
 * time), then the build cache ($MVM_CACHE_DIR, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/mvm, + /kernel/current/vmlinux). Stores a
 * malloc'd path; the error lists every place that was tried. */
int kernel_locate(const struct mvm_config *cfg, char **path, mvm_error **err);

/* The initramfs mvm boots for cfg: mvm-init and its config blob (also what
 * `make bench` hands to QEMU). *out is malloc'd. */
int boot_initramfs(const struct mvm_config *cfg, void **out, size_t *len, mvm_error **err);

/* Loads kernel and initramfs, writes the boot data and returns the entry. */
int boot_load(struct vmm *v, uint64_t *entry, mvm_error **err);

/* The kernel command line: fixed options plus one entry per device. */
int boot_cmdline(const struct vmm *v, char *buf, size_t len, mvm_error **err);

#endif
