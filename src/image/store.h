/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image store (docs/images.md, "The store"), under
 * ${MVM_HOME:-${XDG_DATA_HOME:-~/.local/share}/mvm}:
 *
 *   blobs/sha256/HEX     manifests, configs and layers as fetched, each
 *                        checked against its digest before it is renamed in
 *   layers/sha256/HEX/   the layer of blob HEX, unpacked (layer_unpack.h),
 *                        renamed in only once whole
 *   images.json          image names -> manifest digests
 *   tmp/                 what is being written; never read as content
 *   lock                 flock: shared to read images.json, exclusive to
 *                        change it
 *   gc.lock              flock: shared by every load and every image run,
 *                        exclusive to collect garbage
 *   runs/ID/             an image run's directories (vmm/run_layer.h)
 *
 * Blobs and layers are immutable and written by rename, so two mvm
 * processes filling the store at once at worst do the same work twice; a
 * crash leaves only tmp/ entries behind.
 */
#ifndef MVM_IMAGE_STORE_H
#define MVM_IMAGE_STORE_H

#include "image/digest.h"
#include "mvm.h"

#include <stdbool.h>
#include <stdint.h>

struct store;
struct archive;

/* dir NULL: the default place above. Creates what is missing (mode 0700). */
struct store *store_open(const char *dir, mvm_error **err);
void store_free(struct store *s);
const char *store_dir(const struct store *s);

/* Copies the bytes of fd (to its end) into the store as a blob. When want
 * is given, a blob that does not match it is refused and not kept. *out
 * and *size may be NULL. */
int store_put_blob_fd(struct store *s, int fd, const struct digest *want, struct digest *out,
		      uint64_t *size, mvm_error **err);
/* The same for the data of the current entry of an archive being read. */
int store_put_blob_archive(struct store *s, struct archive *a, const struct digest *want,
			   struct digest *out, uint64_t *size, mvm_error **err);
int store_put_blob_mem(struct store *s, const void *buf, size_t len, struct digest *out,
		       mvm_error **err);
bool store_has_blob(struct store *s, const struct digest *d);
/* A blob written piece by piece (a download): hashed as it is written,
 * checked against want at commit, renamed in only then. Commit and abort
 * free w. */
struct store_writer;
struct store_writer *store_writer_begin(struct store *s, mvm_error **err);
int store_writer_write(struct store_writer *w, const void *buf, size_t len, mvm_error **err);
int store_writer_commit(struct store_writer *w, const struct digest *want, struct digest *out,
			uint64_t *size, mvm_error **err);
void store_writer_abort(struct store_writer *w);
/* A writer for blob d that continues what an interrupted download left
 * in tmp/ (store_writer_size() tells how much; 0 for a fresh start). A
 * leftover larger than max is started over. */
struct store_writer *store_writer_resume(struct store *s, const struct digest *d, uint64_t max,
					 mvm_error **err);
uint64_t store_writer_size(const struct store_writer *w);
/* Drops what w holds and starts at byte 0 (a server that ignored a range). */
int store_writer_restart(struct store_writer *w, mvm_error **err);
/* Frees w, keeping a resumable writer's bytes for the next pull. */
void store_writer_suspend(struct store_writer *w);
/* Opens a blob for reading; -1 with err if it is not there. */
int store_open_blob(struct store *s, const struct digest *d, mvm_error **err);
/* Reads a blob of at most max bytes (manifests, configs) into a new
 * NUL-terminated buffer, checking its digest again. */
int store_read_blob(struct store *s, const struct digest *d, size_t max, char **buf, size_t *len,
		    mvm_error **err);

/* The unpacked layer of blob d: unpacks it when it is not there yet. *dir
 * (malloc'd) is its directory. *unpacked tells whether this call did the
 * work; may be NULL. */
int store_layer(struct store *s, const struct digest *d, char **dir, bool *unpacked,
		mvm_error **err);

/* Names an image: name -> manifest digest in images.json. */
int store_tag(struct store *s, const char *name, const struct digest *manifest, mvm_error **err);

/* Removes a name from images.json; an error if it is not there. */
int store_untag(struct store *s, const char *name, mvm_error **err);

/* Keeps blobs and layers from garbage collection while it is held: every
 * load holds it (shared) from its first blob to its last name. Returns the
 * lock's fd, to close when done. */
int store_hold(struct store *s, mvm_error **err);

struct store_gc_stats {
	unsigned blobs, layers, tmp; /* entries removed */
	uint64_t bytes;              /* disk they took */
};

/* Removes the blobs and layers no named image uses, and what crashed
 * loads left in tmp/ and crashed runs in runs/. With wait false, returns 1 at once when a load is
 * running (nothing removed). An unreadable manifest stops it before
 * anything is removed. */
int store_gc(struct store *s, bool wait, struct store_gc_stats *st, mvm_error **err);

/* Calls fn for each name in images.json, under the shared lock. */
int store_each_image(struct store *s,
		     int (*fn)(void *ud, const char *name, const struct digest *manifest,
			       mvm_error **err),
		     void *ud, mvm_error **err);

/* The store behind a public handle (api.c). */
struct store *image_store_internal(mvm_store *m);

#endif
