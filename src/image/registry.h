/* SPDX-License-Identifier: Apache-2.0 */
/* A client of the OCI distribution API (libcurl): manifests and blobs of
 * one repository, with the Bearer-token dance registries ask for
 * (WWW-Authenticate), over HTTPS with the system's CAs; without TLS
 * verification also over plain HTTP, for a local registry. Everything a
 * registry sends is untrusted: sizes are bounded, digests checked by the
 * caller (pull.c). */
#ifndef MVM_IMAGE_REGISTRY_H
#define MVM_IMAGE_REGISTRY_H

#include "image/ref.h"
#include "image/store.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct registry;

struct registry *registry_open(const struct image_ref *ref, bool tls_verify, mvm_error **err);
void registry_close(struct registry *r);

/* GETs the manifest (or index) named by reference (a tag or a digest).
 * *body (malloc'd, NUL-terminated) and its media type (malloc'd). */
int registry_get_manifest(struct registry *r, const char *reference, char **body, size_t *len,
			  char **media_type, mvm_error **err);

/* A second client of the same repository, with the first one's token and
 * credentials, for another thread (a CURL handle serves one at a time). */
struct registry *registry_clone(const struct registry *r, mvm_error **err);

/* What a blob download reports and obeys; every member may be NULL. */
struct blob_fetch {
	/* Bytes of the blob in the store so far, after each piece. */
	void (*on_bytes)(void *ud, uint64_t done);
	void *ud;
	/* Set from another thread: the transfer stops soon after. */
	const atomic_bool *cancel;
	/* Out: the bytes an earlier, interrupted download had left. */
	uint64_t *resumed;
};

/* GETs the blob d (of max bytes, the size its descriptor gives) into the
 * store, checked against d. It continues what an interrupted pull left
 * (a Range request), retries a transfer that breaks off from where it
 * stopped, and keeps the bytes of one that fails for the next pull. A
 * registry that sends more than max bytes is cut off. f may be NULL. */
int registry_get_blob(struct registry *r, struct store *s, const struct digest *d, uint64_t max,
		      const struct blob_fetch *f, uint64_t *size, mvm_error **err);

#endif
