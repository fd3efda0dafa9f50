/* SPDX-License-Identifier: Apache-2.0 */
/* Content digests of the OCI image spec ("descriptor", "digests"): only
 * sha256 is accepted, the algorithm every registry and tool uses. A digest
 * from a manifest or a file name is untrusted and parsed strictly. */
#ifndef MVM_IMAGE_DIGEST_H
#define MVM_IMAGE_DIGEST_H

#include "mvm.h"

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
/* "sha256:" + 64 lowercase hex digits + NUL */
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN + 1)

struct digest {
	char str[DIGEST_STR_LEN]; /* "sha256:..." */
};

/* The hex part of d (for file names). */
static inline const char *digest_hex(const struct digest *d)
{
	return d->str + 7;
}

/* Parses "sha256:<64 lowercase hex>" exactly. */
int digest_parse(const char *s, struct digest *d, mvm_error **err);

/* A streaming sha256. */
struct digest_ctx;
struct digest_ctx *digest_begin(mvm_error **err);
int digest_update(struct digest_ctx *c, const void *buf, size_t len, mvm_error **err);
/* Finishes and frees c; c may be NULL after a failed begin (then -1). */
int digest_end(struct digest_ctx *c, struct digest *out, mvm_error **err);
void digest_abort(struct digest_ctx *c);

/* The digest of a whole buffer. */
int digest_of(const void *buf, size_t len, struct digest *out, mvm_error **err);

#endif
