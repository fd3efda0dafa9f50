/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials from auth files (auth.h). */
#include "image/auth.h"
#include "util/error.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* KEY names registry: "host", "https://host", "host/path", ... */
static bool key_matches(const char *key, const char *registry)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strcspn(key, "/");
	const char *reg = registry;
	/* Docker Hub's entries are under index.docker.io. */
	if (strcmp(registry, "docker.io") == 0 && n == 15 && strncmp(key, "index.docker.io", 15) == 0)
		return true;
	return strlen(reg) == n && strncmp(key, reg, n) == 0;
}

static int decode_auth(const char *b64, char **userpwd, const char *file, mvm_error **err)
{
	size_t len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len > 4096)
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not base64", file);
	unsigned char *out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0) {
		free(out);
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not base64", file);
	}
	/* DecodeBlock counts the padding as zero bytes. */
	while (n > 0 && b64[len - 1] == '=' && out[n - 1] == '\0') {
		n--;
		len--;
	}
	out[n] = '\0';
	if (memchr(out, '\0', (size_t)n) || !strchr((char *)out, ':')) {
		free(out);
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not user:password",
			       file);
	}
	*userpwd = (char *)out;
	return 0;
}

/* 1: found, 0: not in this file (or no file), -1: error. */
static int lookup_in(const char *file, const char *registry, char **userpwd, mvm_error **err)
{
	if (access(file, F_OK) < 0)
		return 0;
	json_error_t je;
	json_t *root = json_load_file(file, 0, &je);
	if (root == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "auth file `%s`: %s", file, je.text);
	json_t *auths = json_object_get(root, "auths");
	const char *key;
	json_t *v;
	int rc = 0;
	json_object_foreach(auths, key, v)
	{
		if (!key_matches(key, registry))
			continue;
		const char *b64 = json_string_value(json_object_get(v, "auth"));
		if (b64 == NULL)
			continue;
		rc = decode_auth(b64, userpwd, file, err) < 0 ? -1 : 1;
		break;
	}
	json_decref(root);
	return rc;
}

int auth_lookup(const char *registry, char **userpwd, mvm_error **err)
{
	*userpwd = NULL;
	char files[4][4096];
	int n = 0;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		snprintf(files[n++], sizeof(files[0]), "%s", env);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(files[n++], sizeof(files[0]), "%s/containers/auth.json", xdg);
	const char *home = getenv("HOME");
	if (home && *home) {
		snprintf(files[n++], sizeof(files[0]), "%s/.config/containers/auth.json", home);
		snprintf(files[n++], sizeof(files[0]), "%s/.docker/config.json", home);
	}
	for (int i = 0; i < n; i++) {
		int rc = lookup_in(files[i], registry, userpwd, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}
