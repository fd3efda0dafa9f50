/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials from the files podman and docker read, first found
 * wins: $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
 * ~/.config/containers/auth.json, ~/.docker/config.json. An entry is
 * {"auths": {KEY: {"auth": base64("user:password")}}}, KEY the registry
 * ("127.0.0.1:5000", "quay.io"), optionally with a scheme or a path
 * ("https://index.docker.io/v1/" is Docker Hub's). Credential helpers are
 * not run. */
#ifndef MVM_IMAGE_AUTH_H
#define MVM_IMAGE_AUTH_H

#include "mvm.h"

/* *userpwd (malloc'd "user:password") for registry, or NULL when no file
 * names it. -1 only for a file that exists and cannot be read or parsed. */
int auth_lookup(const char *registry, char **userpwd, mvm_error **err);

#endif
