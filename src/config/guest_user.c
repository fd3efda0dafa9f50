/* SPDX-License-Identifier: Apache-2.0 */
#include "config/guest_user.h"

#include "config/number.h"
#include "util/error.h"

#include <stdbool.h>
#include <string.h>

#define ID_MAX 4294967294u /* (uid_t)-1 means "no change" to the kernel */

/* Field `field` (0-based) of a colon-separated line, as [*start, *len). */
static bool line_field(const char *line, size_t line_len, unsigned field, const char **start,
		       size_t *len)
{
	const char *p = line, *end = line + line_len;
	for (unsigned i = 0; i < field; i++) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (c == NULL)
			return false;
		p = c + 1;
	}
	const char *c = memchr(p, ':', (size_t)(end - p));
	*start = p;
	*len = (size_t)((c ? c : end) - p);
	return true;
}

/* Finds the line of a passwd/group file whose field `key_field` equals
 * key[0..key_len) and returns field `want` of it as a number. */
static bool lookup(const char *text, unsigned key_field, const char *key, size_t key_len,
		   unsigned want, uint64_t *out)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *k, *v;
		size_t kl, vl;
		if (line[0] != '#' && line_field(line, len, key_field, &k, &kl) && kl == key_len &&
		    memcmp(k, key, kl) == 0 && line_field(line, len, want, &v, &vl) &&
		    parse_decimal(v, vl, ID_MAX, out))
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

int guest_user_resolve(const char *spec, const char *passwd, const char *group, uint32_t *uid,
		       uint32_t *gid, mvm_error **err)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *g = colon ? colon + 1 : NULL;
	if (ulen == 0 || (g && *g == '\0'))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid user `%s`: give name, uid, name:group or uid:gid", spec);
	uint64_t u, gv = 0;
	if (parse_decimal(spec, ulen, ID_MAX, &u)) {
		/* The primary group of a known uid, as docker gives it. */
		if (passwd == NULL || !lookup(passwd, 2, spec, ulen, 3, &gv))
			gv = 0;
	} else if (spec[0] >= '0' && spec[0] <= '9' && strspn(spec, "0123456789") == ulen) {
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid user `%s`: uid out of range", spec);
	} else if (passwd == NULL || !lookup(passwd, 0, spec, ulen, 2, &u) ||
		   !lookup(passwd, 0, spec, ulen, 3, &gv)) {
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid user `%s`: no user `%.*s` in %s",
			       spec, (int)ulen, spec,
			       passwd ? "the guest's /etc/passwd" : "the guest (it has no /etc/passwd)");
	}
	if (g != NULL) {
		size_t glen = strlen(g);
		if (!parse_decimal(g, glen, ID_MAX, &gv)) {
			if (strspn(g, "0123456789") == glen)
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "invalid user `%s`: gid out of range", spec);
			if (group == NULL || !lookup(group, 0, g, glen, 2, &gv))
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "invalid user `%s`: no group `%s` in %s", spec, g,
					       group ? "the guest's /etc/group"
						     : "the guest (it has no /etc/group)");
		}
	}
	*uid = (uint32_t)u;
	*gid = (uint32_t)gv;
	return 0;
}
