/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of an image run (docs/images.md, "Running an image"): a
 * directory under the store's runs/ that holds the root of the layers
 * share (empty, the layers are grafted in by the file server) and, unless
 * the caller keeps it elsewhere, the run's writable layer. */
#ifndef MVM_VMM_RUN_LAYER_H
#define MVM_VMM_RUN_LAYER_H

#include "config/config.h"
#include "mvm.h"

struct run_layer {
	char *dir;	   /* runs/XXXXXX, removed by run_layer_remove() */
	char *layers_root; /* dir/layers */
	char *rw;	   /* holds upper/ and work/: dir/rw or the upper dir;
			    * NULL with a tmpfs upper */
};

/* Makes the directories for c (an image config after build()). The
 * writable layer's root gets the guest view of the image's root
 * directory, which overlayfs shows for "/". */
int run_layer_create(const struct mvm_config *c, struct run_layer *r, mvm_error **err);
/* Removes dir (a kept upper dir stays) and frees r; r zeroed is fine. */
void run_layer_remove(struct run_layer *r);

#endif
