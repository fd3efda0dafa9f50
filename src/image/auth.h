/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials from the files podman and docker read, first found
 * wins: $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
 * ~/.config/containers/auth.json, ~/.docker/config.json. An entry is
 * {"auths": {KEY: {"auth": base64("user:password")}}}, KEY the registry
 * ("127.0.0.1:5000", "quay.io"), optionally with a scheme or a path
 * ("https://index.docker.io/v1/" is Docker Hub's). A file may name a
 * credential helper instead, {"credHelpers": {KEY: NAME}} for a registry
 * or {"credsStore": NAME} for all; that file's answer then comes from
 * docker-credential-NAME in PATH (auth.c has docker's order). A helper or
 * entry with nothing for the registry sends the search on to the next
 * file. */
#ifndef MVM_IMAGE_AUTH_H
#define MVM_IMAGE_AUTH_H

#include "mvm.h"

/* *userpwd (malloc'd "user:password") for registry, or NULL when no file
 * has credentials for it. -1 for a file that exists and cannot be read or
 * parsed, and for a helper that cannot be run, fails or answers garbage. */
int auth_lookup(const char *registry, char **userpwd, mvm_error **err);

/* For tests: how long a helper may take (30 s); ms <= 0 restores that.
 * Not thread-safe. */
void auth_set_helper_timeout_ms(int ms);

#endif
