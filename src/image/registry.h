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

#include <stdbool.h>

struct registry;

struct registry *registry_open(const struct image_ref *ref, bool tls_verify, mvm_error **err);
void registry_close(struct registry *r);

/* GETs the manifest (or index) named by reference (a tag or a digest).
 * *body (malloc'd, NUL-terminated) and its media type (malloc'd). */
int registry_get_manifest(struct registry *r, const char *reference, char **body, size_t *len,
			  char **media_type, mvm_error **err);

/* GETs the blob d into the store, checked against d; a registry that
 * sends more than max bytes is cut off. */
int registry_get_blob(struct registry *r, struct store *s, const struct digest *d, uint64_t max,
		      uint64_t *size, mvm_error **err);

#endif
