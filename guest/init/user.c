/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* find_*(): the file was read, without a match (else -errno). */
#define NOT_FOUND 1

/* A decimal id below 2^32 - 1 (which means "no id" to the kernel). */
static bool parse_id(const char *s, uint32_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The passwd entry whose name is `name` (or, name NULL, whose uid is
 * `uid`). fgetpwent reads the file alone: no NSS, the same in musl and
 * in glibc (where the unit tests run). */
static int find_user(const char *path, const char *name, uint32_t uid, uint32_t *uid_out,
		     uint32_t *gid_out)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	struct passwd *pw;
	int rc = NOT_FOUND;
	while ((pw = fgetpwent(f)) != NULL) {
		if (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid) {
			*uid_out = pw->pw_uid;
			*gid_out = pw->pw_gid;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int find_group(const char *path, const char *name, uint32_t *gid_out)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	struct group *gr;
	int rc = NOT_FOUND;
	while ((gr = fgetgrent(f)) != NULL) {
		if (strcmp(gr->gr_name, name) == 0) {
			*gid_out = gr->gr_gid;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static void explain(char *why, size_t len, const char *what, const char *name, const char *path,
		    int rc)
{
	if (rc == NOT_FOUND)
		snprintf(why, len, "unable to find %s %s: no matching entries in %s", what, name,
			 path);
	else
		snprintf(why, len, "unable to find %s %s: %s: %s", what, name, path, strerror(-rc));
}

int init_user_resolve(const char *spec, const char *passwd, const char *group, uint32_t *uid,
		      uint32_t *gid, char *why, size_t why_len)
{
	char user[257];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (ulen == 0 || ulen >= sizeof(user) || (colon && colon[1] == '\0')) {
		snprintf(why, why_len, "invalid user `%.300s`: expected USER[:GROUP]", spec);
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	uint32_t u, g = 0;
	if (parse_id(user, &u)) {
		uint32_t ignored;
		/* No entry for the number is fine: gid 0 then. */
		if (!colon && find_user(passwd, NULL, u, &ignored, &g) != 0)
			g = 0;
	} else {
		int rc = find_user(passwd, user, 0, &u, &g);
		if (rc != 0) {
			explain(why, why_len, "user", user, passwd, rc);
			return -1;
		}
	}
	if (colon && !parse_id(colon + 1, &g)) {
		int rc = find_group(group, colon + 1, &g);
		if (rc != 0) {
			explain(why, why_len, "group", colon + 1, group, rc);
			return -1;
		}
	}
	*uid = u;
	*gid = g;
	return 0;
}
