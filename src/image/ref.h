/* SPDX-License-Identifier: Apache-2.0 */
/* Image references as podman and docker read them: "alpine" is
 * "docker.io/library/alpine:latest", "me/app:1" is "docker.io/me/app:1",
 * "localhost:5000/app" is that registry's "app:latest"; a "@sha256:..."
 * digest may follow or replace the tag. */
#ifndef MVM_IMAGE_REF_H
#define MVM_IMAGE_REF_H

#include "mvm.h"

#include <stdbool.h>
#include <stddef.h>

#define REF_DEFAULT_REGISTRY "docker.io"
#define REF_MAX 768 /* room for the longest formatted reference */

struct image_ref {
	char registry[256];   /* "docker.io", "localhost:5000" */
	char repository[256]; /* "library/alpine" */
	char tag[129];        /* "latest"; "" when only a digest names it */
	char digest[72];      /* "sha256:..." or "" */
};

/* Parses and normalizes s. Names are checked against the distribution
 * spec's grammar (lowercase path components, tag [\w][\w.-]{0,127}). */
int image_ref_parse(const char *s, struct image_ref *r, mvm_error **err);

/* Whether s names its registry, as image_ref_parse decides: the part
 * before its first '/' holds a '.' or a ':' or is "localhost".
 * "quay.io/a" and "localhost/a" do; "alpine" and "me/app" do not. */
bool image_ref_is_qualified(const char *s);

/* The length of s without its ":tag" and "@digest": "me/app" for
 * "me/app:1", "localhost:5000/a" for "localhost:5000/a@sha256:...". */
size_t image_ref_name_len(const char *s);

/* Whether s alone is a registry image_ref_parse would take as one:
 * host[:port] ("quay.io", "localhost:5000"), not a user name ("me"). */
bool image_ref_valid_registry(const char *s);

/* "registry/repository:tag" or "registry/repository@digest", full. */
void image_ref_format(const struct image_ref *r, char out[REF_MAX]);

#endif
