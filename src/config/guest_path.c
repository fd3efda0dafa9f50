/* SPDX-License-Identifier: Apache-2.0 */
#include "config/guest_path.h"

#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>

char *guest_path_normalize(const char *path, const char *what, mvm_error **err)
{
	if (path[0] != '/') {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid %s `%s`: not an absolute guest path",
			what, path);
		return NULL;
	}
	/* The result is never longer than the input (+1 for "/" alone). */
	size_t cap = strlen(path) + 2;
	cleanup_free char *out = malloc(cap);
	if (out == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot normalise %s `%s`", what, path);
		return NULL;
	}
	size_t len = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0) {
				mvm_err(err, MVM_ERR_INVALID, 0,
					"invalid %s `%s`: `..` climbs above the guest's `/`", what,
					path);
				return NULL;
			}
			while (len > 0 && out[len - 1] != '/')
				len--;
			len--; /* the '/' before the dropped component */
			p += n;
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return steal_pointer(&out);
}

bool guest_path_contains(const char *outer, const char *inner)
{
	size_t n = strlen(outer);
	if (strncmp(outer, inner, n) != 0)
		return false;
	return inner[n] == '\0' || inner[n] == '/' || (n == 1 && outer[0] == '/');
}
