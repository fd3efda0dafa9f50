/* SPDX-License-Identifier: Apache-2.0 */
/* An image as the root of a VM (docs/images.md, "Running an image"): what
 * build() learns from the store, and files read from the image's merged
 * root on the host. */
#ifndef MVM_IMAGE_IMAGE_RUN_H
#define MVM_IMAGE_IMAGE_RUN_H

#include "config/config.h"
#include "mvm.h"

#include <stddef.h>

/* For c->image.ref: holds the store's GC lock (shared), resolves the
 * image, fills c->image.name, store_dir and layers, and applies the
 * image's config to what the caller left unset (program, env, workdir,
 * user), as docker does. */
int image_run_apply(struct mvm_config *c, mvm_error **err);

/* Reads the regular file rel ("etc/passwd") of the root made of dirs,
 * dirs[0] the top: the first dir that has it decides, as in overlayfs; a
 * whiteout, an opaque parent or a non-directory parent in a dir hides
 * what lies below. Nothing resolves outside a dir or through a symlink.
 * Returns 0 with *buf (NUL-terminated, malloc'd) and *len, 1 when the
 * root has no such regular file, -1 with err (also for one above max
 * bytes). */
int image_root_read(const char *const *dirs, size_t n, const char *rel, size_t max, char **buf,
		    size_t *len, mvm_error **err);

#endif
