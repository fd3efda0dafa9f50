/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpacking one image layer (a tar stream, plain or compressed with gzip,
 * zstd, xz or bzip2) into a directory of its own, in the format of the
 * virtual-ownership share mode (util/override_stat.h, docs/images.md):
 *
 * - every host file and directory belongs to the user running mvm, with
 *   no setuid, setgid or sticky bit and never a device node or a symlink;
 * - the owner, group, full mode and type the layer gave each entry live in
 *   the user.containers.override_stat xattr, so the file server shows them
 *   to the guest; symlinks are regular files holding their target; device
 *   nodes, FIFOs and sockets are empty regular files;
 * - whiteouts are kept in overlayfs's own form as the guest sees it: a
 *   `.wh.NAME` entry becomes NAME as a character device 0:0, an opaque
 *   directory (`.wh..wh..opq`) gets trusted.overlay.opaque=y, both in the
 *   guest's view, so the layers can be stacked by an overlay mount inside
 *   the guest or merged by a reader of this format;
 * - the layer's xattrs are stored as the virtual mode stores the guest's.
 *
 * The layer is untrusted. No entry is ever written outside dest: a `..`
 * component fails the layer, an absolute path is taken relative to dest,
 * a parent that is anything but a real directory of this layer (a symlink
 * entry is a regular file here) fails the entry's layer, and a hard link
 * must name a file of this same layer.
 */
#ifndef MVM_IMAGE_LAYER_UNPACK_H
#define MVM_IMAGE_LAYER_UNPACK_H

#include "mvm.h"

#include <stdint.h>

struct layer_unpack_stats {
	uint64_t entries;        /* archive entries handled, whiteouts included */
	uint64_t bytes;          /* file data written */
	uint64_t xattrs_skipped; /* system.* (POSIX ACLs) are not kept */
};

/* Reads the archive from archive_fd to its end and unpacks it into the
 * directory dest_fd, which should be empty. On error, dest holds a partial
 * layer that the caller must discard. stats may be NULL. */
int layer_unpack_fd(int archive_fd, int dest_fd, struct layer_unpack_stats *stats,
		    mvm_error **err);

/* The same from a buffer in memory (tests and the fuzz target). */
int layer_unpack_mem(const void *buf, size_t len, int dest_fd, struct layer_unpack_stats *stats,
		     mvm_error **err);

#endif
