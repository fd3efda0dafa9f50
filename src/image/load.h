/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm load`: images from an OCI image layout directory, an OCI archive
 * (a tar of one, as `podman save --format oci-archive` writes) or a docker
 * archive (`docker save`, `podman save`), into the store. Every blob is
 * checked against its digest, every layer unpacked once (docs/images.md,
 * "Loading"). */
#ifndef MVM_IMAGE_LOAD_H
#define MVM_IMAGE_LOAD_H

#include "image/store.h"

struct image_load_opts {
	/* Names the loaded image, over the names the source gives. */
	const char *name;
	/* One line per step ("Unpacking layer sha256:..."); may be NULL. */
	void (*progress)(void *ud, const char *msg);
	void *ud;
	/* Pulls only: "OS/ARCH[/VARIANT]" (NULL: linux/amd64), parallel
	 * downloads (0: the default), and byte-level progress (may be NULL). */
	const char *platform;
	unsigned jobs;
	mvm_blob_progress_fn blob_progress;
};

/* Loads every image of path ("-": an archive read from stdin) (for an OCI index, the linux/amd64 one). On
 * success *names holds the full names it was stored under (free each and
 * the array). */
int image_load(struct store *s, const char *path, const struct image_load_opts *o, char ***names,
	       size_t *n_names, mvm_error **err);

/* `mvm pull`: ref from its registry (registry.h) into the store, the
 * image of o->platform of an index (fetch.h fetches its blobs), every blob checked against its digest,
 * blobs the store has not fetched again. *name: the full name stored. */
int image_pull(struct store *s, const char *ref, bool tls_verify, const struct image_load_opts *o,
	       char **name, mvm_error **err);

#endif
