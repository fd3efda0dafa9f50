/* SPDX-License-Identifier: Apache-2.0 */
/* Host side of the config blob that mvm-init reads from /mvm/config
 * (format: guest/protocol.h). The VMM builds it once per VM from the
 * validated struct mvm_config and packs it into the initramfs. */
#ifndef MVM_VMM_GUEST_CONFIG_H
#define MVM_VMM_GUEST_CONFIG_H

#include "config/config.h"

#include <stddef.h>

/* The virtio-fs spec (5.11.4) gives the tag 36 bytes, not NUL-terminated. */
#define GUEST_MOUNT_TAG_MAX 36

/* One virtio-fs share besides the root. The root ("/dev/root" at /) is
 * mounted by mvm-init implicitly and is never listed. */
struct guest_mount {
	char tag[GUEST_MOUNT_TAG_MAX + 1]; /* "mvmfs<i>" for mapped dir i */
	const char *guest_path;            /* absolute; borrowed, not owned */
};

/* Writes the tag of mapped dir `index` ("mvmfs<index>") into `tag`. The
 * virtio-fs device of that dir must use the same tag. */
void guest_mount_tag(size_t index, char tag[GUEST_MOUNT_TAG_MAX + 1]);

/* One guest_mount per cfg->mapped_dirs entry, in order, tagged with
 * guest_mount_tag(i). guest_path points into cfg, so cfg must outlive the
 * array. *mounts is NULL when there are no mapped dirs; free() it. */
int guest_mounts_from_config(const struct mvm_config *cfg, struct guest_mount **mounts,
			     size_t *n_mounts, mvm_error **err);

/* Serialises exec path, args, env, workdir, rlimits, mounts, the network
 * settings (always; see vmm/guest_net.h) and log level.
 * Rejects what mvm-init would reject (relative paths, bad rlimits, env
 * entries without a key, bad tags) so the failure is reported on the host.
 * On success *blob is malloc'ed (free() it) and *len is its size. */
int guest_config_build(const struct mvm_config *cfg, const struct guest_mount *mounts,
		       size_t n_mounts, void **blob, size_t *len, mvm_error **err);

/* A blob of the program's records only (exec path, args, env, workdir,
 * rlimits, user, terminal), with the same checks: what the agent takes
 * to start a program in a running guest (guest/protocol.h, "Agent"). */
int guest_config_build_program(const struct mvm_config *cfg, void **blob, size_t *len,
			       mvm_error **err);

#endif
