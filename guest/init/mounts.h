/* SPDX-License-Identifier: Apache-2.0 */
/* The guest's file system tree: virtio-fs root, kernel file systems and
 * mapped dirs. Each function prints its reason with init_err() and
 * returns -1 on failure; main() then reports status 125. */
#ifndef MVM_INIT_MOUNTS_H
#define MVM_INIT_MOUNTS_H

#include "guest/init/config_reader.h"

#include <sys/types.h>

#define INIT_NEWROOT "/newroot"

/* mkdir -p. Returns -1 with errno of the failing component. */
int init_mkdir_p(const char *path, mode_t mode);

/* Mounts devtmpfs on `path` (the initramfs has no /dev nodes). An already
 * mounted devtmpfs (EBUSY) is fine. */
int init_mount_devtmpfs(const char *path);

/* Where an image run's shares are mounted in the initramfs. */
#define INIT_LAYERS_DIR "/mvm/l"
#define INIT_RW_DIR "/mvm/rw"

/* Mounts the virtio-fs root (tag MVM_ROOT_TAG), or for an image
 * (cfg->n_layers) its layers and writable layer stacked by overlayfs, on
 * INIT_NEWROOT, drops the initramfs /dev and makes the new root "/" the
 * way switch_root does: the initramfs cannot be pivot_root'ed, so chdir,
 * MS_MOVE onto "/", chroot("."). */
int init_switch_root(const struct init_config *cfg);

/* In the new root: /proc, /sys, /dev, /dev/pts, /dev/shm, /dev/fd and
 * friends, and /tmp as tmpfs unless the root has a non-empty /tmp. */
int init_mount_system(void);
/* The host name and sysctls of cfg, once /proc is there. -1 (printed) on
 * failure: the program must not run without them. */
int init_apply_system(const struct init_config *cfg);
/* Where MVM_CFG_FILE contents wait in the initramfs. */
#define INIT_FILES_DIR "/mvm/files"

#define INIT_BDI_DIR "/sys/class/bdi"
/* One FUSE request's worth: the VMM offers max_pages of 1 MiB. */
#define INIT_SHARE_READAHEAD_KIB 1024u

/* Writes `kib` to the read_ahead_kb of the backing device of the file
 * system holding `path`, found as BDI_DIR/MAJOR:MINOR. -1 with errno. */
int init_set_readahead(const char *bdi_dir, const char *path, unsigned kib);

/* Each MVM_CFG_MOUNT share at its guest path, creating the path; the
 * root's and each share's read-ahead window are widened (best effort). */
int init_mount_shares(const struct init_config *cfg);
/* MVM_CFG_READONLY: remounts those shares read-only, once init has
 * written what it writes into them (mount points, resolv.conf). */
int init_apply_read_only(const struct init_config *cfg);

#endif
